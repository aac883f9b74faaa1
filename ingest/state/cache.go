package state

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/lanyingim/lanying-ingest/ingest"
)

// maxCached bounds the records held by the directory cache (about 25 MiB).
const maxCached = 100_000

// dirCache holds the records of recently read directories: a run looks up
// the files of a directory one after another, and one query per directory
// is far cheaper than one per file (each SQLite statement in WAL mode takes
// its locks with system calls). The process holds the database's lock, so
// it is the only writer: Put and Delete keep the cache exact.
type dirCache struct {
	mu    sync.Mutex
	dirs  map[string]map[string]ingest.Record // by scope+dir, then key
	order []string                            // loaded first, evicted first
	size  int
}

func newDirCache() *dirCache { return &dirCache{dirs: map[string]map[string]ingest.Record{}} }

// dirOf is the directory part of a key, with its trailing slash ("" at the top).
func dirOf(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i+1]
	}
	return ""
}

func scopeKey(target, source, dir string) string { return target + "\x00" + source + "\x00" + dir }

// lookup returns the record and whether the directory was cached at all.
func (c *dirCache) lookup(target, source, key string) (ingest.Record, bool, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	recs, cached := c.dirs[scopeKey(target, source, dirOf(key))]
	if !cached {
		return ingest.Record{}, false, false
	}
	r, found := recs[key]
	return r, found, true
}

func (c *dirCache) store(target, source, dir string, recs map[string]ingest.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := scopeKey(target, source, dir)
	if _, ok := c.dirs[k]; ok {
		return
	}
	c.dirs[k] = recs
	c.order = append(c.order, k)
	c.size += len(recs)
	for c.size > maxCached && len(c.order) > 1 {
		old := c.order[0]
		c.order = c.order[1:]
		c.size -= len(c.dirs[old])
		delete(c.dirs, old)
	}
}

// put and remove keep a cached directory in step with the database.
func (c *dirCache) put(r ingest.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if recs, ok := c.dirs[scopeKey(r.Target, r.Source, dirOf(r.Key))]; ok {
		if _, had := recs[r.Key]; !had {
			c.size++
		}
		recs[r.Key] = r
	}
}

func (c *dirCache) remove(target, source, key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if recs, ok := c.dirs[scopeKey(target, source, dirOf(key))]; ok {
		if _, had := recs[key]; had {
			c.size--
			delete(recs, key)
		}
	}
}

func (c *dirCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dirs, c.order, c.size = map[string]map[string]ingest.Record{}, nil, 0
}

// packedColumns renders a record as one string of length-prefixed fields
// ("5:a.txt..."), so that a whole directory comes back as one row: SQLite
// then walks the rows in its own loop, and the per-row cost of the driver
// is paid once per directory instead of once per file.
var packedColumns = func() string {
	cols := strings.Split(columns, ", ")
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "length(CAST(" + c + " AS BLOB)) || ':' || " + c
	}
	return strings.Join(parts, " || ")
}()

// loadDir reads the records of one directory (not of its subdirectories)
// with one range query on the primary key.
func (s *DB) loadDir(ctx context.Context, target, source, dir string) (map[string]ingest.Record, error) {
	q := `SELECT count(*), coalesce(group_concat(` + packedColumns + `, ''), '') FROM documents WHERE target = ? AND source = ? AND key >= ?`
	args := []any{target, source, dir}
	if dir != "" {
		// Keys of the directory sort between "dir/" and "dir0" ('0' follows '/').
		q += ` AND key < ?`
		args = append(args, dir[:len(dir)-1]+"0")
	}
	q += ` AND instr(substr(key, ?), '/') = 0`
	args = append(args, len(dir)+1)
	var n int
	var packed string
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n, &packed); err != nil {
		return nil, err
	}
	recs := make(map[string]ingest.Record, n)
	for packed != "" {
		var r ingest.Record
		var err error
		if r, packed, err = unpack(packed); err != nil {
			return nil, err
		}
		recs[r.Key] = r
	}
	return recs, nil
}

// unpack reads one record written by packedColumns.
func unpack(s string) (ingest.Record, string, error) {
	var f [13]string
	for i := range f {
		colon := strings.IndexByte(s, ':')
		n, err := strconv.Atoi(s[:max(colon, 0)])
		if colon < 0 || err != nil || colon+1+n > len(s) {
			return ingest.Record{}, "", fmt.Errorf("state: a packed record is malformed")
		}
		f[i], s = s[colon+1:colon+1+n], s[colon+1+n:]
	}
	num := func(v string) int64 { n, _ := strconv.ParseInt(v, 10, 64); return n }
	r := ingest.Record{Target: f[0], Source: f[1], Key: f[2], Version: f[3], SHA256: f[4], Size: num(f[5]),
		State: f[6], Reason: ingest.Reason(f[7]), Attempts: int(num(f[8])), LastError: f[9], TxID: num(f[10]),
		UpdatedAt: fromMillis(num(f[11])), SentAt: fromMillis(num(f[12]))}
	return r, s, nil
}
