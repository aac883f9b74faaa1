package bucket_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/rules"
)

// BenchmarkNoopResync100k re-syncs a bucket of 100,000 objects that are
// all unchanged: the listing alone (100 pages of 1,000) decides, with no
// GET or HEAD. The state is filled from one listing beforehand, as a first
// sync would have left it (sending 100,000 documents first would only
// slow the setup down).
//
//	go test -run '^$' -bench NoopResync100k -benchtime 3x ./ingest/bucket/
func BenchmarkNoopResync100k(b *testing.B) {
	const n = 100_000
	r := newRig(b)
	for i := range n {
		body := fmt.Sprintf("document %d", i)
		r.f.backend.PutObject("kb", fmt.Sprintf("docs/%03d/doc-%06d.md", i%1000, i), map[string]string{}, strings.NewReader(body), int64(len(body)), nil)
	}
	src := r.f.source(b, "s3://kb/docs/", 1000, rules.Options{})
	ctx := context.Background()
	c := r.emu.Config()
	target := ingest.Target{ID: "t", AdminUserID: c.AdminUserID, ChatbotID: c.ChatbotID}
	err := src.Walk(ctx, func(d ingest.Document) error {
		return r.store.Put(ctx, ingest.Record{Target: target.ID, Source: src.ID(), Key: d.Key, Version: d.Version,
			SHA256: "setup", State: ingest.StateSent, UpdatedAt: time.Now()})
	})
	if err != nil {
		b.Fatal(err)
	}
	syncer := ingest.NewSyncer(r.api, nil, r.store, target, ingest.Options{})
	gets, lists := r.f.count("get"), r.f.count("list")
	b.ResetTimer()
	for range b.N {
		sum := &ingest.Summary{}
		if err := syncer.Run(ctx, src, sum); err != nil {
			b.Fatal(err)
		}
		if sum.Counts.Unchanged != n {
			b.Fatalf("%+v", sum.Counts)
		}
	}
	b.StopTimer()
	if r.f.count("get") != gets || r.f.count("head") != 0 {
		b.Fatalf("objects were read: %d GET, %d HEAD", r.f.count("get")-gets, r.f.count("head"))
	}
	b.ReportMetric(float64(r.f.count("list")-lists)/float64(b.N), "list-requests/op")
	b.ReportMetric(float64(n)/b.Elapsed().Seconds()*float64(b.N), "objects/s")
}
