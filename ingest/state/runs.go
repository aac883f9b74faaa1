package state

import (
	"context"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest"
)

// Run is one run of one source to one target, as status shows it.
type Run struct {
	ID      int64
	Target  string
	Source  string
	Command string // sync or watch
	Started time.Time
	Ended   time.Time // zero while running (or if the run was killed)
	Outcome string    // running, ok, failed, stopped
	Counts  ingest.Counts
	Error   string
	Next    time.Time // a polled source: when it is read again
}

// StartRun records the start of a run and returns its id.
func (s *DB) StartRun(ctx context.Context, target, source, command string) (int64, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO runs (target, source, command, started_at) VALUES (?, ?, ?, ?)`,
		target, source, command, time.Now().UnixMilli())
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// EndRun records how a run ended.
func (s *DB) EndRun(ctx context.Context, id int64, outcome string, c ingest.Counts, errText string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE runs SET ended_at = ?, outcome = ?, sent = ?, unchanged = ?, skipped = ?,
		failed = ?, deleted = ?, error = ? WHERE id = ?`,
		time.Now().UnixMilli(), outcome, c.Sent, c.Unchanged, c.Skipped, c.Failed, c.Deleted, errText, id)
	return err
}

// RecordPoll records one reading of a polled source by the daemon, and
// when it comes next. Only the latest few per source are kept.
func (s *DB) RecordPoll(ctx context.Context, target, source string, started, ended, next time.Time, errText string) error {
	outcome := "ok"
	if errText != "" {
		outcome = "failed"
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO runs (target, source, command, started_at, ended_at, outcome, error, next_at)
		VALUES (?, ?, 'poll', ?, ?, ?, ?, ?)`, target, source, started.UnixMilli(), ended.UnixMilli(), outcome, errText, next.UnixMilli())
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM runs WHERE target = ? AND source = ? AND command = 'poll' AND id NOT IN
		(SELECT id FROM runs WHERE target = ? AND source = ? AND command = 'poll' ORDER BY id DESC LIMIT 10)`, target, source, target, source)
	return err
}

// LastRun returns the latest run of (target, source), if any.
func (s *DB) LastRun(ctx context.Context, target, source string) (Run, bool, error) {
	r := Run{Target: target, Source: source}
	var started, ended int64
	var next int64
	err := s.db.QueryRowContext(ctx, `SELECT id, command, started_at, ended_at, outcome, sent, unchanged, skipped, failed, deleted, error, next_at
		FROM runs WHERE target = ? AND source = ? ORDER BY started_at DESC, id DESC LIMIT 1`, target, source).
		Scan(&r.ID, &r.Command, &started, &ended, &r.Outcome, &r.Counts.Sent, &r.Counts.Unchanged, &r.Counts.Skipped,
			&r.Counts.Failed, &r.Counts.Deleted, &r.Error, &next)
	if err != nil {
		if isNoRows(err) {
			return Run{}, false, nil
		}
		return Run{}, false, err
	}
	r.Started, r.Ended, r.Next = fromMillis(started), fromMillis(ended), fromMillis(next)
	return r, true, nil
}

// Scope is one (target, source) pair with documents in the state.
type Scope struct {
	Target string
	Source string
	States map[string]int // documents by state: sent, sending, failed, deleted
}

// Scopes lists every (target, source) with its documents counted by state.
func (s *DB) Scopes(ctx context.Context) ([]Scope, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT target, source, state, count(*) FROM documents
		GROUP BY target, source, state
		UNION ALL SELECT DISTINCT target, source, '', 0 FROM runs
		ORDER BY 1, 2`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Scope
	for rows.Next() {
		var target, source, st string
		var n int
		if err := rows.Scan(&target, &source, &st, &n); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Target != target || out[len(out)-1].Source != source {
			out = append(out, Scope{Target: target, Source: source, States: map[string]int{}})
		}
		if st != "" {
			out[len(out)-1].States[st] += n
		}
	}
	return out, rows.Err()
}

// Failed returns the failed documents of (target, source), oldest first.
func (s *DB) Failed(ctx context.Context, target, source string) ([]ingest.Record, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns+` FROM documents
		WHERE target = ? AND source = ? AND state = ? ORDER BY key`, target, source, ingest.StateFailed)
	if err != nil {
		return nil, err
	}
	return collect(rows)
}

// Forget deletes the records of (source) under every target whose key is
// key, or every key when key is ""; the next run sends them again. It
// returns how many it deleted.
func (s *DB) Forget(ctx context.Context, source, key string) (int64, error) {
	q := `DELETE FROM documents WHERE source = ?`
	args := []any{source}
	if key != "" {
		q += ` AND key = ?`
		args = append(args, key)
	}
	res, err := s.db.ExecContext(ctx, q, args...)
	s.cache.clear()
	if err == nil { // a snapshot would still say "sent"
		_, err = s.db.ExecContext(ctx, `DELETE FROM snapshots WHERE source = ?`, source)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
