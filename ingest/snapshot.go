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
	ready chan struct{} // closed once old is loaded
	mu    sync.Mutex
	old   map[string]string
	seen  []string          // keys the old snapshot vouched for in this run
	fresh map[string]string // documents ending sent or unchanged that the old snapshot did not vouch for
	off   bool              // too large: nothing is written
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
	rs := &runSnapshot{fresh: map[string]string{}, ready: make(chan struct{})}
	// Read while the walk starts: the first directories cost as much.
	go func() {
		defer close(rs.ready)
		if !s.opts.Force {
			rs.old, _ = store.LoadSnapshot(ctx, s.target.ID, src.ID())
			rs.seen = make([]string, 0, len(rs.old))
		}
	}()
	return rs
}

// current reports whether the snapshot knows d as sent with its version
// (and remembers that it was seen).
func (rs *runSnapshot) current(d Document) bool {
	if rs == nil || d.Version == "" {
		return false
	}
	<-rs.ready
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if v, ok := rs.old[d.Key]; !ok || v != d.Version {
		return false
	}
	rs.seen = append(rs.seen, d.Key)
	return true
}

// record keeps a document that ended sent or unchanged without the
// snapshot's word.
func (rs *runSnapshot) record(r Result, version string) {
	if rs == nil || version == "" || (r.Outcome != Sent && r.Outcome != Unchanged) {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.off {
		return
	}
	rs.fresh[r.Key] = version
	if len(rs.fresh)+len(rs.old) > maxSnapshot {
		rs.off, rs.fresh = true, nil
	}
}

// saveSnapshot writes the new snapshot after a complete run: what was
// seen, vouched for or fresh. A run that changed nothing writes nothing.
func (s *Syncer) saveSnapshot(ctx context.Context, src Source, rs *runSnapshot) error {
	if rs == nil || rs.off {
		return nil
	}
	<-rs.ready
	if len(rs.fresh) == 0 && len(rs.seen) == len(rs.old) {
		return nil
	}
	versions := make(map[string]string, len(rs.seen)+len(rs.fresh))
	for _, k := range rs.seen {
		versions[k] = rs.old[k]
	}
	for k, v := range rs.fresh {
		versions[k] = v
	}
	return s.store.(Snapshots).SaveSnapshot(ctx, s.target.ID, src.ID(), versions)
}
