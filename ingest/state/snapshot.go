package state

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
)

// LoadSnapshot returns the versions a complete run left sent for
// (target, source), or nil.
func (s *DB) LoadSnapshot(ctx context.Context, target, source string) (map[string]string, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, `SELECT data FROM snapshots WHERE target = ? AND source = ?`, target, source).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeSnapshot(data)
}

// SaveSnapshot replaces the snapshot of (target, source).
func (s *DB) SaveSnapshot(ctx context.Context, target, source string, versions map[string]string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO snapshots (target, source, data) VALUES (?, ?, ?)
		ON CONFLICT (target, source) DO UPDATE SET data = excluded.data`, target, source, encodeSnapshot(versions))
	return err
}

// encodeSnapshot writes key and version pairs, each string length-prefixed.
func encodeSnapshot(versions map[string]string) []byte {
	n := 0
	for k, v := range versions {
		n += len(k) + len(v) + 2*binary.MaxVarintLen32
	}
	b := make([]byte, 0, n)
	for k, v := range versions {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	return b
}

func decodeSnapshot(b []byte) (map[string]string, error) {
	m := map[string]string{}
	next := func() (string, bool) {
		n, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < n {
			return "", false
		}
		s := string(b[w : w+int(n)])
		b = b[w+int(n):]
		return s, true
	}
	for len(b) > 0 {
		k, ok1 := next()
		v, ok2 := next()
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("state: a snapshot is malformed")
		}
		m[k] = v
	}
	return m, nil
}
