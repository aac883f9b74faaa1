// Package dir is the folder source: it walks a directory tree and yields
// each file as a document, applying the folder rules (hidden files,
// symbolic links, sizes, extensions, include/exclude patterns) with a
// reason code for everything it skips.
package dir

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/meta"
	"github.com/lanyingim/lanying-ingest/ingest/rules"
)

const sidecarSuffix = meta.SidecarSuffix

// DefaultMaxFileSize is the size above which files are skipped.
const DefaultMaxFileSize = rules.DefaultMaxFileSize

// Options are a folder source's rules (include and exclude globs, text
// extensions, the size limit, static metadata: see rules.Options) and
// how it treats links and link files.
type Options struct {
	rules.Options
	// FollowSymlinks follows symbolic links (loop-safe) instead of
	// skipping them.
	FollowSymlinks bool
	// Links, when set, turns link files (.url, .webloc, .urls) into the
	// documents of the pages they point at; without it they are skipped
	// as unsupported.
	Links LinkExpander
}

// LinkExpander yields the documents of the pages a link file points at;
// their keys start with linkKey + "#", and pages the file no longer names
// are yielded Gone.
type LinkExpander func(ctx context.Context, linkKey string, urls []string, yield func(ingest.Document) error) error

// ReasonBadLinkFile skips a link file that names no usable URL.
const ReasonBadLinkFile ingest.Reason = "bad_link_file"

// Source is a folder (or a single file).
type Source struct {
	root   string // absolute
	rules  *rules.Rules
	follow bool
	links  LinkExpander
}

var _ ingest.Source = (*Source)(nil)

// New returns a source for the folder or file at root.
func New(root string, o Options) (*Source, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("folder %s: %w", root, err)
	}
	r, err := rules.New(o.Options)
	if err != nil {
		return nil, fmt.Errorf("folder %s: %w", root, err)
	}
	return &Source{root: filepath.Clean(abs), rules: r, follow: o.FollowSymlinks, links: o.Links}, nil
}

// ID is "dir:" and the absolute path.
func (s *Source) ID() string { return "dir:" + filepath.ToSlash(s.root) }

// RootError is a folder that cannot be listed at all.
type RootError struct {
	Path string
	Err  error
}

func (e *RootError) Error() string { return fmt.Sprintf("folder %s: %v", e.Path, e.Err) }
func (e *RootError) Unwrap() error { return e.Err }

// Fatal reports true: a run cannot go on without its folder.
func (e *RootError) Fatal() bool { return true }

// Hint says what to check.
func (e *RootError) Hint() string { return "check the path and that this user may read it" }

// Walk yields every file under the folder in lexical order, depth first.
func (s *Source) Walk(ctx context.Context, yield func(ingest.Document) error) error {
	info, err := os.Stat(s.root)
	if err != nil {
		return &RootError{Path: s.root, Err: err}
	}
	if !info.IsDir() {
		dirPath, name := filepath.Split(s.root)
		return s.file(ctx, filepath.Clean(dirPath), name, info, nil, yield)
	}
	w := &walker{s: s, yield: yield}
	if id, ok := fileID(info); ok {
		w.ancestors = append(w.ancestors, id)
	}
	return w.dir(ctx, s.root, "")
}

type walker struct {
	s         *Source
	yield     func(ingest.Document) error // nil: directories only
	onDir     func(abs, rel string) error // called for each directory walked; may be nil
	ancestors []any                       // identities of the directories on the current path
	depth     int
}

func (w *walker) emit(d ingest.Document) error {
	if w.yield == nil {
		return nil
	}
	return w.yield(d)
}

// maxDepth stops a walk that goes deeper than any real tree (a link loop
// on a system without inode numbers).
const maxDepth = 256

func (w *walker) skip(key string, reason ingest.Reason, detail string) error {
	return w.emit(ingest.Document{Key: key, Name: path.Base(key), Skip: reason, Detail: detail})
}

func (w *walker) dir(ctx context.Context, abs, rel string) error {
	if w.onDir != nil {
		if err := w.onDir(abs, rel); err != nil {
			return err
		}
	}
	d, entries, err := readDir(abs)
	if err != nil {
		if rel == "" {
			return &RootError{Path: abs, Err: err}
		}
		return w.emit(ingest.Document{Key: rel + "/", Name: path.Base(rel), Err: fmt.Errorf("listing %s: %w", rel, err)})
	}
	defer d.Close() // kept open: files are looked at relative to it
	// The sidecars of this directory, by the name of their document.
	var sidecars map[string]fs.DirEntry
	for _, e := range entries {
		if base, ok := strings.CutSuffix(e.Name(), sidecarSuffix); ok && !e.IsDir() {
			if sidecars == nil {
				sidecars = map[string]fs.DirEntry{}
			}
			sidecars[base] = e
		}
	}
	var pre *prestat
	if w.yield != nil {
		pre = startPrestat(d, abs, entries)
		defer pre.wait() // runs before d.Close
	}
	for i, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := pre.get(i)
		if err := w.entry(ctx, d, abs, rel, e, sidecars, info, err); err != nil {
			return err
		}
	}
	return nil
}

// entry handles one directory entry; info is its look when the
// look-ahead took it already (or statErr, its failure).
func (w *walker) entry(ctx context.Context, d *os.File, abs, rel string, e fs.DirEntry, sidecars map[string]fs.DirEntry, info fs.FileInfo, statErr error) error {
	name := e.Name()
	relp, absp := path.Join(rel, name), filepath.Join(abs, name)
	isDir := e.IsDir()
	if w.yield == nil && !isDir && e.Type()&fs.ModeSymlink == 0 {
		return nil // directories only
	}
	if strings.HasPrefix(name, ".") {
		return w.skip(dirKey(relp, isDir), ingest.ReasonHidden, "dot-files and dot-directories are skipped")
	}
	err := statErr
	if err != nil {
		return w.yield(ingest.Document{Key: relp, Name: name, Err: fmt.Errorf("reading %s: %w", relp, err)})
	}
	if e.Type()&fs.ModeSymlink != 0 {
		if !w.s.follow {
			return w.skip(relp, ingest.ReasonSymlink, "symbolic links are not followed (follow_symlinks: true follows them)")
		}
		if info, err = os.Stat(absp); err != nil {
			return w.emit(ingest.Document{Key: relp, Name: name, Err: fmt.Errorf("following link %s: %w", relp, err)})
		}
		isDir = info.IsDir()
	}
	if isDir {
		return w.subdir(ctx, absp, relp, info)
	}
	if w.yield == nil {
		return nil
	}
	if info == nil {
		if info, err = lstatAt(d, abs, name); err != nil {
			return w.yield(ingest.Document{Key: relp, Name: name, Err: fmt.Errorf("reading %s: %w", relp, err)})
		}
	}
	if !info.Mode().IsRegular() {
		return w.skip(relp, ingest.ReasonNotRegular, fmt.Sprintf("not a regular file (%s): never opened", info.Mode().Type()))
	}
	var sidecar fs.FileInfo
	if sc, ok := sidecars[name]; ok {
		sidecar, _ = lstatAt(d, abs, sc.Name())
	}
	return w.s.file(ctx, abs, relp, info, sidecar, w.yield)
}

func (w *walker) subdir(ctx context.Context, absp, relp string, info fs.FileInfo) error {
	if w.s.rules.ExcludedDir(relp) {
		return w.skip(relp+"/", ingest.ReasonExcluded, "the directory matches an exclude pattern")
	}
	if info == nil {
		var err error
		if info, err = os.Stat(absp); err != nil {
			return w.emit(ingest.Document{Key: relp + "/", Name: path.Base(relp), Err: err})
		}
	}
	if w.depth >= maxDepth {
		return w.skip(relp+"/", ingest.ReasonLoop, fmt.Sprintf("deeper than %d directories", maxDepth))
	}
	w.depth++
	defer func() { w.depth-- }()
	id, ok := fileID(info)
	if ok {
		for _, a := range w.ancestors {
			if a == id {
				return w.skip(relp+"/", ingest.ReasonLoop, "the link leads back to a directory above it")
			}
		}
		w.ancestors = append(w.ancestors, id)
		defer func() { w.ancestors = w.ancestors[:len(w.ancestors)-1] }()
	}
	return w.dir(ctx, absp, relp)
}

func dirKey(rel string, isDir bool) string {
	if isDir {
		return rel + "/"
	}
	return rel
}

// file yields one regular file of the directory dirAbs; relp is its key,
// the path from the root.
func (s *Source) file(ctx context.Context, dirAbs, relp string, info, sidecar fs.FileInfo, yield func(ingest.Document) error) error {
	name := path.Base(relp)
	if s.links != nil && meta.IsLinkFile(name) {
		return s.linkFile(ctx, filepath.Join(dirAbs, name), relp, yield)
	}
	reason, detail, dName, ctype := s.rules.File(relp, info.Size())
	if reason != "" {
		return yield(ingest.Document{Key: relp, Name: name, Size: info.Size(), Skip: reason, Detail: detail})
	}
	f := &file{abs: filepath.Join(dirAbs, name), name: name, static: s.rules.Metadata,
		key: relp, size: info.Size(), modified: info.ModTime()}
	version := stamp(info)
	if sidecar != nil {
		f.sidecar = f.abs + sidecarSuffix
		version += ";sidecar=" + stamp(sidecar)
	}
	return yield(ingest.Document{
		Key: relp, Name: dName, ContentType: ctype, Size: info.Size(), Version: version, Content: f,
	})
}

// linkFile expands a link file into the documents of its pages.
func (s *Source) linkFile(ctx context.Context, abs, key string, yield func(ingest.Document) error) error {
	data, err := readLimited(abs, 1<<20)
	if err != nil {
		return yield(ingest.Document{Key: key, Name: path.Base(key), Err: fmt.Errorf("reading %s: %w", key, err)})
	}
	urls, err := meta.LinkFileURLs(key, data)
	if err != nil {
		return yield(ingest.Document{Key: key, Name: path.Base(key), Skip: ReasonBadLinkFile, Detail: err.Error()})
	}
	return s.links(ctx, key, urls, yield)
}

// stamp is a file's cheap version token: size and modification time.
func stamp(info fs.FileInfo) string {
	b := strconv.AppendInt(make([]byte, 0, 32), info.Size(), 10)
	b = append(b, ':')
	return string(strconv.AppendInt(b, info.ModTime().UnixNano(), 10))
}

// readDir opens a directory and lists it, sorted by name.
func readDir(abs string) (*os.File, []fs.DirEntry, error) {
	d, err := os.Open(abs)
	if err != nil {
		return nil, nil, err
	}
	entries, err := d.ReadDir(-1)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return d, entries, nil
}
