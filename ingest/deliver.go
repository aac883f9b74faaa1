package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/lanyingim/lanying-ingest/lanying"
	"github.com/lanyingim/lanying-ingest/uploader"
)

// deliver sends a new or changed document and records the outcome. known
// is its content hash when the plan had to compute it, else "".
func (s *Syncer) deliver(ctx context.Context, srcID string, d Document, rec Record, known string, r Result) Result {
	if d.Link != "" {
		return s.deliverLink(ctx, srcID, d, rec, r)
	}
	if d.Content == nil {
		return s.fail(ctx, srcID, d, rec, r, ReasonSourceError, errors.New("the source gave neither content nor a link"))
	}
	meta, err := s.metadata(ctx, d)
	if err != nil {
		return s.fail(ctx, srcID, d, rec, r, metadataReason(err), err)
	}
	meta["sha256"] = strings.Repeat("0", sha256.Size*2) // the final size, to fail before uploading
	if _, err := s.encodeMetadata(meta); err != nil {
		return s.fail(ctx, srcID, d, rec, r, ReasonMetadata, err)
	}
	hc := &hashingContent{o: d.Content, size: d.Size}
	var downloadURL string
	slotReq := lanying.SlotRequest{AdminUserID: s.target.AdminUserID, ChatbotID: s.target.ChatbotID}
	attempts, err := s.opts.Retry.Do(ctx, func(ctx context.Context) error {
		// Every attempt gets a fresh slot: slots are single-use and expire.
		// The slot is retried on its own, so that a failing slot request
		// and a failing upload do not add up against one budget.
		var slot *lanying.UploadSlot
		n, err := s.opts.Retry.Do(ctx, func(ctx context.Context) (err error) {
			slot, err = s.api.UploadSlot(ctx, slotReq)
			return err
		})
		r.Attempts += n - 1
		if err != nil {
			return &slotError{err}
		}
		downloadURL = slot.DownloadURL
		_, err = s.up.Upload(ctx, uploadTarget(slot), uploader.Content{Name: d.Name, Type: d.ContentType, Size: d.Size, Open: hc.opener(ctx)})
		return err
	})
	r.Attempts += attempts
	if err != nil {
		return s.fail(ctx, srcID, d, rec, r, uploadReason(err), err)
	}
	sum := hc.sum()
	if err := s.recheck(ctx, d, known, sum); err != nil {
		return s.fail(ctx, srcID, d, rec, r, ReasonChangedMidway, err)
	}
	if known == "" && !s.opts.Force {
		// Not hashed first (too large, or remote): check now, before the
		// message, whether the chatbot has this content already (the upload
		// is spent; the document is not posted twice).
		if rec.SHA256 == sum {
			return s.confirm(ctx, d, rec, r)
		}
		if res, done := s.sameContent(ctx, srcID, d, sum, r); done {
			return res
		}
	}
	meta["sha256"] = sum
	raw, err := s.encodeMetadata(meta)
	if err != nil {
		return s.fail(ctx, srcID, d, rec, r, ReasonMetadata, err)
	}
	msg := lanying.FileMessage{From: s.target.AdminUserID, To: s.target.ChatbotID, Name: d.Name, URL: downloadURL,
		Size: d.Size, Metadata: raw, TransactionID: s.txid(srcID, d.Key, sum)}
	return s.send(ctx, srcID, d, rec, r, sum, msg.TransactionID, func(ctx context.Context) error { return s.api.SendFile(ctx, msg) })
}

func (s *Syncer) deliverLink(ctx context.Context, srcID string, d Document, rec Record, r Result) Result {
	meta, err := s.metadata(ctx, d)
	if err != nil {
		return s.fail(ctx, srcID, d, rec, r, ReasonMetadata, err)
	}
	raw, err := s.encodeMetadata(meta)
	if err != nil {
		return s.fail(ctx, srcID, d, rec, r, ReasonMetadata, err)
	}
	sum := sha256.Sum256([]byte(d.Link + "\x00" + d.Version))
	h := hex.EncodeToString(sum[:])
	msg := lanying.LinkMessage{From: s.target.AdminUserID, To: s.target.ChatbotID, URL: d.Link, Metadata: raw,
		TransactionID: s.txid(srcID, d.Key, h)}
	return s.send(ctx, srcID, d, rec, r, h, msg.TransactionID, func(ctx context.Context) error { return s.api.SendLink(ctx, msg) })
}

// txid is the delivery's transaction id: the same for the same content of
// the same document to the same chatbot, so that repeats are absorbed; a
// forced run adds its nonce, so that its sends are new messages.
func (s *Syncer) txid(srcID, key, sum string) int64 {
	if s.opts.Force {
		return lanying.TransactionID(s.target.ID, srcID, key, sum, "force", s.opts.ForceNonce)
	}
	return lanying.TransactionID(s.target.ID, srcID, key, sum)
}

// send records the delivery as in flight, sends the message (retrying with
// the same transaction id), and records it as sent.
func (s *Syncer) send(ctx context.Context, srcID string, d Document, rec Record, r Result, sum string, txid int64, op func(context.Context) error) Result {
	rec.Target, rec.Source, rec.Key = s.target.ID, srcID, d.Key
	rec.State, rec.TxID, rec.Version, rec.Size, rec.UpdatedAt = StateSending, txid, d.Version, d.Size, time.Now()
	if err := s.store.Put(ctx, rec); err != nil {
		return s.fail(ctx, srcID, d, rec, r, ReasonSourceError, fmt.Errorf("recording the delivery: %w", err))
	}
	attempts, err := s.opts.Retry.Do(ctx, op)
	r.Attempts += attempts
	if err != nil {
		reason := ReasonSendFailed
		if errors.Is(err, ErrRetriesExhausted) {
			reason = ReasonRetriesSpent
		}
		return s.fail(ctx, srcID, d, rec, r, reason, err)
	}
	now := time.Now()
	rec.State, rec.SHA256, rec.SentAt, rec.UpdatedAt = StateSent, sum, now, now
	rec.Reason, rec.LastError, rec.Attempts = "", "", 0
	// The message is accepted: record it even if the run is being stopped.
	if err := s.store.Put(context.WithoutCancel(ctx), rec); err != nil {
		r.Outcome, r.Reason, r.Err = Failed, ReasonSourceError, fmt.Errorf("sent, but recording it failed (it will be re-sent with the same transaction id): %w", err)
		return r
	}
	r.Outcome, r.Bytes = Sent, d.Size
	return r
}

// recheck catches a document that changed while it was being read.
func (s *Syncer) recheck(ctx context.Context, d Document, known, sum string) error {
	if sum == "" {
		return fmt.Errorf("%s: the upload ended without reading the whole content", d.Key)
	}
	if known != "" && known != sum {
		return fmt.Errorf("%s changed while it was being sent; it is sent again on the next run", d.Key)
	}
	if rc, ok := d.Content.(Rechecker); ok {
		v, err := rc.CurrentVersion(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", d.Key, err)
		}
		if v != d.Version {
			return fmt.Errorf("%s changed while it was being sent; it is sent again on the next run", d.Key)
		}
	}
	return nil
}

// slotError is a slot request that failed for good: the upload's retry
// loop must not retry it again.
type slotError struct{ err error }

func (e *slotError) Error() string   { return e.err.Error() }
func (e *slotError) Unwrap() error   { return e.err }
func (e *slotError) Transient() bool { return false }

func metadataReason(err error) Reason {
	var ce *ContentError
	if errors.As(err, &ce) {
		return ReasonSourceError
	}
	return ReasonMetadata
}

func uploadReason(err error) Reason {
	var se *uploader.SourceError
	var slot *slotError
	switch {
	case errors.As(err, &se):
		return ReasonSourceError
	case errors.As(err, &slot):
		return ReasonSlotFailed
	case errors.Is(err, ErrRetriesExhausted):
		return ReasonRetriesSpent
	}
	return ReasonUploadFailed
}

func uploadTarget(s *lanying.UploadSlot) uploader.Target {
	t := uploader.Target{URL: s.UploadURL, Method: s.UploadMethod}
	for _, f := range s.Fields {
		t.Fields = append(t.Fields, uploader.Field{Name: f.Name, Value: f.Value})
	}
	return t
}

// hashingContent hashes the bytes an upload reads, so that a new document
// is read once, not once to hash and once to send.
type hashingContent struct {
	o    Opener
	size int64
	mu   sync.Mutex
	hex  string
}

func (h *hashingContent) opener(ctx context.Context) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) {
		rc, err := h.o.Open(ctx)
		if err != nil {
			return nil, err
		}
		hr := &hashReader{rc: rc, h: sha256.New(), parent: h}
		if h.size == 0 {
			hr.finish()
		}
		return hr, nil
	}
}

func (h *hashingContent) sum() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hex
}

// hashReader hashes what it reads; when it has read the announced size
// (what the upload sends), that hash is the content's.
type hashReader struct {
	rc     io.ReadCloser
	h      hash.Hash
	n      int64
	parent *hashingContent
}

func (r *hashReader) Read(p []byte) (int, error) {
	n, err := r.rc.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	if r.n == r.parent.size && n > 0 {
		r.finish()
	}
	return n, err
}

func (r *hashReader) finish() {
	r.parent.mu.Lock()
	r.parent.hex = hex.EncodeToString(r.h.Sum(nil))
	r.parent.mu.Unlock()
}

func (r *hashReader) Close() error { return r.rc.Close() }
