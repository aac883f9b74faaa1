package bucket_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/bucket"
	"github.com/lanyingim/lanying-ingest/ingest/rules"
	"github.com/lanyingim/lanying-ingest/ingest/state"
	"github.com/lanyingim/lanying-ingest/lanying"
	"github.com/lanyingim/lanying-ingest/lanying/emulator"
	"github.com/lanyingim/lanying-ingest/uploader"
)

// fakeS3 is an S3-compatible server over real HTTP, counting requests by
// kind; fault, when set, answers instead of it.
type fakeS3 struct {
	t       testing.TB
	backend *s3mem.Backend
	url     string

	mu     sync.Mutex
	counts map[string]int // "list", "get", "head", ...
	fault  func(w http.ResponseWriter, r *http.Request) bool
}

func newFakeS3(t testing.TB, bucketName string) *fakeS3 {
	t.Helper()
	f := &fakeS3{t: t, backend: s3mem.New(), counts: map[string]int{}}
	if err := f.backend.CreateBucket(bucketName); err != nil {
		t.Fatal(err)
	}
	handler := gofakes3.New(f.backend).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := strings.ToLower(r.Method)
		if r.Method == http.MethodGet && r.URL.Query().Has("list-type") {
			kind = "list"
		}
		f.mu.Lock()
		f.counts[kind]++
		fault := f.fault
		f.mu.Unlock()
		if fault != nil && fault(w, r) {
			return
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fakeS3) put(bucketName, key, body string, meta map[string]string) {
	f.t.Helper()
	if meta == nil {
		meta = map[string]string{}
	}
	if _, err := f.backend.PutObject(bucketName, key, meta, strings.NewReader(body), int64(len(body)), nil); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeS3) count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[kind]
}

func (f *fakeS3) source(t testing.TB, url string, page int32, r rules.Options) *bucket.Source {
	t.Helper()
	src, err := bucket.New(context.Background(), url, bucket.Options{
		Endpoint: f.url, PathStyle: true, Region: "us-east-1", AccessKeyID: "AKIDTEST", SecretAccessKey: "s3cr3t-key-value",
		PageSize: page, Rules: r,
	})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func walk(t testing.TB, src ingest.Source) map[string]ingest.Document {
	t.Helper()
	docs := map[string]ingest.Document{}
	if err := src.Walk(context.Background(), func(d ingest.Document) error {
		if _, dup := docs[d.Key]; dup {
			t.Errorf("%s yielded twice", d.Key)
		}
		docs[d.Key] = d
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestListingPagesPrefixesMarkersAndSidecars(t *testing.T) {
	f := newFakeS3(t, "kb")
	for i := range 10 {
		f.put("kb", fmt.Sprintf("docs/page-%02d.md", i), fmt.Sprintf("# Page %d", i), nil)
	}
	f.put("kb", "docs/deep/er/nested.txt", "nested", nil)
	f.put("kb", "docs/folder/", "", nil)
	f.put("kb", "docs/a.pdf", "%PDF", map[string]string{"X-Amz-Meta-Dept": "legal"})
	f.put("kb", "docs/a.pdf-2.txt", "sorts between a.pdf and its sidecar", nil)
	f.put("kb", "docs/a.pdf.metadata.json", `{"metadataAttributes":{"confidential":"no"}}`, nil)
	f.put("kb", "docs/.hidden/x.md", "x", nil)
	f.put("kb", "docs/data.json", "{}", nil)
	f.put("kb", "other/outside.md", "not in the prefix", nil)

	docs := walk(t, f.source(t, "s3://kb/docs", 3, rules.Options{}))
	want := map[string]ingest.Reason{
		"deep/er/nested.txt": "", "a.pdf": "", "a.pdf-2.txt": "", "folder/": bucket.ReasonDirMarker,
		"a.pdf.metadata.json": ingest.ReasonSidecar, ".hidden/x.md": ingest.ReasonHidden, "data.json": ingest.ReasonUnsupported,
	}
	for i := range 10 {
		want[fmt.Sprintf("page-%02d.md", i)] = ""
	}
	if len(docs) != len(want) {
		keys := make([]string, 0, len(docs))
		for k := range docs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Fatalf("got %d documents %v, want %d", len(docs), keys, len(want))
	}
	for k, reason := range want {
		if d := docs[k]; d.Skip != reason {
			t.Errorf("%s: skip %q, want %q", k, d.Skip, reason)
		}
	}
	a := docs["a.pdf"]
	if !strings.Contains(a.Version, ";sidecar=") || a.Metadata["source"] != "s3://kb/docs/a.pdf" || a.Metadata["etag"] == "" {
		t.Fatalf("a.pdf: %+v", a)
	}
	m, err := a.Content.(ingest.Describer).Describe(context.Background())
	if err != nil || m["dept"] != "legal" || m["confidential"] != "no" || m["title"] != "a.pdf" {
		t.Fatalf("describe: %v %v", m, err)
	}
	if m, _ := docs["page-03.md"].Content.(ingest.Describer).Describe(context.Background()); m["title"] != "Page 3" {
		t.Errorf("title %v", m["title"])
	}
	if f.count("list") != 6 { // 17 keys under the prefix, 3 a page
		t.Errorf("%d list requests, want 6", f.count("list"))
	}
}

// rig syncs a bucket into the emulator with a real state database.
type rig struct {
	f     *fakeS3
	emu   *emulator.Emulator
	store *state.DB
	api   *lanying.Client
}

func newRig(t testing.TB) *rig {
	t.Helper()
	r := &rig{f: newFakeS3(t, "kb"), emu: emulator.New(emulator.Config{})}
	srv := httptest.NewServer(r.emu)
	t.Cleanup(srv.Close)
	c := r.emu.Config()
	r.api, _ = lanying.NewClient(srv.URL, c.AppID, c.AccessToken)
	var err error
	if r.store, err = state.Open(context.Background(), filepath.Join(t.TempDir(), "s.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	return r
}

func (r *rig) sync(t testing.TB, src ingest.Source) ingest.Counts {
	t.Helper()
	c := r.emu.Config()
	target := ingest.Target{ID: "t", AdminUserID: c.AdminUserID, ChatbotID: c.ChatbotID}
	sum := &ingest.Summary{}
	if err := ingest.NewSyncer(r.api, uploader.New(nil), r.store, target, ingest.Options{}).Run(context.Background(), src, sum); err != nil {
		t.Fatal(err)
	}
	for _, f := range sum.Failed {
		t.Errorf("failed %s: %v", f.Key, f.Err)
	}
	return sum.Counts
}

func TestChangeDetectionFromTheListingAlone(t *testing.T) {
	r := newRig(t)
	for i := range 5 {
		r.f.put("kb", fmt.Sprintf("k/%d.md", i), fmt.Sprintf("# Doc %d", i), nil)
	}
	src := r.f.source(t, "s3://kb/k/", 2, rules.Options{})
	if c := r.sync(t, src); c.Sent != 5 {
		t.Fatalf("first: %+v", c)
	}
	for i, d := range r.emu.Documents() {
		if d.Metadata["source"] == nil || d.Metadata["sha256"] != d.SHA256 {
			t.Errorf("doc %d metadata %v", i, d.Metadata)
		}
	}
	gets, heads := r.f.count("get"), r.f.count("head")
	if c := r.sync(t, src); c.Unchanged != 5 || c.Sent != 0 {
		t.Fatalf("second: %+v", c)
	}
	if r.f.count("get") != gets || r.f.count("head") != heads {
		t.Fatalf("an unchanged bucket was read: %d GET, %d HEAD more", r.f.count("get")-gets, r.f.count("head")-heads)
	}
	r.f.put("kb", "k/2.md", "# Doc 2, revised", nil)
	if c := r.sync(t, src); c.Sent != 1 || c.Unchanged != 4 {
		t.Fatalf("after a change: %+v", c)
	}
	// Same bytes written again: a new ETag for some stores, same content.
	r.f.put("kb", "k/3.md", "# Doc 3", nil)
	if c := r.sync(t, src); c.Sent != 0 {
		t.Fatalf("rewritten with the same bytes: %+v", c)
	}
	if n := len(r.emu.Documents()); n != 6 {
		t.Fatalf("chatbot has %d documents, want 6", n)
	}
}

func TestBucketErrorsNameTheBucketWithAHint(t *testing.T) {
	xmlError := func(status int, code string) func(http.ResponseWriter, *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			fmt.Fprintf(w, `<?xml version="1.0"?><Error><Code>%s</Code><Message>injected</Message></Error>`, code)
			return true
		}
	}
	cases := []struct {
		name  string
		url   string
		fault func(http.ResponseWriter, *http.Request) bool
		want  string
		hint  string
	}{
		{"no such bucket", "s3://missing/", nil, "does not exist", "bucket name"},
		{"access denied", "s3://kb/", xmlError(403, "AccessDenied"), "access denied", "s3:ListBucket"},
		{"wrong region", "s3://kb/", xmlError(301, "PermanentRedirect"), "another region", "region"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeS3(t, "kb")
			f.fault = tc.fault
			err := f.source(t, tc.url, 10, rules.Options{}).Walk(context.Background(), func(ingest.Document) error { return nil })
			var be *bucket.Error
			if !errors.As(err, &be) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(be.Hint(), tc.hint) || !ingest.IsFatal(err) {
				t.Fatalf("err = %v (hint %q)", err, ingest.Hint(err))
			}
			if !strings.Contains(err.Error(), "bucket "+strings.Split(strings.TrimPrefix(tc.url, "s3://"), "/")[0]) {
				t.Errorf("error does not name the bucket: %v", err)
			}
			if strings.Contains(err.Error(), "s3cr3t-key-value") {
				t.Fatal("the secret key is in the error")
			}
		})
	}
	t.Run("endpoint unreachable", func(t *testing.T) {
		f := newFakeS3(t, "kb")
		closed := httptest.NewServer(http.NotFoundHandler())
		closed.Close()
		f.url = closed.URL
		err := f.source(t, "s3://kb/", 10, rules.Options{}).Walk(context.Background(), func(ingest.Document) error { return nil })
		if err == nil || !strings.Contains(ingest.Hint(err), "endpoint") || !strings.Contains(err.Error(), "bucket kb") || !strings.Contains(err.Error(), "cannot be reached") {
			t.Fatalf("err = %v (hint %q)", err, ingest.Hint(err))
		}
	})
}

func TestLargeObjectStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB object")
	}
	r := newRig(t)
	const size = 64 << 20
	r.f.backend.PutObject("kb", "big.pdf", map[string]string{}, bytes.NewReader(make([]byte, size)), size, nil)
	src := r.f.source(t, "s3://kb/", 10, rules.Options{MaxFileSize: 1 << 30})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if c := r.sync(t, src); c.Sent != 1 {
		t.Fatalf("%+v", c)
	}
	runtime.ReadMemStats(&after)
	// The fake store, the SDK, the uploader and the emulator all run in
	// this process; buffering the object anywhere would cost 64 MiB.
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 48<<20 {
		t.Fatalf("allocated %d MiB to move a 64 MiB object", grown>>20)
	}
	if d := r.emu.Documents(); len(d) != 1 || d[0].Size != size {
		t.Fatalf("chatbot has %+v", d)
	}
}
