package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/lanyingim/lanying-ingest/uploader"
)

// Uploader streams bytes to an upload slot.
type Uploader interface {
	// Upload sends c to t once; every call opens c afresh.
	Upload(ctx context.Context, t uploader.Target, c uploader.Content) (uploader.Result, error)
}

// Target is the chatbot documents are delivered to.
type Target struct {
	ID          string // scopes the state: endpoint, app and chatbot
	AdminUserID int64  // the knowledge-base admin who sends
	ChatbotID   int64
}

// Options tune a Syncer.
type Options struct {
	Concurrency      int         // delivery workers (default 8)
	Retry            RetryPolicy // for transient failures
	MaxMetadataBytes int         // the encoded metadata limit (default 8 KiB)
	Observer         Observer    // progress; may be nil
	AllowDuplicates  bool        // send content the chatbot has under another key
	// Limiter paces API calls (shared by every worker, and by Syncers that
	// share it); nil gets one at DefaultAPIRate.
	Limiter *RateLimiter
	Outage  OutagePolicy // when the API counts as down, how long to wait
	// Force sends every document again, changed or not, as new messages
	// (ForceNonce, e.g. the run's start time, keeps the run's own retries
	// de-duplicated).
	Force      bool
	ForceNonce string
	// PrehashNew hashes new documents before uploading them, so that a
	// rename costs no upload (the watch daemon, where renames are common).
	// Otherwise a new document is read once, hashed while it uploads, and
	// a rename or duplicate is caught before the message.
	PrehashNew bool
}

// DefaultConcurrency is the number of delivery workers when none is set.
// A document costs three round trips (slot, upload, message); with 20 ms
// each, 16 workers deliver some 260 small documents a second, below the
// default API rate of 500 requests a second.
const DefaultConcurrency = 16

// DefaultMaxMetadataBytes is the metadata size limit when none is set.
const DefaultMaxMetadataBytes = 8 << 10

// Syncer delivers the documents of sources to one target.
type Syncer struct {
	api    API
	up     Uploader
	store  Store
	target Target
	opts   Options

	mu      sync.Mutex
	sources map[string]Source // by ID, for Exister
}

// NewSyncer returns a Syncer. The API is wrapped, from the outside in: a
// gate (until it has answered once, calls go one at a time, so a bad token
// costs one request), the outage breaker (shared with uploads), and the
// rate limiter.
func NewSyncer(api API, up Uploader, store Store, target Target, opts Options) *Syncer {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.MaxMetadataBytes <= 0 {
		opts.MaxMetadataBytes = DefaultMaxMetadataBytes
	}
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	if opts.Limiter == nil {
		opts.Limiter = NewRateLimiter(DefaultAPIRate, DefaultAPIBurst)
	}
	b := newBreaker(opts.Outage)
	api = newGatedAPI(&guardedAPI{api: &limitedAPI{api: api, lim: opts.Limiter}, b: b})
	return &Syncer{api: api, up: &guardedUploader{up: up, b: b}, store: store, target: target, opts: opts, sources: map[string]Source{}}
}

// Stoppable is a Source that can be told to stop yielding (a daemon
// shutting down): once Stopped is closed, no further document is started.
type Stoppable interface {
	Stopped() <-chan struct{}
}

// FatalError stops a run: the configuration is wrong (a bad token, an
// unknown app or user, a missing permission) or the source is unusable.
type FatalError struct {
	Key string // the document that met it, if any
	Err error
}

func (e *FatalError) Error() string { return e.Err.Error() }
func (e *FatalError) Unwrap() error { return e.Err }

// Fatal reports true.
func (e *FatalError) Fatal() bool { return true }

// Run syncs src into the target, adding every document's result to sum.
// It returns a *FatalError when the run had to stop, ctx's error when it
// was interrupted, and nil otherwise (failed documents are in sum).
func (s *Syncer) Run(ctx context.Context, src Source, sum *Summary) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	s.register(src)
	snap := s.loadSnapshot(ctx, src)
	// Unbuffered: a document is taken only by a free worker, so a source
	// that stops yielding (a daemon shutting down) leaves nothing queued.
	docs := make(chan Document)
	var stopped <-chan struct{} // nil, which never fires, unless the source can stop
	if st, ok := src.(Stoppable); ok {
		stopped = st.Stopped()
	}
	var walkErr error
	go func() {
		defer close(docs)
		walkErr = src.Walk(ctx, func(d Document) error {
			s.opts.Observer.Found(&d)
			if snap.current(d) {
				// Unchanged by the snapshot: settled here, without a
				// worker or a lookup (most of a re-sync).
				r := Result{Source: src.ID(), Key: d.Key, Name: d.Name, Outcome: Unchanged, Reason: ReasonUnchanged}
				sum.Add(r)
				s.opts.Observer.Done(r)
				return nil
			}
			select {
			case docs <- d:
				return nil
			case <-stopped:
				return nil // shutting down: no new work
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
	}()
	var wg sync.WaitGroup
	for range s.opts.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(ctx, cancel, src.ID(), docs, sum, snap)
		}()
	}
	wg.Wait()
	var fe *FatalError
	var outage *OutageError
	switch cause := context.Cause(ctx); {
	case errors.As(cause, &fe):
		return fe
	case errors.As(cause, &outage):
		return outage
	case cause != nil:
		return cause
	case walkErr != nil:
		if IsFatal(walkErr) {
			return &FatalError{Err: walkErr}
		}
		return fmt.Errorf("listing %s: %w", src.ID(), walkErr)
	}
	if err := s.saveSnapshot(ctx, src, snap); err != nil {
		return fmt.Errorf("saving the snapshot of %s: %w", src.ID(), err)
	}
	return nil
}

func (s *Syncer) work(ctx context.Context, stop context.CancelCauseFunc, srcID string, docs <-chan Document, sum *Summary, snap *runSnapshot) {
	for d := range docs {
		if ctx.Err() != nil {
			continue // drain: the run is stopping
		}
		id := srcID
		if d.SourceID != "" {
			id = d.SourceID
		}
		r := s.process(ctx, id, d)
		snap.record(r, d.Version)
		var outage *OutageError
		switch {
		case r.Outcome != Failed:
		case IsFatal(r.Err):
			stop(&FatalError{Key: d.Key, Err: r.Err})
		case errors.As(r.Err, &outage):
			stop(outage)
		}
		if r.Outcome == Failed && ctx.Err() != nil {
			continue // interrupted: not this document's failure
		}
		sum.Add(r)
		s.opts.Observer.Done(r)
	}
}

func (s *Syncer) register(src Source) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources[src.ID()] = src
	if m, ok := src.(Multi); ok {
		for _, p := range m.Parts() {
			s.sources[p.ID()] = p
		}
	}
}

func (s *Syncer) src(id string) Source {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sources[id]
}

type nopObserver struct{}

func (nopObserver) Found(*Document) {}
func (nopObserver) Done(Result)     {}
