package ingest

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/lanyingim/lanying-ingest/lanying"
)

// API is what delivery needs from the Lanying client.
type API interface {
	// UploadSlot asks for a fresh single-use upload slot.
	UploadSlot(ctx context.Context, r lanying.SlotRequest) (*lanying.UploadSlot, error)
	// SendFile posts a file message; it is de-duplicated by TransactionID.
	SendFile(ctx context.Context, m lanying.FileMessage) error
	// SendLink posts a link message; it is de-duplicated by TransactionID.
	SendLink(ctx context.Context, m lanying.LinkMessage) error
}

// gatedAPI lets one call through at a time until the API has answered once
// without a fatal or transport error: with a bad token the run stops after
// one request instead of one per worker.
type gatedAPI struct {
	api    API
	mu     sync.Mutex
	opened atomic.Bool
}

func newGatedAPI(api API) *gatedAPI { return &gatedAPI{api: api} }

func (g *gatedAPI) call(fn func() error) error {
	if g.opened.Load() {
		return fn()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.opened.Load() {
		return fn()
	}
	err := fn()
	// An answer that is neither fatal nor transient proves the credentials.
	if err == nil || (!IsFatal(err) && !IsTransient(err)) {
		g.opened.Store(true)
	}
	return err
}

func (g *gatedAPI) UploadSlot(ctx context.Context, r lanying.SlotRequest) (s *lanying.UploadSlot, err error) {
	err = g.call(func() error { s, err = g.api.UploadSlot(ctx, r); return err })
	return s, err
}

func (g *gatedAPI) SendFile(ctx context.Context, m lanying.FileMessage) error {
	return g.call(func() error { return g.api.SendFile(ctx, m) })
}

func (g *gatedAPI) SendLink(ctx context.Context, m lanying.LinkMessage) error {
	return g.call(func() error { return g.api.SendLink(ctx, m) })
}
