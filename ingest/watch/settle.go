package watch

import (
	"os"
	"sync"
	"time"
)

// signature is what "stable" compares: a file is settled when two looks
// a quiet period apart see the same size and modification time.
type signature struct {
	exists bool
	dir    bool
	size   int64
	mtime  int64
}

func look(abs string) signature {
	info, err := os.Lstat(abs)
	if err != nil {
		return signature{}
	}
	return signature{exists: true, dir: info.IsDir(), size: info.Size(), mtime: info.ModTime().UnixNano()}
}

// settler waits, per path, until events stop and the file is stable (a
// burst of writes, an editor's temp file and rename, a cp still copying),
// then calls fire once with the path. Entries are dropped once fired, so
// memory does not grow with the number of events.
type settler struct {
	quiet time.Duration
	fire  func(abs string, sig signature)

	mu      sync.Mutex
	pending map[string]*pendingPath
	closed  bool
}

type pendingPath struct {
	sig   signature
	timer *time.Timer
}

func newSettler(quiet time.Duration, fire func(abs string, sig signature)) *settler {
	return &settler{quiet: quiet, fire: fire, pending: map[string]*pendingPath{}}
}

// touch records an event on abs and (re)starts its quiet period.
func (s *settler) touch(abs string) {
	sig := look(abs)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if p, ok := s.pending[abs]; ok {
		p.sig = sig
		p.timer.Reset(s.quiet)
		return
	}
	s.pending[abs] = &pendingPath{sig: sig, timer: time.AfterFunc(s.quiet, func() { s.check(abs) })}
}

// check fires abs if it did not change during the quiet period.
func (s *settler) check(abs string) {
	sig := look(abs)
	s.mu.Lock()
	p, ok := s.pending[abs]
	if !ok || s.closed {
		s.mu.Unlock()
		return
	}
	if sig != p.sig {
		p.sig = sig
		p.timer.Reset(s.quiet)
		s.mu.Unlock()
		return
	}
	delete(s.pending, abs)
	s.mu.Unlock()
	s.fire(abs, sig)
}

// size is the number of paths waiting to settle.
func (s *settler) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

// close stops every timer; nothing fires afterwards.
func (s *settler) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for k, p := range s.pending {
		p.timer.Stop()
		delete(s.pending, k)
	}
}
