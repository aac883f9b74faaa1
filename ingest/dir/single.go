package dir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/meta"
)

var _ ingest.Exister = (*Source)(nil)

// Abs is the absolute path of a key.
func (s *Source) Abs(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(strings.TrimSuffix(key, "/")))
}

// Exists reports whether something is at key (a rename leaves nothing at
// the old key; a copy leaves the original).
func (s *Source) Exists(ctx context.Context, key string) (bool, error) {
	if file, _, ok := strings.Cut(key, "#"); ok && s.links != nil {
		key = file // a page of a link file lives as long as the file
	}
	_, err := os.Lstat(s.Abs(key))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Document returns the document at key as it is now, with the same rules
// as Walk: a Gone document when nothing is there any more. A key whose
// path has a hidden or excluded directory in it is skipped.
func (s *Source) Document(key string) ingest.Document {
	return s.document(key, false)
}

// document is Document; a link file is expanded only when expand is set
// (and only its last page returned, so Documents is the way to expand).
func (s *Source) document(key string, expand bool) ingest.Document {
	key = path.Clean(strings.TrimSuffix(key, "/"))
	name := path.Base(key)
	if hiddenPath(key) {
		return ingest.Document{Key: key, Name: name, Skip: ingest.ReasonHidden, Detail: "dot-files and dot-directories are skipped"}
	}
	if dirPath := path.Dir(key); dirPath != "." && s.rules.ExcludedDir(dirPath) {
		return ingest.Document{Key: key, Name: name, Skip: ingest.ReasonExcluded, Detail: "the directory matches an exclude pattern"}
	}
	abs := s.Abs(key)
	info, err := os.Lstat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist) && s.links != nil && meta.IsLinkFile(name):
		return ingest.Document{Key: key + "#", Name: name, Gone: true} // with every page it named
	case errors.Is(err, fs.ErrNotExist):
		return ingest.Document{Key: key, Name: name, Gone: true}
	case err != nil:
		return ingest.Document{Key: key, Name: name, Err: fmt.Errorf("reading %s: %w", key, err)}
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		if !s.follow {
			return ingest.Document{Key: key, Name: name, Skip: ingest.ReasonSymlink, Detail: "symbolic links are not followed (follow_symlinks: true follows them)"}
		}
		if info, err = os.Stat(abs); err != nil {
			return ingest.Document{Key: key, Name: name, Err: fmt.Errorf("following link %s: %w", key, err)}
		}
	}
	if !info.Mode().IsRegular() {
		return ingest.Document{Key: key, Name: name, Skip: ingest.ReasonNotRegular, Detail: fmt.Sprintf("not a regular file (%s): never opened", info.Mode().Type())}
	}
	var sidecar fs.FileInfo
	if si, err := os.Lstat(abs + sidecarSuffix); err == nil && si.Mode().IsRegular() {
		sidecar = si
	}
	if !expand && s.links != nil && meta.IsLinkFile(name) {
		return ingest.Document{Key: key, Name: name, Skip: reasonLinkFile}
	}
	var doc ingest.Document
	_ = s.file(context.Background(), filepath.Dir(abs), key, info, sidecar, func(d ingest.Document) error { doc = d; return nil })
	return doc
}

// reasonLinkFile marks a link file that Document did not expand.
const reasonLinkFile ingest.Reason = "link_file"

// Documents yields the documents at key as they are now: one, as
// Document returns it, or, for a link file, those of its pages.
func (s *Source) Documents(ctx context.Context, key string, yield func(ingest.Document) error) error {
	name := path.Base(key)
	if s.links == nil || !meta.IsLinkFile(name) {
		return yield(s.Document(key))
	}
	if d := s.document(key, false); d.Skip != reasonLinkFile {
		return yield(d)
	}
	return s.linkFile(ctx, s.Abs(key), key, yield)
}

// WalkTree walks the directory at key ("" for the folder itself) once:
// onDir, when set, is called for every directory entered (for a watcher
// to watch it), and yield, when set, with every document, as Walk does.
func (s *Source) WalkTree(ctx context.Context, key string, onDir func(abs, key string) error, yield func(ingest.Document) error) error {
	if key == "" {
		info, err := os.Stat(s.root)
		if err != nil {
			return &RootError{Path: s.root, Err: err}
		}
		if !info.IsDir() {
			if yield == nil {
				return nil
			}
			return s.Walk(ctx, yield)
		}
	} else if key = path.Clean(strings.TrimSuffix(key, "/")); hiddenPath(key) || s.rules.ExcludedDir(key) {
		return nil
	}
	w := s.walkerUnder(key)
	w.onDir, w.yield = onDir, yield
	return w.dir(ctx, s.Abs(key), key)
}

// walkerUnder starts a walker at key with the identities of the
// directories above it, so that a link loop is caught as in a full walk.
func (s *Source) walkerUnder(key string) *walker {
	w := &walker{s: s}
	var parts []string // the folder's own identity comes first
	if key != "" {
		parts = strings.Split(key, "/")
	}
	for i := 0; i <= len(parts); i++ {
		info, err := os.Stat(s.Abs(strings.Join(parts[:i], "/")))
		if err != nil {
			break
		}
		if id, ok := fileID(info); ok {
			w.ancestors = append(w.ancestors, id) // key's own included, as subdir does
		}
	}
	w.depth = len(parts)
	return w
}

func hiddenPath(key string) bool {
	for _, part := range strings.Split(key, "/") {
		if strings.HasPrefix(part, ".") && part != "." {
			return true
		}
	}
	return false
}
