package dir

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/meta"
)

// maxSidecar bounds how much of a sidecar is read; larger ones fail the
// metadata size limit anyway.
const maxSidecar = 1 << 20

// file is the content of one document of a folder.
type file struct {
	abs      string
	name     string // the original base name
	sidecar  string // path of its sidecar, or ""
	static   map[string]any
	key      string // the facts, rendered only for a document that is sent
	size     int64
	modified time.Time
}

var (
	_ ingest.Opener    = (*file)(nil)
	_ ingest.Describer = (*file)(nil)
	_ ingest.Rechecker = (*file)(nil)
)

// Open opens the file for reading; it refuses anything but a regular file
// (a FIFO put in its place must not hang the run).
func (f *file) Open(ctx context.Context) (io.ReadCloser, error) {
	return openRegular(f.abs)
}

// Describe returns the title, the folder's static metadata and the
// sidecar's, each overriding the one before, and then the facts (source,
// modified, size), which nothing overrides.
func (f *file) Describe(ctx context.Context) (map[string]any, error) {
	m := map[string]any{"title": f.name}
	if meta.HasTitle(f.name) {
		prefix, err := f.prefix()
		if err != nil {
			return nil, &ingest.ContentError{Err: err}
		}
		m["title"] = meta.Title(f.name, prefix)
	}
	maps.Copy(m, f.static)
	if f.sidecar != "" {
		b, err := readLimited(f.sidecar, maxSidecar)
		if err != nil {
			return nil, fmt.Errorf("sidecar %s: %w", f.sidecar, err)
		}
		sc, err := meta.ParseSidecar(b)
		if err != nil {
			return nil, fmt.Errorf("sidecar %s: %w", f.sidecar, err)
		}
		maps.Copy(m, sc)
	}
	m["source"], m["modified"], m["size"] = f.key, f.modified.UTC().Format(time.RFC3339), f.size
	return m, nil
}

func (f *file) prefix() ([]byte, error) {
	return readLimited(f.abs, meta.PrefixSize)
}

// CurrentVersion stats the file (and its sidecar) again.
func (f *file) CurrentVersion(ctx context.Context) (string, error) {
	info, err := os.Stat(f.abs)
	if err != nil {
		return "", err
	}
	v := stamp(info)
	if f.sidecar != "" {
		if si, err := os.Stat(f.sidecar); err == nil {
			v += ";sidecar=" + stamp(si)
		}
	}
	return v, nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	rc, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, limit))
}
