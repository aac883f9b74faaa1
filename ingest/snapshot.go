package ingest

import (
	"context"
	"sync"
)

// Snapshots is a Store that keeps, per source, the version of every
// document a complete run left sent: a re-sync reads it in one piece and
// answers "unchanged" without a lookup per document. A snapshot is only
// ever trusted for a document whose version token is the same, and only
// for content the chatbot was sent; in any doubt the plan asks the store.
type Snapshots interface {
	LoadSnapshot(ctx context.Context, target, source string) (map[string]string, error)
	SaveSnapshot(ctx context.Context, target, source string, versions map[string]string) error
}

// Partial is a Source that yields only some of its documents (sync
// --retry-failed): a snapshot of its run would forget the others.
type Partial interface {
	Partial() bool
}

// maxSnapshot bounds a snapshot (about 100 MiB of memory at most);
// larger sources go without one.
const maxSnapshot = 500_000

// runSnapshot is the snapshot a run reads and the one it writes.
type runSnapshot struct {
	mu   sync.Mutex
	old  map[string]string
	seen map[string]string // documents ending sent or unchanged in this run
	off  bool              // too large: nothing is written
}

// loadSnapshot reads the snapshot of src, or returns nil when the store
// keeps none or the run is not a whole, plain pass over the source.
func (s *Syncer) loadSnapshot(ctx context.Context, src Source) *runSnapshot {
	store, ok := s.store.(Snapshots)
	if _, multi := src.(Multi); !ok || multi {
		return nil
	}
	if p, ok := src.(Partial); ok && p.Partial() {
		return nil
	}
	rs := &runSnapshot{seen: map[string]string{}}
	if !s.opts.Force {
		rs.old, _ = store.LoadSnapshot(ctx, s.target.ID, src.ID())
	}
	return rs
}

// current reports whether the snapshot knows d as sent with its version.
func (rs *runSnapshot) current(d Document) bool {
	if rs == nil || d.Version == "" {
		return false
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	v, ok := rs.old[d.Key]
	return ok && v == d.Version
}

// record keeps a document that ended sent or unchanged.
func (rs *runSnapshot) record(r Result, version string) {
	if rs == nil || version == "" || (r.Outcome != Sent && r.Outcome != Unchanged) {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.off {
		return
	}
	rs.seen[r.Key] = version
	if len(rs.seen) > maxSnapshot {
		rs.off, rs.seen = true, nil
	}
}

// save writes the new snapshot after a complete run.
func (s *Syncer) saveSnapshot(ctx context.Context, src Source, rs *runSnapshot) error {
	if rs == nil || rs.off {
		return nil
	}
	return s.store.(Snapshots).SaveSnapshot(ctx, s.target.ID, src.ID(), rs.seen)
}
