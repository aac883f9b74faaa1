package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
)

// process plans one document and, when it is new or changed, delivers it.
func (s *Syncer) process(ctx context.Context, srcID string, d Document) Result {
	start := time.Now()
	r := Result{Source: srcID, Key: d.Key, Name: d.Name}
	r = s.plan(ctx, srcID, d, r)
	r.Elapsed = time.Since(start)
	return r
}

// prehashLimit: documents up to this size are hashed before they are
// uploaded, so that a rename or a duplicate costs no upload; larger new
// documents are hashed while they upload and checked before the message.
const prehashLimit = 64 << 20

func (s *Syncer) plan(ctx context.Context, srcID string, d Document, r Result) Result {
	switch {
	case d.Skip != "":
		r.Outcome, r.Reason, r.Detail = Skipped, d.Skip, d.Detail
		return r
	case d.Err != nil:
		reason := ReasonSourceError
		var coded interface{ Reason() Reason }
		if errors.As(d.Err, &coded) {
			reason = coded.Reason()
		}
		return s.fail(ctx, srcID, d, Record{}, r, reason, d.Err)
	case d.Gone:
		return s.gone(ctx, srcID, d, r)
	}
	rec, found, err := s.store.Get(ctx, s.target.ID, srcID, d.Key)
	if err != nil {
		r.Outcome, r.Reason, r.Err = Failed, ReasonSourceError, fmt.Errorf("state lookup %s: %w", d.Key, err)
		return r
	}
	if s.opts.Force {
		r.Reason = ReasonForced
		return s.deliver(ctx, srcID, d, rec, "", r)
	}
	if found && rec.State == StateSent && rec.Version == d.Version {
		r.Outcome, r.Reason = Unchanged, ReasonUnchanged
		return r
	}
	r.Reason = ReasonNew
	if found && rec.SHA256 != "" {
		r.Reason = ReasonChanged
	}
	var known string // the content hash, when it is computed before uploading
	if d.Content != nil && !isRemote(d.Content) && (r.Reason == ReasonChanged || (s.opts.PrehashNew && d.Size <= prehashLimit)) {
		if known, err = hashContent(ctx, d.Content); err != nil {
			return s.fail(ctx, srcID, d, rec, r, ReasonSourceError, err)
		}
		if found && known == rec.SHA256 {
			// A touch, a copy over itself, or a file back after a
			// deletion: the chatbot has this content already.
			return s.confirm(ctx, d, rec, r)
		}
		if res, done := s.sameContent(ctx, srcID, d, known, r); done {
			return res
		}
	}
	return s.deliver(ctx, srcID, d, rec, known, r)
}

// confirm records that the chatbot has d's content already, under its
// new version token.
func (s *Syncer) confirm(ctx context.Context, d Document, rec Record, r Result) Result {
	rec.State, rec.Version, rec.Reason, rec.LastError, rec.Attempts = StateSent, d.Version, "", "", 0
	rec.UpdatedAt = time.Now()
	if err := s.store.Put(ctx, rec); err != nil {
		return s.fail(ctx, rec.Source, d, rec, r, ReasonSourceError, err)
	}
	r.Outcome, r.Reason = Unchanged, ReasonUnchanged
	return r
}

func isRemote(o Opener) bool {
	r, ok := o.(Remote)
	return ok && r.Remote()
}

// fail records a failed document and returns its result. A fatal error or
// an interrupted run is not the document's failure and is not recorded.
func (s *Syncer) fail(ctx context.Context, srcID string, d Document, rec Record, r Result, reason Reason, err error) Result {
	r.Outcome, r.Reason, r.Err = Failed, reason, err
	if IsFatal(err) || ctx.Err() != nil {
		return r
	}
	// SHA256 keeps the hash of the content last confirmed sent, if any.
	rec.Target, rec.Source, rec.Key, rec.State = s.target.ID, srcID, d.Key, StateFailed
	rec.Reason, rec.LastError, rec.Attempts, rec.UpdatedAt = reason, err.Error(), rec.Attempts+1, time.Now()
	if perr := s.store.Put(context.WithoutCancel(ctx), rec); perr != nil {
		r.Err = fmt.Errorf("%w (and recording the failure failed: %v)", err, perr)
	}
	return r
}

// hashContent reads a document once and returns its SHA-256.
func hashContent(ctx context.Context, o Opener) (string, error) {
	rc, err := o.Open(ctx)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
