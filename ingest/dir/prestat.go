package dir

import (
	"io/fs"
	"os"
	"strings"
)

// prestatChunk is how many files the look-ahead stats before handing
// them over.
const prestatChunk = 32

// prestat looks at a directory's plain files in a goroutine of its own,
// a chunk ahead of the walk: the kernel's work on one chunk overlaps the
// walk's own work on the previous one (most of a no-op re-sync).
type prestat struct {
	infos []fs.FileInfo
	errs  []error
	ready chan int // how many entries are done, chunk by chunk
	done  int
}

// startPrestat begins, for directories big enough to gain from it.
func startPrestat(d *os.File, abs string, entries []fs.DirEntry) *prestat {
	if len(entries) < prestatChunk {
		return nil
	}
	p := &prestat{
		infos: make([]fs.FileInfo, len(entries)),
		errs:  make([]error, len(entries)),
		ready: make(chan int, (len(entries)+prestatChunk-1)/prestatChunk),
	}
	go func() {
		defer close(p.ready)
		for start := 0; start < len(entries); start += prestatChunk {
			end := min(start+prestatChunk, len(entries))
			for i := start; i < end; i++ {
				if e := entries[i]; e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
					p.infos[i], p.errs[i] = lstatAt(d, abs, e.Name())
				}
			}
			p.ready <- end
		}
	}()
	return p
}

// get returns entry i's look, once it is done (nil if it was not taken).
func (p *prestat) get(i int) (fs.FileInfo, error) {
	if p == nil {
		return nil, nil
	}
	for p.done <= i {
		n, ok := <-p.ready
		if !ok {
			return nil, nil
		}
		p.done = n
	}
	return p.infos[i], p.errs[i]
}

// wait lets the look-ahead finish (before the directory is closed).
func (p *prestat) wait() {
	if p != nil {
		for range p.ready {
		}
	}
}
