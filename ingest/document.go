// Package ingest moves documents from sources into a chatbot: a Source
// streams Documents, the plan compares each with the state Store (unchanged
// documents cost one lookup and no read), and a bounded pool of workers
// delivers what is new or changed (slot, upload, file message; or a link
// message) and records the outcome. Every document ends as sent, unchanged,
// skipped (with a reason) or failed (with an error).
package ingest

import (
	"context"
	"io"
)

// Document is one item a Source yields. Exactly one of Content, Link, Skip
// and Err says what it is.
type Document struct {
	Key         string         // stable within the source: docs/guide.md, https://site/page, s3://b/k
	Name        string         // dName: the file name the chatbot sees
	ContentType string         // the file part's content type
	Size        int64          // bytes Content yields
	Version     string         // cheap version token: size+mtime, ETag, Last-Modified
	Metadata    map[string]any // facts known from the listing (source, size, modified); they win over described metadata
	Content     Opener         // the bytes of a file document
	Link        string         // the https:// URL of a link document
	Skip        Reason         // set when a rule skipped the document
	Detail      string         // why, in words, for a skip
	Err         error          // set when the source failed on this document
	Gone        bool           // the document (a key ending in "/": a directory) left the source
	SourceID    string         // for a Multi source: the ID of the part it comes from
}

// Source yields documents as a stream; it never holds a whole listing.
type Source interface {
	// ID names the source in the state store; it must stay the same across
	// runs (for a folder: its absolute path).
	ID() string
	// Walk calls yield for every document, in a stable order, until it has
	// seen them all or yield returns an error, which Walk then returns.
	// Walk returns an error of its own only when the whole source failed
	// (the folder does not exist); a problem with one document is that
	// document's Err.
	Walk(ctx context.Context, yield func(Document) error) error
}

// Multi is a Source that yields the documents of several sources (a
// daemon watching several folders through one delivery pool); each
// Document's SourceID names its part.
type Multi interface {
	Source
	Parts() []Source
}

// Opener opens a document's bytes.
type Opener interface {
	// Open returns a fresh reader positioned at the start; it is called
	// once for hashing and once per upload attempt.
	Open(ctx context.Context) (io.ReadCloser, error)
}

// Describer is an Opener that also has metadata that costs a read (a title
// from the content, a sidecar file). It is only called for documents that
// are delivered.
type Describer interface {
	Describe(ctx context.Context) (map[string]any, error)
}

// Remote is an Opener whose every read costs a request (an object store):
// the plan does not read it once to hash and once to send, but hashes
// while it uploads and checks for unchanged content before the message.
type Remote interface {
	Remote() bool
}

// Rechecker is an Opener that can tell its current version token, to catch
// a document that changed while it was being sent.
type Rechecker interface {
	CurrentVersion(ctx context.Context) (string, error)
}

// Reason is a machine-readable code for why a document was not sent.
type Reason string

// Reasons for skipped documents. Sources may add their own.
const (
	ReasonUnchanged   Reason = "unchanged"         // sent before with the same content
	ReasonHidden      Reason = "hidden"            // a dot-file or inside a dot-directory
	ReasonSymlink     Reason = "symlink"           // symbolic links are not followed
	ReasonEmpty       Reason = "empty"             // zero bytes
	ReasonTooLarge    Reason = "too_large"         // over max_file_size
	ReasonUnsupported Reason = "unsupported_type"  // the chatbot does not accept the extension
	ReasonExcluded    Reason = "excluded"          // matched an exclude pattern
	ReasonNotIncluded Reason = "not_included"      // matched no include pattern
	ReasonSidecar     Reason = "sidecar"           // a metadata sidecar, merged into its document
	ReasonNotRegular  Reason = "not_regular"       // a FIFO, socket or device: never opened
	ReasonLoop        Reason = "symlink_loop"      // a followed link leads back into the tree
	ReasonDuplicate   Reason = "duplicate_content" // the chatbot has the same bytes under another key
	ReasonRenamed     Reason = "renamed"           // same content under a new key: the record moved, nothing sent
	ReasonDeleted     Reason = "deleted"           // the document left the source
)

// Reasons for failed documents.
const (
	ReasonSourceError   Reason = "source_error"          // the source could not read it
	ReasonMetadata      Reason = "bad_metadata"          // sidecar or metadata invalid or too large
	ReasonUploadFailed  Reason = "upload_failed"         // storage refused the bytes
	ReasonSendFailed    Reason = "send_failed"           // /message/send refused the message
	ReasonChangedMidway Reason = "changed_during_upload" // re-sent on the next run
	ReasonRetriesSpent  Reason = "retries_exhausted"     // transient failures did not clear
	ReasonSlotFailed    Reason = "slot_failed"           // no upload slot
)

// Outcome is how a document ended in a run.
type Outcome string

// Outcomes.
const (
	Sent      Outcome = "sent"
	Unchanged Outcome = "unchanged"
	Skipped   Outcome = "skipped"
	Failed    Outcome = "failed"
	Deleted   Outcome = "deleted" // recorded as gone from the source
	Noop      Outcome = "noop"    // nothing to do or report (a temporary file came and went)
)
