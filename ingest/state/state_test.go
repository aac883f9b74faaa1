package state_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/state"
)

func TestPutGetSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "state.db")
	db, err := state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := db.Get(ctx, "t", "s", "k"); found || err != nil {
		t.Fatalf("empty db: found=%v err=%v", found, err)
	}
	now := time.Now().Truncate(time.Millisecond)
	rec := ingest.Record{Target: "t", Source: "s", Key: "k", Version: "1:2", SHA256: "ab", Size: 3,
		State: ingest.StateSent, TxID: 42, UpdatedAt: now, SentAt: now}
	if err := db.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	rec.Attempts, rec.State, rec.LastError, rec.Reason = 2, ingest.StateFailed, "boom", ingest.ReasonSendFailed
	if err := db.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = state.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, found, err := db.Get(ctx, "t", "s", "k")
	if err != nil || !found {
		t.Fatalf("found=%v err=%v", found, err)
	}
	if got.Version != "1:2" || got.SHA256 != "ab" || got.Attempts != 2 || got.State != ingest.StateFailed ||
		got.LastError != "boom" || got.Reason != ingest.ReasonSendFailed || got.TxID != 42 || !got.SentAt.Equal(now) {
		t.Fatalf("got %+v", got)
	}
	if _, found, _ := db.Get(ctx, "other-target", "s", "k"); found {
		t.Fatal("records leak across targets")
	}
}

func TestNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	os.WriteFile(path, []byte("this is not sqlite, just text that is long enough to have a header............."), 0o600)
	if _, err := state.Open(context.Background(), path); err == nil {
		t.Fatal("opened a text file as a state database")
	}
}
