package ingest

import (
	"context"
	"io"

	"github.com/lanyingim/lanying-ingest/lanying"
	"github.com/lanyingim/lanying-ingest/uploader"
)

// DryRun wraps the three things a Syncer changes the world through, so
// that a run plans everything and changes nothing: no API call, no
// upload (the content is still read, to hash it), no state written. A
// document a real run would send ends as Sent, with Reason new or changed.
func DryRun(api API, up Uploader, store Store) (API, Uploader, Store) {
	return dryAPI{}, dryUploader{}, readOnlyStore{store}
}

// Reasons a document is sent.
const (
	ReasonNew     Reason = "new"     // never sent to this chatbot
	ReasonChanged Reason = "changed" // its content differs from what was sent
	ReasonForced  Reason = "forced"  // sent again because of --force
)

type dryAPI struct{}

func (dryAPI) UploadSlot(ctx context.Context, r lanying.SlotRequest) (*lanying.UploadSlot, error) {
	return &lanying.UploadSlot{UploadURL: "dry-run:", UploadMethod: "POST", DownloadURL: "dry-run:"}, nil
}
func (dryAPI) SendFile(ctx context.Context, m lanying.FileMessage) error { return nil }
func (dryAPI) SendLink(ctx context.Context, m lanying.LinkMessage) error { return nil }

// dryUploader reads the content (so that it is hashed, as in a real
// upload) and sends it nowhere.
type dryUploader struct{}

func (dryUploader) Upload(ctx context.Context, t uploader.Target, c uploader.Content) (uploader.Result, error) {
	rc, err := c.Open()
	if err != nil {
		return uploader.Result{}, &uploader.SourceError{Name: c.Name, Err: err}
	}
	defer rc.Close()
	if _, err := io.Copy(io.Discard, io.LimitReader(rc, c.Size)); err != nil {
		return uploader.Result{}, &uploader.SourceError{Name: c.Name, Err: err}
	}
	return uploader.Result{Status: 204}, nil
}

// readOnlyStore reads the real state and writes nothing.
type readOnlyStore struct{ Store }

func (readOnlyStore) Put(ctx context.Context, r Record) error                      { return nil }
func (readOnlyStore) Delete(ctx context.Context, target, source, key string) error { return nil }
