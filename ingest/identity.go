package ingest

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Exister is a Source that can tell whether a key still exists, which
// tells a rename (the old key is gone) from a copy (it is not).
type Exister interface {
	Exists(ctx context.Context, key string) (bool, error)
}

// sameContent handles a new or changed document whose content hash the
// chatbot already has under another key: a rename within the same source
// moves the record and sends nothing; otherwise it is a duplicate, skipped
// unless duplicates are allowed. done is false when neither applies.
func (s *Syncer) sameContent(ctx context.Context, srcID string, d Document, sum string, r Result) (Result, bool) {
	recs, err := s.store.FindByHash(ctx, s.target.ID, sum)
	if err != nil || len(recs) == 0 {
		return r, false
	}
	var dup *Record
	for i := range recs {
		old := recs[i]
		if old.Key == d.Key && old.Source == srcID {
			continue
		}
		if old.Source == srcID && s.keyGone(ctx, srcID, old) {
			return s.rename(ctx, srcID, d, old, sum, r), true
		}
		if old.State == StateSent && dup == nil {
			dup = &recs[i]
		}
	}
	if dup == nil || s.opts.AllowDuplicates {
		return r, false
	}
	r.Outcome, r.Reason = Skipped, ReasonDuplicate
	r.Detail = fmt.Sprintf("the chatbot has the same content as %s", dup.Key)
	if dup.Source != srcID {
		r.Detail += " (source " + dup.Source + ")"
	}
	return r, true
}

// keyGone reports whether the record's document has left its source.
func (s *Syncer) keyGone(ctx context.Context, srcID string, old Record) bool {
	if old.State == StateDeleted {
		return true
	}
	ex, ok := s.src(srcID).(Exister)
	if !ok {
		return false
	}
	exists, err := ex.Exists(ctx, old.Key)
	return err == nil && !exists
}

// rename moves the record of old to d: same content, new key, no upload.
func (s *Syncer) rename(ctx context.Context, srcID string, d Document, old Record, sum string, r Result) Result {
	now := time.Now()
	rec := Record{Target: s.target.ID, Source: srcID, Key: d.Key, Version: d.Version, SHA256: sum, Size: d.Size,
		State: StateSent, TxID: old.TxID, SentAt: old.SentAt, UpdatedAt: now}
	if err := s.store.Put(ctx, rec); err != nil {
		return s.fail(ctx, srcID, d, Record{}, r, ReasonSourceError, err)
	}
	if err := s.store.Delete(ctx, s.target.ID, old.Source, old.Key); err != nil {
		return s.fail(ctx, srcID, d, rec, r, ReasonSourceError, err)
	}
	r.Outcome, r.Reason, r.Detail = Unchanged, ReasonRenamed, "renamed from "+old.Key
	return r
}

// gone records that a document left its source: a key ending in "/" is a
// whole directory, one ending in "#" a link file and every page it named.
// The chatbot keeps them: the API cannot delete.
func (s *Syncer) gone(ctx context.Context, srcID string, d Document, r Result) Result {
	var recs []Record
	if strings.HasSuffix(d.Key, "/") || strings.HasSuffix(d.Key, "#") {
		err := s.store.List(ctx, s.target.ID, srcID, d.Key, func(rec Record) error {
			recs = append(recs, rec)
			return nil
		})
		if err != nil {
			return s.fail(ctx, srcID, d, Record{}, r, ReasonSourceError, err)
		}
	} else if rec, found, err := s.store.Get(ctx, s.target.ID, srcID, d.Key); err != nil {
		return s.fail(ctx, srcID, d, Record{}, r, ReasonSourceError, err)
	} else if found {
		recs = append(recs, rec)
	}
	n := 0
	for _, rec := range recs {
		if rec.State == StateDeleted {
			continue
		}
		rec.State, rec.UpdatedAt = StateDeleted, time.Now()
		if err := s.store.Put(ctx, rec); err != nil {
			return s.fail(ctx, srcID, d, Record{}, r, ReasonSourceError, err)
		}
		n++
	}
	r.Outcome = Noop
	if n > 0 {
		r.Outcome, r.Reason = Deleted, ReasonDeleted
		r.Detail = fmt.Sprintf("%d document(s) left the source; the chatbot keeps them (the API cannot delete)", n)
	}
	return r
}
