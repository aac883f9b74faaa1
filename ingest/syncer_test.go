package ingest_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/dir"
	"github.com/lanyingim/lanying-ingest/ingest/rules"
	"github.com/lanyingim/lanying-ingest/ingest/state"
	"github.com/lanyingim/lanying-ingest/lanying"
	"github.com/lanyingim/lanying-ingest/lanying/emulator"
	"github.com/lanyingim/lanying-ingest/uploader"
)

// harness is the real pipeline against the emulator over HTTP, with a
// real state database. middleware, if set, sits in front of the emulator.
type harness struct {
	t     testing.TB
	emu   *emulator.Emulator
	store *state.DB
	api   *lanying.Client
	opts  ingest.Options
	root  string
}

func newHarness(t testing.TB, middleware func(http.Handler) http.Handler, token string) *harness {
	t.Helper()
	h := &harness{t: t, emu: emulator.New(emulator.Config{})}
	var handler http.Handler = h.emu
	if middleware != nil {
		handler = middleware(h.emu)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	c := h.emu.Config()
	if token == "" {
		token = c.AccessToken
	}
	var err error
	if h.api, err = lanying.NewClient(srv.URL, c.AppID, token); err != nil {
		t.Fatal(err)
	}
	if h.store, err = state.Open(context.Background(), filepath.Join(t.TempDir(), "state.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.store.Close() })
	h.opts = ingest.Options{Retry: ingest.RetryPolicy{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}}
	h.root = t.TempDir()
	return h
}

func (h *harness) write(rel, content string) {
	h.t.Helper()
	p := filepath.Join(h.root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) run(o dir.Options) (*ingest.Summary, error) {
	h.t.Helper()
	src, err := dir.New(h.root, o)
	if err != nil {
		h.t.Fatal(err)
	}
	c := h.emu.Config()
	target := ingest.Target{ID: "test|" + c.AppID, AdminUserID: c.AdminUserID, ChatbotID: c.ChatbotID}
	s := ingest.NewSyncer(h.api, uploader.New(nil), h.store, target, h.opts)
	sum := &ingest.Summary{}
	return sum, s.Run(context.Background(), src, sum)
}

func (h *harness) mustRun(o dir.Options) ingest.Counts {
	h.t.Helper()
	sum, err := h.run(o)
	if err != nil {
		h.t.Fatal(err)
	}
	for _, f := range sum.Failed {
		h.t.Errorf("failed %s: %s: %v", f.Key, f.Reason, f.Err)
	}
	return sum.Counts
}

func sha(s string) string {
	b := sha256.Sum256([]byte(s))
	return hex.EncodeToString(b[:])
}

func TestSyncSendsOnceThenOnlyChanges(t *testing.T) {
	h := newHarness(t, nil, "")
	files := map[string]string{
		"guide.md":       "---\ntitle: The Guide\n---\nbody\n",
		"Docs/Page.HTML": "<html><head><title>A Page</title></head></html>",
		"sheet.csv":      "a,b\n1,2\n",
		"notes.rst":      "some text",
		"skip.json":      "{}",
	}
	for p, c := range files {
		h.write(p, c)
	}
	h.write("guide.md.metadata.json", `{"team":"docs"}`)
	o := dir.Options{Options: rules.Options{AsText: []string{".rst"}, Metadata: map[string]any{"origin": "test"}}}
	if c := h.mustRun(o); c.Sent != 4 || c.Skipped != 2 || c.Failed != 0 {
		t.Fatalf("first run counts %+v", c)
	}
	docs := h.emu.Documents()
	if len(docs) != 4 {
		t.Fatalf("emulator has %d documents", len(docs))
	}
	want := map[string]struct{ dName, title string }{
		"guide.md": {"guide.md", "The Guide"}, "Docs/Page.HTML": {"Page.html", "A Page"},
		"sheet.csv": {"sheet.csv", "sheet.csv"}, "notes.rst": {"notes.rst.txt", "notes.rst"},
	}
	for _, d := range docs {
		src, _ := d.Metadata["source"].(string)
		w, ok := want[src]
		switch {
		case !ok:
			t.Errorf("unexpected document %+v", d)
		case d.Name != w.dName || d.Metadata["title"] != w.title || !d.Accepted:
			t.Errorf("%s: name %q title %v accepted %v", src, d.Name, d.Metadata["title"], d.Accepted)
		case d.SHA256 != sha(files[src]) || d.Metadata["sha256"] != d.SHA256 || d.Size != int64(len(files[src])):
			t.Errorf("%s: bytes differ: sha %s size %d meta %v", src, d.SHA256, d.Size, d.Metadata)
		case d.Metadata["size"] != float64(len(files[src])) || d.Metadata["modified"] == nil || d.Metadata["origin"] != "test":
			t.Errorf("%s: metadata %v", src, d.Metadata)
		}
		if src == "guide.md" && d.Metadata["team"] != "docs" {
			t.Errorf("sidecar not merged: %v", d.Metadata)
		}
	}

	if c := h.mustRun(o); c.Sent != 0 || c.Unchanged != 4 {
		t.Fatalf("second run counts %+v", c)
	}
	future := time.Now().Add(time.Hour)
	os.Chtimes(filepath.Join(h.root, "sheet.csv"), future, future)
	if c := h.mustRun(o); c.Sent != 0 || c.Unchanged != 4 {
		t.Fatalf("after touch: %+v", c)
	}
	h.write("guide.md", "---\ntitle: The Guide\n---\nnew body\n")
	if c := h.mustRun(o); c.Sent != 1 || c.Unchanged != 3 {
		t.Fatalf("after edit: %+v", c)
	}
	if n := len(h.emu.Documents()); n != 5 {
		t.Fatalf("emulator has %d documents, want 5", n)
	}
}

// failing answers the first n requests to path with status, then passes.
func failing(path string, n int32, status int) func(http.Handler) http.Handler {
	var count atomic.Int32
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == path && count.Add(1) <= n {
				w.Header().Set("Retry-After", "0")
				w.WriteHeader(status)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	for _, tc := range []struct {
		path   string
		status int
	}{{"/message/send", 503}, {"/file/upload/chat", 500}, {"/message/send", 429}} {
		h := newHarness(t, failing(tc.path, 2, tc.status), "")
		h.write("a.md", "# A")
		if c := h.mustRun(dir.Options{}); c.Sent != 1 {
			t.Fatalf("%s %d: %+v", tc.path, tc.status, c)
		}
		if n := len(h.emu.Documents()); n != 1 {
			t.Fatalf("%d documents", n)
		}
	}
}

// lostAck lets the first n sends reach the emulator, then drops the reply.
func lostAck(n int32) func(http.Handler) http.Handler {
	var count atomic.Int32
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/message/send" && count.Add(1) <= n {
				next.ServeHTTP(httptest.NewRecorder(), r) // accepted, reply lost
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestLostAcknowledgementIsDeduplicated(t *testing.T) {
	h := newHarness(t, lostAck(1), "")
	h.write("a.md", "# A")
	if c := h.mustRun(dir.Options{}); c.Sent != 1 {
		t.Fatalf("%+v", c)
	}
	if n, dup := len(h.emu.Documents()), h.emu.Stats().Duplicates; n != 1 || dup != 1 {
		t.Fatalf("documents %d, duplicates absorbed %d", n, dup)
	}
}

func TestResumedRunReusesTransactionID(t *testing.T) {
	h := newHarness(t, lostAck(100), "")
	h.opts.Retry.Attempts = 1
	h.write("a.md", "# A")
	sum, err := h.run(dir.Options{})
	if err != nil || sum.Counts.Failed != 1 {
		t.Fatalf("first run: %v %+v", err, sum.Counts)
	}
	// The same emulator (and state), now without faults.
	srv := httptest.NewServer(h.emu)
	defer srv.Close()
	c := h.emu.Config()
	h.api, _ = lanying.NewClient(srv.URL, c.AppID, c.AccessToken)
	if c := h.mustRun(dir.Options{}); c.Sent != 1 {
		t.Fatalf("second run: %+v", c)
	}
	if n, dup := len(h.emu.Documents()), h.emu.Stats().Duplicates; n != 1 || dup != 1 {
		t.Fatalf("documents %d, duplicates %d: the resumed run did not reuse the transaction id", n, dup)
	}
}

func TestBadTokenStopsAfterOneRequest(t *testing.T) {
	h := newHarness(t, nil, "wrong-token")
	for i := range 20 {
		h.write(filepath.Join("d", string(rune('a'+i))+".md"), "x")
	}
	_, err := h.run(dir.Options{})
	var fe *ingest.FatalError
	if !ingest.IsFatal(err) || !errors.As(err, &fe) {
		t.Fatalf("err = %v, want a fatal error", err)
	}
	if n := h.emu.Stats().APIRequests; n != 1 {
		t.Fatalf("%d API requests, want 1", n)
	}
}

func TestMetadataProblemsFailOnlyTheirDocument(t *testing.T) {
	h := newHarness(t, nil, "")
	h.opts.MaxMetadataBytes = 300
	h.write("ok.md", "fine")
	h.write("bad.md", "x")
	h.write("bad.md.metadata.json", "not json")
	h.write("huge.md", "x")
	h.write("huge.md.metadata.json", `{"blob":"`+strings.Repeat("x", 400)+`"}`)
	sum, err := h.run(dir.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Counts.Sent != 1 || sum.Counts.Failed != 2 {
		t.Fatalf("%+v", sum.Counts)
	}
	for _, f := range sum.Failed {
		if f.Reason != ingest.ReasonMetadata || ingest.Hint(f.Err) == "" {
			t.Errorf("%s: reason %s err %v hint %q", f.Key, f.Reason, f.Err, ingest.Hint(f.Err))
		}
	}
	// The failures are recorded, and retried (and fail again) next run.
	rec, found, _ := h.store.Get(context.Background(), "test|"+h.emu.Config().AppID, "dir:"+filepath.ToSlash(h.root), "bad.md")
	if !found || rec.State != ingest.StateFailed || rec.Attempts != 1 || rec.LastError == "" {
		t.Fatalf("record %+v", rec)
	}
}

// expiredOnce answers the first upload with OSS's "Policy expired".
func expiredOnce(next http.Handler) http.Handler {
	var done atomic.Bool
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/_oss") && !done.Swap(true) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(403)
			w.Write([]byte(`<Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy expired.</Message></Error>`))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestExpiredPolicyGetsAFreshSlot(t *testing.T) {
	h := newHarness(t, expiredOnce, "")
	h.write("a.pdf", "%PDF-1.4")
	if c := h.mustRun(dir.Options{}); c.Sent != 1 {
		t.Fatalf("%+v", c)
	}
	if s := h.emu.Stats(); s.SlotRequests != 2 || s.Uploads != 1 {
		t.Fatalf("stats %+v: want a second slot for the retry", s)
	}
}

// countingStore counts the per-document lookups of a real state database.
type countingStore struct {
	*state.DB
	gets atomic.Int32
}

func (c *countingStore) Get(ctx context.Context, target, source, key string) (ingest.Record, bool, error) {
	c.gets.Add(1)
	return c.DB.Get(ctx, target, source, key)
}

func TestSnapshotAnswersUnchangedWithoutLookups(t *testing.T) {
	h := newHarness(t, nil, "")
	for i := range 30 {
		h.write(fmt.Sprintf("d/%02d.md", i), fmt.Sprintf("doc %d", i))
	}
	c := h.emu.Config()
	target := ingest.Target{ID: "test|" + c.AppID, AdminUserID: c.AdminUserID, ChatbotID: c.ChatbotID}
	cs := &countingStore{DB: h.store}
	run := func() ingest.Counts {
		src, _ := dir.New(h.root, dir.Options{})
		sum := &ingest.Summary{}
		if err := ingest.NewSyncer(h.api, uploader.New(nil), cs, target, h.opts).Run(context.Background(), src, sum); err != nil {
			t.Fatal(err)
		}
		return sum.Counts
	}
	if c := run(); c.Sent != 30 {
		t.Fatalf("%+v", c)
	}
	cs.gets.Store(0)
	if c := run(); c.Unchanged != 30 || cs.gets.Load() != 0 {
		t.Fatalf("%+v with %d lookups", c, cs.gets.Load())
	}
	h.write("d/05.md", "doc 5, edited")
	os.Remove(filepath.Join(h.root, "d/07.md"))
	if c := run(); c.Sent != 1 || c.Unchanged != 28 || cs.gets.Load() != 1 {
		t.Fatalf("after an edit: %+v with %d lookups", c, cs.gets.Load())
	}
	// The deleted file left the snapshot: recreated, it is looked up again.
	h.write("d/07.md", "doc 7")
	cs.gets.Store(0)
	if c := run(); c.Unchanged != 30 || cs.gets.Load() != 1 {
		t.Fatalf("recreated: %+v with %d lookups", c, cs.gets.Load())
	}
}
