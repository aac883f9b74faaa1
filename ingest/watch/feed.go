// Package watch keeps folders in sync with a chatbot: an initial pass,
// then filesystem events (fsnotify, recursive), each file settled until
// its size and modification time are stable, fed through one delivery
// pool; with a periodic full pass as a backstop and failed documents
// retried with backoff.
package watch

import (
	"context"
	"sync"

	"github.com/lanyingim/lanying-ingest/ingest"
)

// feed is the daemon's Source: an endless stream of documents from events
// and passes, at most one in flight per key. A document pushed while its
// key is in flight waits and replaces any older one waiting, so a burst
// of changes to one file ends in one delivery of its latest state.
type feed struct {
	parts []ingest.Source
	stop  <-chan struct{} // closed: yield nothing more

	mu       sync.Mutex
	order    []string                   // ids waiting, oldest first
	waiting  map[string]ingest.Document // by id
	inflight map[string]bool
	later    map[string]ingest.Document // pushed while in flight
	wake     chan struct{}
}

var _ ingest.Multi = (*feed)(nil)

func newFeed(parts []ingest.Source, stop <-chan struct{}) *feed {
	return &feed{parts: parts, stop: stop, waiting: map[string]ingest.Document{},
		inflight: map[string]bool{}, later: map[string]ingest.Document{}, wake: make(chan struct{}, 1)}
}

func id(source, key string) string { return source + "\x00" + key }

// ID names the feed; its documents carry their part's SourceID.
func (f *feed) ID() string { return "watch" }

// Stopped is closed when the daemon stops taking new work.
func (f *feed) Stopped() <-chan struct{} { return f.stop }

// Parts are the watched sources.
func (f *feed) Parts() []ingest.Source { return f.parts }

// push queues a document of source.
func (f *feed) push(source string, d ingest.Document) {
	d.SourceID = source
	k := id(source, d.Key)
	f.mu.Lock()
	switch {
	case f.inflight[k]:
		f.later[k] = d
	default:
		if _, queued := f.waiting[k]; !queued {
			f.order = append(f.order, k)
		}
		f.waiting[k] = d
	}
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// pop takes the oldest waiting document and marks it in flight.
func (f *feed) pop() (ingest.Document, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.order) > 0 {
		k := f.order[0]
		f.order[0] = ""
		f.order = f.order[1:]
		if len(f.order) == 0 {
			f.order = nil // let the backing array go
		}
		d, ok := f.waiting[k]
		if !ok {
			continue
		}
		delete(f.waiting, k)
		f.inflight[k] = true
		return d, true
	}
	return ingest.Document{}, false
}

// done ends a document's flight and requeues what came meanwhile.
func (f *feed) done(source, key string) {
	k := id(source, key)
	f.mu.Lock()
	delete(f.inflight, k)
	d, again := f.later[k]
	delete(f.later, k)
	f.mu.Unlock()
	if again {
		f.push(source, d)
	}
}

// depth is the number of documents waiting.
func (f *feed) depth() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiting) + len(f.later)
}

// Walk yields documents until stop is closed or ctx ends.
func (f *feed) Walk(ctx context.Context, yield func(ingest.Document) error) error {
	for {
		for {
			select {
			case <-f.stop:
				return nil
			default:
			}
			d, ok := f.pop()
			if !ok {
				break
			}
			if err := yield(d); err != nil {
				return err
			}
		}
		select {
		case <-f.wake:
		case <-f.stop:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
