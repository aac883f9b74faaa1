package ingest

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/lanyingim/lanying-ingest/lanying"
)

// Rate limit defaults: generous enough for the bulk-import target (two
// API calls per document), low enough not to flood an app.
const (
	DefaultAPIRate  = 500 // requests per second
	DefaultAPIBurst = 50
)

// RateLimiter is a token bucket shared by every worker. On HTTP 429 it
// halves its rate (not below one request per second); each success then
// wins back 2% of the configured rate, so it recovers over a few seconds
// of good answers rather than at once.
type RateLimiter struct {
	lim *rate.Limiter
	max rate.Limit

	mu      sync.Mutex
	lastCut time.Time
}

// NewRateLimiter allows rps requests per second with bursts of burst.
func NewRateLimiter(rps float64, burst int) *RateLimiter {
	if rps <= 0 {
		rps = DefaultAPIRate
	}
	if burst <= 0 {
		burst = DefaultAPIBurst
	}
	return &RateLimiter{lim: rate.NewLimiter(rate.Limit(rps), burst), max: rate.Limit(rps)}
}

// Wait blocks until a request may go.
func (l *RateLimiter) Wait(ctx context.Context) error { return l.lim.Wait(ctx) }

// Rate is the current rate.
func (l *RateLimiter) Rate() float64 { return float64(l.lim.Limit()) }

// observe adapts the rate to an answer.
func (l *RateLimiter) observe(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	cur := l.lim.Limit()
	var api *lanying.APIError
	switch {
	case errors.As(err, &api) && api.HTTPStatus == http.StatusTooManyRequests:
		if now.Sub(l.lastCut) < time.Second {
			return // one cut per second, however many workers saw the 429
		}
		l.lastCut = now
		l.lim.SetLimitAt(now, max(cur/2, 1))
	case err == nil && cur < l.max:
		l.lim.SetLimitAt(now, min(cur+l.max/50, l.max))
	}
}

// limitedAPI takes a token before every call.
type limitedAPI struct {
	api API
	lim *RateLimiter
}

func (l *limitedAPI) UploadSlot(ctx context.Context, r lanying.SlotRequest) (*lanying.UploadSlot, error) {
	if err := l.lim.Wait(ctx); err != nil {
		return nil, err
	}
	s, err := l.api.UploadSlot(ctx, r)
	l.lim.observe(err)
	return s, err
}

func (l *limitedAPI) SendFile(ctx context.Context, m lanying.FileMessage) error {
	if err := l.lim.Wait(ctx); err != nil {
		return err
	}
	err := l.api.SendFile(ctx, m)
	l.lim.observe(err)
	return err
}

func (l *limitedAPI) SendLink(ctx context.Context, m lanying.LinkMessage) error {
	if err := l.lim.Wait(ctx); err != nil {
		return err
	}
	err := l.api.SendLink(ctx, m)
	l.lim.observe(err)
	return err
}
