package ingest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/dir"
	"github.com/lanyingim/lanying-ingest/uploader"
)

// listed is a source that yields documents listed earlier by a real
// folder source, so that a test can change the folder in between.
type listed struct {
	id   string
	docs []ingest.Document
}

func (l *listed) ID() string { return l.id }
func (l *listed) Walk(ctx context.Context, yield func(ingest.Document) error) error {
	for _, d := range l.docs {
		if err := yield(d); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) list(o dir.Options) *listed {
	h.t.Helper()
	src, err := dir.New(h.root, o)
	if err != nil {
		h.t.Fatal(err)
	}
	l := &listed{id: src.ID()}
	src.Walk(context.Background(), func(d ingest.Document) error { l.docs = append(l.docs, d); return nil })
	return l
}

func (h *harness) runSource(src ingest.Source) *ingest.Summary {
	h.t.Helper()
	c := h.emu.Config()
	target := ingest.Target{ID: "test|" + c.AppID, AdminUserID: c.AdminUserID, ChatbotID: c.ChatbotID}
	sum := &ingest.Summary{}
	if err := ingest.NewSyncer(h.api, uploader.New(nil), h.store, target, h.opts).Run(context.Background(), src, sum); err != nil {
		h.t.Fatal(err)
	}
	return sum
}

func TestFileDeletedBetweenListingAndUpload(t *testing.T) {
	h := newHarness(t, nil, "")
	h.write("gone.md", "soon gone")
	h.write("kept.md", "kept")
	l := h.list(dir.Options{})
	os.Remove(filepath.Join(h.root, "gone.md"))
	sum := h.runSource(l)
	if sum.Counts.Sent != 1 || sum.Counts.Failed != 1 || sum.Failed[0].Key != "gone.md" || sum.Failed[0].Reason != ingest.ReasonSourceError {
		t.Fatalf("%+v %+v", sum.Counts, sum.Failed)
	}
	if !errors.Is(sum.Failed[0].Err, os.ErrNotExist) {
		t.Errorf("error %v does not say the file is missing", sum.Failed[0].Err)
	}
}

func TestFileChangedDuringUploadIsNotRecordedAndResentLater(t *testing.T) {
	h := newHarness(t, nil, "")
	h.write("moving.md", "version one")
	l := h.list(dir.Options{})
	h.write("moving.md", "version two, longer")
	sum := h.runSource(l)
	if sum.Counts.Failed != 1 || sum.Failed[0].Reason != ingest.ReasonChangedMidway || len(h.emu.Documents()) != 0 {
		t.Fatalf("%+v %+v, chatbot has %d", sum.Counts, sum.Failed, len(h.emu.Documents()))
	}
	if c := h.mustRun(dir.Options{}); c.Sent != 1 {
		t.Fatalf("next run: %+v", c)
	}
	if d := h.emu.Documents(); len(d) != 1 || d[0].SHA256 != sha("version two, longer") {
		t.Fatalf("chatbot has %+v", d)
	}
}

func TestSpecialFilesNeverHang(t *testing.T) {
	h := newHarness(t, nil, "")
	h.write("a.txt", "a")
	if err := syscall.Mkfifo(filepath.Join(h.root, "fifo.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(h.root, "sock.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan ingest.Counts, 1)
	go func() { done <- h.mustRun(dir.Options{}) }()
	select {
	case c := <-done:
		if c.Sent != 1 || c.Skipped != 2 {
			t.Fatalf("%+v", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the run hung on a special file")
	}
}

func TestOddFileNames(t *testing.T) {
	h := newHarness(t, nil, "")
	long := strings.Repeat("long-name-", 24) + ".md" // 243 bytes
	h.write("caf\xe9-latin1.md", "not UTF-8 name")
	h.write(long, "long name")
	h.write("空格 and spaces.txt", "unicode")
	if c := h.mustRun(dir.Options{}); c.Sent != 3 {
		t.Fatalf("%+v", c)
	}
	names := map[string]bool{}
	for _, d := range h.emu.Documents() {
		names[d.Name] = true
	}
	if !names[long] || !names["空格 and spaces.txt"] || len(names) != 3 {
		t.Fatalf("names %v", names)
	}
	if c := h.mustRun(dir.Options{}); c.Unchanged != 3 {
		t.Fatalf("second run %+v", c)
	}
}

func TestManyFilesInOneDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 files")
	}
	h := newHarness(t, nil, "")
	big := filepath.Join(h.root, "big")
	os.Mkdir(big, 0o755)
	for i := range 100_000 {
		f, err := os.Create(filepath.Join(big, fmt.Sprintf("empty-%06d.txt", i)))
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	h.write("big/real.md", "the one document")
	c := h.mustRun(dir.Options{})
	if c.Sent != 1 || c.Skipped != 100_000 {
		t.Fatalf("%+v", c)
	}
}

// garbage answers the first n slot requests with body, HTTP 200.
func garbage(n int32, body string) func(http.Handler) http.Handler {
	var count atomic.Int32
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/file/upload/chat" && count.Add(1) <= n {
				io.WriteString(w, body)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func TestGarbageAndTruncatedRepliesAreRetried(t *testing.T) {
	for _, body := range []string{"<html><body>Bad Gateway</body></html>", `{"code":200,"data":{"upload_url":`, "\x00\x01garbage"} {
		h := newHarness(t, garbage(2, body), "")
		h.write("a.md", "a")
		if c := h.mustRun(dir.Options{}); c.Sent != 1 {
			t.Fatalf("%q: %+v", body, c)
		}
	}
	h := newHarness(t, garbage(1000, "<html>login page</html>"), "")
	h.write("a.md", "a")
	sum, err := h.run(dir.Options{})
	if err != nil || sum.Counts.Failed != 1 || sum.Failed[0].Reason != ingest.ReasonSlotFailed ||
		!strings.Contains(ingest.Hint(sum.Failed[0].Err), "api_endpoint") {
		t.Fatalf("err %v %+v hint %q", err, sum.Failed, ingest.Hint(sum.Failed[0].Err))
	}
}

func TestOutageIsWaitedOutWithoutBurningRetries(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	var calls atomic.Int32
	mw := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/file/upload/chat" {
				calls.Add(1)
			}
			if down.Load() {
				w.WriteHeader(503)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	h := newHarness(t, mw, "")
	// More attempts than the threshold: a document's own failures open
	// the breaker before its retries run out (as the defaults, 10 and 8).
	h.opts.Retry = ingest.RetryPolicy{Attempts: 5, Base: time.Millisecond, Max: 2 * time.Millisecond}
	h.opts.Outage = ingest.OutagePolicy{Threshold: 3, GiveUp: time.Minute}
	for i := range 20 {
		h.write(fmt.Sprintf("d%02d.md", i), fmt.Sprintf("doc %d", i))
	}
	time.AfterFunc(2500*time.Millisecond, func() { down.Store(false) })
	if c := h.mustRun(dir.Options{}); c.Sent != 20 {
		t.Fatalf("%+v", c)
	}
	// Without the breaker, 20 documents × 3 attempts would have failed for
	// good; with it, the outage costs a handful of probes.
	if n := calls.Load() - 20; n > 20 {
		t.Errorf("%d failed slot requests during the outage", n)
	}
}

func TestOutageGivesUp(t *testing.T) {
	mw := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	}
	h := newHarness(t, mw, "")
	h.opts.Retry = ingest.RetryPolicy{Attempts: 3, Base: time.Millisecond, Max: 2 * time.Millisecond}
	h.opts.Outage = ingest.OutagePolicy{Threshold: 3, GiveUp: 1500 * time.Millisecond}
	for i := range 10 {
		h.write(fmt.Sprintf("d%02d.md", i), "x")
	}
	_, err := h.run(dir.Options{})
	var outage *ingest.OutageError
	if !errors.As(err, &outage) || ingest.IsFatal(err) || ingest.Hint(err) == "" {
		t.Fatalf("err = %v", err)
	}
}

func TestRateLimiterBacksOffOn429AndRecovers(t *testing.T) {
	lim := ingest.NewRateLimiter(100, 10)
	h := newHarness(t, failing("/message/send", 1, 429), "")
	h.opts.Limiter = lim
	h.write("a.md", "a")
	if c := h.mustRun(dir.Options{}); c.Sent != 1 {
		t.Fatalf("%+v", c)
	}
	if r := lim.Rate(); r >= 100 {
		t.Fatalf("rate %v did not back off after a 429", r)
	}
	for i := range 60 {
		h.write(fmt.Sprintf("more%02d.md", i), fmt.Sprintf("more %d", i))
	}
	if c := h.mustRun(dir.Options{}); c.Sent != 60 {
		t.Fatalf("%+v", c)
	}
	if r := lim.Rate(); r != 100 {
		t.Fatalf("rate %v did not recover", r)
	}
}
