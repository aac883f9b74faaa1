package watch

import (
	"errors"
	"log/slog"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/fsnotify/fsnotify"
)

// tree is the set of watched directories of every source, and where each
// sits in its source.
type tree struct {
	w      *fsnotify.Watcher
	logger *slog.Logger

	mu          sync.Mutex
	dirs        map[string]dirRef // by absolute path
	limitWarned bool
	unwatched   int // directories that could not be watched
}

type dirRef struct {
	src int    // index of the source
	key string // the directory's key ("" for the folder itself)
}

func newTree(logger *slog.Logger) (*tree, error) {
	w, err := fsnotify.NewBufferedWatcher(4096)
	if err != nil {
		return nil, err
	}
	return &tree{w: w, logger: logger, dirs: map[string]dirRef{}}, nil
}

// add watches one directory. Running out of inotify watches is logged
// once with a hint; the periodic pass covers what is not watched.
func (t *tree) add(src int, abs, key string) {
	t.mu.Lock()
	if _, ok := t.dirs[abs]; ok {
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	if err := t.w.Add(abs); err != nil {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.unwatched++
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) {
			if !t.limitWarned {
				t.limitWarned = true
				t.logger.Warn("cannot watch more directories: the inotify watch limit is reached; changes there are found by the periodic pass",
					"dir", abs, "hint", "raise it: sysctl fs.inotify.max_user_watches=524288 (and max_user_instances), or lower --rescan")
			}
			return
		}
		t.logger.Warn("cannot watch directory; changes there are found by the periodic pass", "dir", abs, "error", err)
		return
	}
	t.mu.Lock()
	t.dirs[abs] = dirRef{src: src, key: key}
	t.mu.Unlock()
}

// locate finds the source and key of a path: a watched directory itself,
// or an entry of one.
func (t *tree) locate(abs string) (ref dirRef, isDir, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if r, found := t.dirs[abs]; found {
		return r, true, true
	}
	parent, found := t.dirs[filepath.Dir(abs)]
	if !found {
		return dirRef{}, false, false
	}
	return dirRef{src: parent.src, key: path.Join(parent.key, filepath.Base(abs))}, false, true
}

// forget drops a directory that vanished and everything under it.
func (t *tree) forget(abs string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	prefix := abs + string(filepath.Separator)
	for d := range t.dirs {
		if d == abs || strings.HasPrefix(d, prefix) {
			delete(t.dirs, d)
			_ = t.w.Remove(d) // already gone with the directory, usually
		}
	}
}

// watched is the number of directories watched and not watched.
func (t *tree) watched() (int, int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.dirs), t.unwatched
}

func (t *tree) close() error { return t.w.Close() }
