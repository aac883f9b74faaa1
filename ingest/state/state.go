// Package state is the state store: an embedded SQLite database (pure Go,
// no cgo) with one row per document and target, so that a run knows what
// the chatbot already has.
package state

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// schemaVersion is stored in PRAGMA user_version.
const schemaVersion = 4

const schema = `
CREATE TABLE IF NOT EXISTS documents (
	target     TEXT    NOT NULL,
	source     TEXT    NOT NULL,
	key        TEXT    NOT NULL,
	version    TEXT    NOT NULL DEFAULT '',
	sha256     TEXT    NOT NULL DEFAULT '',
	size       INTEGER NOT NULL DEFAULT 0,
	state      TEXT    NOT NULL,
	reason     TEXT    NOT NULL DEFAULT '',
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT    NOT NULL DEFAULT '',
	txid       INTEGER NOT NULL DEFAULT 0,
	updated_at INTEGER NOT NULL DEFAULT 0,
	sent_at    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (target, source, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS documents_by_hash ON documents (target, sha256);
CREATE TABLE IF NOT EXISTS runs (
	id         INTEGER PRIMARY KEY,
	target     TEXT    NOT NULL,
	source     TEXT    NOT NULL,
	command    TEXT    NOT NULL DEFAULT '',
	started_at INTEGER NOT NULL,
	ended_at   INTEGER NOT NULL DEFAULT 0,
	outcome    TEXT    NOT NULL DEFAULT 'running',
	sent       INTEGER NOT NULL DEFAULT 0,
	unchanged  INTEGER NOT NULL DEFAULT 0,
	skipped    INTEGER NOT NULL DEFAULT 0,
	failed     INTEGER NOT NULL DEFAULT 0,
	deleted    INTEGER NOT NULL DEFAULT 0,
	error      TEXT    NOT NULL DEFAULT '',
	next_at    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_by_source ON runs (target, source, started_at);
CREATE TABLE IF NOT EXISTS snapshots (
	target TEXT NOT NULL,
	source TEXT NOT NULL,
	data   BLOB NOT NULL,
	PRIMARY KEY (target, source)
) WITHOUT ROWID;
`

// DB is a state database. It implements ingest.Store.
type DB struct {
	readOnly bool
	unlock   func() error
	db       *sql.DB
	get      *sql.Stmt
	put      *sql.Stmt
	del      *sql.Stmt
	hash     *sql.Stmt
	path     string
	cache    *dirCache
}

var _ ingest.Store = (*DB)(nil)

// LockedError is a state database in use by another run (cron fired
// while the last run still works, or a daemon runs on the same state).
type LockedError struct {
	Path string
	PID  int // the other process, when known
}

func (e *LockedError) Error() string {
	who := "another lanying-ingest"
	if e.PID > 0 {
		who += fmt.Sprintf(" (pid %d)", e.PID)
	}
	return fmt.Sprintf("state database %s is in use by %s", strings.TrimSuffix(e.Path, ".lock"), who)
}

// Hint says what to do.
func (e *LockedError) Hint() string {
	return "wait for the other run to finish, or give this one its own --state"
}

// Open opens (creating if needed) the state database at path, and locks
// it for this process: a second Open of the same path, by any process,
// fails with a *LockedError until Close.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("state database %s: %w", path, err)
	}
	unlock, err := lock(path + ".lock")
	if err != nil {
		var le *LockedError
		if errors.As(err, &le) {
			return nil, le
		}
		return nil, fmt.Errorf("state database %s: locking: %w", path, err)
	}
	db, err := open(ctx, path)
	if err != nil {
		unlock()
		return nil, err
	}
	db.unlock = unlock
	return db, nil
}

// OpenReadOnly opens the state database for reading, without the lock:
// status works while a sync or a daemon runs (SQLite's WAL lets readers
// and one writer go together).
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("state database %s: %w", path, err)
	}
	return openDSN(ctx, path, "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&_pragma=busy_timeout(10000)", true)
}

func open(ctx context.Context, path string) (*DB, error) {
	return openDSN(ctx, path, "file:"+(&url.URL{Path: path}).EscapedPath()+
		"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-32768)&_pragma=temp_store(MEMORY)", false)
}

func openDSN(ctx context.Context, path, dsn string, readOnly bool) (*DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("state database %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and a single connection
	// never meets SQLITE_BUSY from itself.
	db.SetMaxOpenConns(1)
	s := &DB{db: db, path: path, readOnly: readOnly, cache: newDirCache()}
	if err := s.init(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("state database %s: %w", path, err)
	}
	return s, nil
}

func (s *DB) init(ctx context.Context) error {
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("not a state database (%w)", err)
	}
	if v > schemaVersion {
		return fmt.Errorf("written by a newer lanying-ingest (schema %d, this one knows %d)", v, schemaVersion)
	}
	if v < schemaVersion {
		if s.readOnly {
			return fmt.Errorf("schema %d is older than this lanying-ingest's %d: run sync once to upgrade it", v, schemaVersion)
		}
		if _, err := s.db.ExecContext(ctx, schema); err != nil {
			return err
		}
		if v == 2 { // schema 3 added when a polled source is read next
			if _, err := s.db.ExecContext(ctx, `ALTER TABLE runs ADD COLUMN next_at INTEGER NOT NULL DEFAULT 0`); err != nil {
				return err
			}
		}
		if _, err := s.db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
			return err
		}
	}
	var err error
	if s.get, err = s.db.PrepareContext(ctx, `SELECT `+columns+` FROM documents WHERE target = ? AND source = ? AND key = ?`); err != nil {
		return err
	}
	s.put, err = s.db.PrepareContext(ctx, `INSERT INTO documents
		(target, source, key, version, sha256, size, state, reason, attempts, last_error, txid, updated_at, sent_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (target, source, key) DO UPDATE SET version = excluded.version, sha256 = excluded.sha256,
		size = excluded.size, state = excluded.state, reason = excluded.reason, attempts = excluded.attempts,
		last_error = excluded.last_error, txid = excluded.txid, updated_at = excluded.updated_at, sent_at = excluded.sent_at`)
	if err != nil {
		return err
	}
	if s.del, err = s.db.PrepareContext(ctx, `DELETE FROM documents WHERE target = ? AND source = ? AND key = ?`); err != nil {
		return err
	}
	// INDEXED BY: without it SQLite may prefer the primary key for an
	// ORDER BY and scan every document of the target for each lookup.
	s.hash, err = s.db.PrepareContext(ctx, `SELECT `+columns+` FROM documents INDEXED BY documents_by_hash WHERE target = ? AND sha256 = ?`)
	return err
}

// columns are a record's columns, in scanRecord's order.
const columns = `target, source, key, version, sha256, size, state, reason, attempts, last_error, txid, updated_at, sent_at`

type scanner interface{ Scan(dest ...any) error }

func scanRecord(row scanner) (ingest.Record, error) {
	var r ingest.Record
	var reason string
	var updated, sent int64
	err := row.Scan(&r.Target, &r.Source, &r.Key, &r.Version, &r.SHA256, &r.Size, &r.State,
		&reason, &r.Attempts, &r.LastError, &r.TxID, &updated, &sent)
	r.Reason, r.UpdatedAt, r.SentAt = ingest.Reason(reason), fromMillis(updated), fromMillis(sent)
	return r, err
}

// Delete removes a record.
func (s *DB) Delete(ctx context.Context, target, source, key string) error {
	_, err := s.del.ExecContext(ctx, target, source, key)
	s.cache.remove(target, source, key)
	return err
}

// FindByHash returns the records of target whose content hash is sum.
func (s *DB) FindByHash(ctx context.Context, target, sum string) ([]ingest.Record, error) {
	if sum == "" {
		return nil, nil
	}
	rows, err := s.hash.QueryContext(ctx, target, sum)
	if err != nil {
		return nil, err
	}
	recs, err := collect(rows)
	slices.SortFunc(recs, func(a, b ingest.Record) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.Key, b.Key))
	})
	return recs, err
}

// List calls fn with the records of (target, source) under prefix. They
// are read first, so fn may use the database.
func (s *DB) List(ctx context.Context, target, source, prefix string, fn func(ingest.Record) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns+` FROM documents
		WHERE target = ? AND source = ? AND substr(key, 1, ?) = ? ORDER BY key`, target, source, len(prefix), prefix)
	if err != nil {
		return err
	}
	recs, err := collect(rows)
	if err != nil {
		return err
	}
	for _, r := range recs {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func collect(rows *sql.Rows) ([]ingest.Record, error) {
	defer rows.Close()
	var out []ingest.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Path is the database file.
func (s *DB) Path() string { return s.path }

// Close closes the database and releases its lock.
func (s *DB) Close() error {
	err := s.db.Close()
	if s.unlock != nil {
		_ = s.unlock()
	}
	return err
}

// Get returns the record of a document. The first lookup in a directory
// reads the whole directory's records; the others are answered from them.
func (s *DB) Get(ctx context.Context, target, source, key string) (ingest.Record, bool, error) {
	if r, found, cached := s.cache.lookup(target, source, key); cached {
		return r, found, nil
	}
	if s.readOnly {
		return s.getOne(ctx, target, source, key)
	}
	recs, err := s.loadDir(ctx, target, source, dirOf(key))
	if err != nil {
		return ingest.Record{}, false, err
	}
	s.cache.store(target, source, dirOf(key), recs)
	r, found := recs[key]
	return r, found, nil
}

func (s *DB) getOne(ctx context.Context, target, source, key string) (ingest.Record, bool, error) {
	r, err := scanRecord(s.get.QueryRowContext(ctx, target, source, key))
	if errors.Is(err, sql.ErrNoRows) {
		return ingest.Record{}, false, nil
	}
	if err != nil {
		return ingest.Record{}, false, err
	}
	return r, true, nil
}

// Put creates or replaces a record.
func (s *DB) Put(ctx context.Context, r ingest.Record) error {
	_, err := s.put.ExecContext(ctx, r.Target, r.Source, r.Key, r.Version, r.SHA256, r.Size, r.State,
		string(r.Reason), r.Attempts, r.LastError, r.TxID, millis(r.UpdatedAt), millis(r.SentAt))
	if err == nil {
		s.cache.put(r)
	}
	return err
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
