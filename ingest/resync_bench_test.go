package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/dir"
	"github.com/lanyingim/lanying-ingest/ingest/state"
	"github.com/lanyingim/lanying-ingest/uploader"
)

// BenchmarkNoopResync re-syncs a folder of 20,000 files in which nothing
// changed: one stat and one state lookup a file, no read.
//
//	go test -run '^$' -bench NoopResync -benchtime 5x ./ingest/
func BenchmarkNoopResync(b *testing.B) {
	const n = 20_000
	root := filepath.Join(os.TempDir(), "lanying-ingest-resync-bench")
	if _, err := os.Stat(filepath.Join(root, ".complete")); err != nil {
		for i := range n {
			p := filepath.Join(root, fmt.Sprintf("d%03d", i%200), fmt.Sprintf("f%05d.txt", i))
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte(fmt.Sprintf("file %d", i)), 0o644)
		}
		os.WriteFile(filepath.Join(root, ".complete"), nil, 0o644)
	}
	ctx := context.Background()
	store, err := state.Open(ctx, filepath.Join(b.TempDir(), "s.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	src, _ := dir.New(root, dir.Options{})
	target := ingest.Target{ID: "t"}
	src.Walk(ctx, func(d ingest.Document) error {
		if d.Content != nil {
			return store.Put(ctx, ingest.Record{Target: "t", Source: src.ID(), Key: d.Key, Version: d.Version, SHA256: "x", State: ingest.StateSent})
		}
		return nil
	})
	s := ingest.NewSyncer(nil, uploader.New(nil), store, target, ingest.Options{})
	b.ResetTimer()
	for range b.N {
		sum := &ingest.Summary{}
		if err := s.Run(ctx, src, sum); err != nil || sum.Counts.Unchanged != n {
			b.Fatalf("%v %+v", err, sum.Counts)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/file")
}
