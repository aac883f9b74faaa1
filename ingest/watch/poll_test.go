package watch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/bucket"
	"github.com/lanyingim/lanying-ingest/ingest/state"
	"github.com/lanyingim/lanying-ingest/ingest/watch"
	"github.com/lanyingim/lanying-ingest/ingest/web"
	"github.com/lanyingim/lanying-ingest/lanying"
	"github.com/lanyingim/lanying-ingest/lanying/emulator"
	"github.com/lanyingim/lanying-ingest/uploader"
)

// TestWatchPollsSitesAndBuckets runs one daemon over a folder, a local
// site and a bucket: a change in each arrives within its interval, and a
// source that fails (a bucket that does not exist) stops none of them.
func TestWatchPollsSitesAndBuckets(t *testing.T) {
	var mu sync.Mutex
	pageText := "first version"
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<html><head><title>Page</title></head><body><main>%s</main></body></html>", pageText)
	}))
	defer site.Close()
	backend := s3mem.New()
	backend.CreateBucket("kb")
	put := func(key, body string) {
		backend.PutObject("kb", key, map[string]string{}, strings.NewReader(body), int64(len(body)), nil)
	}
	put("docs/a.md", "# A")
	s3srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer s3srv.Close()

	emu := emulator.New(emulator.Config{})
	apiSrv := httptest.NewServer(emu)
	defer apiSrv.Close()
	c := emu.Config()
	api, _ := lanying.NewClient(apiSrv.URL, c.AppID, c.AccessToken)
	store, err := state.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	r := &rig{t: t, root: t.TempDir(), emu: emu}
	r.write("local.md", "local")
	folder, _ := newFolder(r.root)
	siteSrc, err := web.New("web:site", web.Options{URLs: []string{site.URL + "/page"}, NoLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	bucketOpts := bucket.Options{Endpoint: s3srv.URL, PathStyle: true, Region: "us-east-1", AccessKeyID: "AKID", SecretAccessKey: "secret-key-123"}
	bucketSrc, _ := bucket.New(context.Background(), "s3://kb/docs", bucketOpts)
	missing, _ := bucket.New(context.Background(), "s3://no-such-bucket/", bucketOpts)

	var polls sync.Map
	target := ingest.Target{ID: "t", AdminUserID: c.AdminUserID, ChatbotID: c.ChatbotID}
	d := watch.New([]watch.Folder{folder}, []watch.Poller{
		{Source: siteSrc, Interval: 300 * time.Millisecond},
		{Source: bucketSrc, Interval: 300 * time.Millisecond},
		{Source: missing, Interval: 300 * time.Millisecond},
	}, api, uploader.New(nil), store, target, ingest.Options{}, watch.Options{
		Settle: 100 * time.Millisecond,
		OnPoll: func(p watch.Poll) { polls.Store(p.Source, p) },
	})
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- d.Run(context.Background(), stop, &ingest.Summary{Limit: 100}) }()
	defer func() { close(stop); <-done }()

	r.waitFor("the first documents of each source", func() bool { return len(emu.Documents()) == 3 })
	r.write("local.md", "local, edited")
	mu.Lock()
	pageText = "second version"
	mu.Unlock()
	put("docs/a.md", "# A, edited")
	put("docs/b.md", "# B")
	r.waitFor("a change in each source", func() bool { return len(emu.Documents()) == 7 })
	if p, ok := polls.Load(missing.ID()); !ok || p.(watch.Poll).Err == nil {
		t.Fatalf("the failing source was not reported: %+v", p)
	}
	if p, ok := polls.Load(bucketSrc.ID()); !ok || p.(watch.Poll).Err != nil || !p.(watch.Poll).Next.After(p.(watch.Poll).Ended) {
		t.Fatalf("bucket poll: %+v", p)
	}
}
