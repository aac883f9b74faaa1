package ingest

import (
	"context"
	"time"
)

// State values of a Record.
const (
	StateSending = "sending" // the message is being sent with TxID; not yet confirmed
	StateSent    = "sent"    // /message/send succeeded
	StateFailed  = "failed"  // the last attempt failed; retried next run
	StateDeleted = "deleted" // the document left its source (the chatbot keeps it)
)

// Record is what the state store keeps for one document of one source,
// delivered to one target.
type Record struct {
	Target    string // the chatbot: endpoint, app and chatbot id
	Source    string // Source.ID()
	Key       string // Document.Key
	Version   string // the version token last seen
	SHA256    string // the hash of the content last confirmed sent; "" if never
	Size      int64
	State     string // StateSending, StateSent or StateFailed
	Reason    Reason // for StateFailed
	Attempts  int    // failed runs in a row
	LastError string
	TxID      int64 // the transaction_id of the last send
	UpdatedAt time.Time
	SentAt    time.Time
}

// Store keeps one Record per document. It must be safe for concurrent use.
type Store interface {
	// Get returns the record of (target, source, key), or found == false.
	Get(ctx context.Context, target, source, key string) (rec Record, found bool, err error)
	// Put creates or replaces the record of (r.Target, r.Source, r.Key).
	Put(ctx context.Context, r Record) error
	// Delete removes a record; a missing one is not an error.
	Delete(ctx context.Context, target, source, key string) error
	// FindByHash returns the records of target whose sent content has the
	// hash sha256, in any source.
	FindByHash(ctx context.Context, target, sha256 string) ([]Record, error)
	// List calls fn with every record of (target, source) whose key starts
	// with prefix, in key order. fn may call the Store's other methods.
	List(ctx context.Context, target, source, prefix string, fn func(Record) error) error
}
