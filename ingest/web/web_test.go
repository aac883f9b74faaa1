package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/state"
	"github.com/lanyingim/lanying-ingest/ingest/web"
	"github.com/lanyingim/lanying-ingest/lanying"
	"github.com/lanyingim/lanying-ingest/lanying/emulator"
	"github.com/lanyingim/lanying-ingest/uploader"
)

// site is a local website whose pages a test can change, counting hits.
type site struct {
	mu     sync.Mutex
	hits   map[string]int
	times  []time.Time
	pages  map[string]string // path → HTML
	robots string
	srv    *httptest.Server
}

func html(title, body string) string {
	return `<!doctype html><html lang="en"><head><title>` + title + `</title><meta name="description" content="about ` + title + `"></head><body>` + body + `</body></html>`
}

func newSite(t testing.TB, tls bool) *site {
	s := &site{hits: map[string]int{}, pages: map[string]string{
		"/": html("Home", `<nav><a href="/a">A</a></nav><main><p>Welcome</p><a href="/b">B</a> <a href="/private/secret">S</a>
			<a href="/docs/guide.pdf">guide</a> <a href="https://elsewhere.example/x">ext</a> <a href="/a#section">A again</a>
			<a href="/deep/1">deep</a> <a href="/missing">gone</a> <a href="/boom">boom</a> <a href="/loop">loop</a>
			<a href="/redir">redir</a> <a href="/image.png">img</a> <a href="/malformed">bad</a></main>`),
		"/a":              html("A", `<header>Updated 10:00</header><main><p>Alpha text</p></main><footer>© now</footer><script>var t=1</script>`),
		"/b":              html("B", `<main><p>Bravo text</p></main>`),
		"/private/secret": html("Secret", "no"),
		"/deep/1":         html("D1", `<a href="/deep/2">next</a>`),
		"/deep/2":         html("D2", `<a href="/deep/3">next</a>`),
		"/deep/3":         html("D3", `<a href="/deep/4">next</a>`),
		"/malformed":      `<html><body><p>unclosed <div><a href=/b>b<table><tr><td>cell`,
	}, robots: "User-agent: *\nDisallow: /private/\n"}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.times = append(s.times, time.Now())
		page, ok := s.pages[r.URL.Path]
		robots := s.robots
		s.mu.Unlock()
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, robots)
		case "/docs/guide.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			w.Header().Set("ETag", `"pdf-v1"`)
			fmt.Fprint(w, "%PDF-1.4 guide")
		case "/image.png":
			w.Header().Set("Content-Type", "image/png")
			fmt.Fprint(w, "\x89PNG")
		case "/boom":
			http.Error(w, "boom", 500)
		case "/loop", "/loop2":
			http.Redirect(w, r, map[string]string{"/loop": "/loop2", "/loop2": "/loop"}[r.URL.Path], http.StatusFound)
		case "/redir":
			http.Redirect(w, r, "/b", http.StatusMovedPermanently)
		case "/sitemap.xml":
			fmt.Fprintf(w, `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>%s/pages.xml.gz</loc></sitemap></sitemapindex>`, s.srv.URL)
		case "/pages.xml.gz":
			var b bytes.Buffer
			zw := gzip.NewWriter(&b)
			fmt.Fprintf(zw, `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>%s/a</loc><lastmod>2026-01-01</lastmod></url><url><loc>%s/b</loc><lastmod>2026-01-02</lastmod></url></urlset>`, s.srv.URL, s.srv.URL)
			zw.Close()
			w.Write(b.Bytes())
		default:
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, page)
		}
	})
	if tls {
		s.srv = httptest.NewTLSServer(h)
	} else {
		s.srv = httptest.NewServer(h)
	}
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) set(path, page string) { s.mu.Lock(); s.pages[path] = page; s.mu.Unlock() }
func (s *site) hit(path string) int   { s.mu.Lock(); defer s.mu.Unlock(); return s.hits[path] }

// rig runs web sources into the emulator with a real state database.
type rig struct {
	emu    *emulator.Emulator
	store  *state.DB
	api    *lanying.Client
	target ingest.Target
}

func newRig(t testing.TB) *rig {
	r := &rig{emu: emulator.New(emulator.Config{})}
	srv := httptest.NewServer(r.emu)
	t.Cleanup(srv.Close)
	c := r.emu.Config()
	r.api, _ = lanying.NewClient(srv.URL, c.AppID, c.AccessToken)
	var err error
	if r.store, err = state.Open(context.Background(), filepath.Join(t.TempDir(), "s.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	r.target = ingest.Target{ID: "t", AdminUserID: c.AdminUserID, ChatbotID: c.ChatbotID}
	return r
}

func (r *rig) run(t testing.TB, o web.Options) *ingest.Summary {
	t.Helper()
	o.Previous = func(key string) (string, bool) {
		rec, found, _ := r.store.Get(context.Background(), r.target.ID, "web:test", key)
		return rec.Version, found && rec.State == ingest.StateSent
	}
	src, err := web.New("web:test", o)
	if err != nil {
		t.Fatal(err)
	}
	sum := &ingest.Summary{}
	if err := ingest.NewSyncer(r.api, uploader.New(nil), r.store, r.target, ingest.Options{}).Run(context.Background(), src, sum); err != nil {
		t.Fatal(err)
	}
	return sum
}

func reasons(sum *ingest.Summary) map[string]string {
	m := map[string]string{}
	for _, x := range append(append([]ingest.Result(nil), sum.Skipped...), sum.Failed...) {
		m[x.Key] = string(x.Reason)
	}
	return m
}

func TestCrawl(t *testing.T) {
	s := newSite(t, false)
	r := newRig(t)
	sum := r.run(t, web.Options{Seeds: []string{s.srv.URL + "/"}, MaxDepth: 2, NoLimits: true})
	got := reasons(sum)
	u := s.srv.URL
	want := map[string]string{
		u + "/private/secret": "robots_disallowed", "https://elsewhere.example/x": "out_of_scope",
		u + "/missing": "http_404", u + "/boom": "http_500", u + "/loop": "redirect_loop", u + "/image.png": "not_html",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
	sent := map[string]emulator.Document{}
	for _, d := range r.emu.Documents() {
		sent[d.Metadata["source"].(string)] = d
	}
	for _, p := range []string{"/", "/a", "/b", "/deep/1", "/deep/2", "/malformed", "/docs/guide.pdf"} {
		if _, ok := sent[u+p]; !ok {
			t.Errorf("%s not sent", p)
		}
	}
	if _, ok := sent[u+"/deep/3"]; ok {
		t.Error("went deeper than max_depth")
	}
	if len(sent) != 7 || sum.Counts.Sent != 7 {
		t.Errorf("sent %d documents (%d): %v", len(sent), sum.Counts.Sent, keys(sent))
	}
	// http:// pages are snapshots (the chatbot cannot fetch them); the PDF
	// is a file; /redir landed on /b, one document; /a#section is /a.
	a := sent[u+"/a"]
	if a.Kind != "file" || a.Name != "a.html" || a.Metadata["title"] != "A" || a.Metadata["description"] != "about A" || a.Metadata["lang"] != "en" {
		t.Errorf("/a: %+v", a)
	}
	if pdf := sent[u+"/docs/guide.pdf"]; pdf.Kind != "file" || pdf.Name != "guide.pdf" || pdf.ContentType != "application/pdf" {
		t.Errorf("pdf: %+v", pdf)
	}
	if s.hit("/a") != 1 { // "/a#section" is the same page
		t.Errorf("/a fetched %d times", s.hit("/a"))
	}

	// Second run: /a changes only in its header, footer and script; /b's
	// text changes. Only /b is sent again.
	s.set("/a", html("A", `<header>Updated 11:42</header><main><p>Alpha text</p></main><footer>© later</footer><script>var t=2</script>`))
	s.set("/b", html("B", `<main><p>Bravo text, revised</p></main>`))
	sum = r.run(t, web.Options{Seeds: []string{s.srv.URL + "/"}, MaxDepth: 2, NoLimits: true})
	if sum.Counts.Sent != 1 {
		t.Fatalf("second run sent %d, want 1 (/b)", sum.Counts.Sent)
	}
	if n := len(r.emu.Documents()); n != 8 {
		t.Fatalf("chatbot has %d documents", n)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestMaxPagesAndScopePrefix(t *testing.T) {
	s := newSite(t, false)
	r := newRig(t)
	sum := r.run(t, web.Options{Seeds: []string{s.srv.URL + "/"}, MaxDepth: 3, MaxPages: 3, NoLimits: true})
	if sum.Counts.Sent != 3 || !strings.Contains(fmt.Sprint(reasons(sum)), "max_pages") {
		t.Fatalf("%+v %v", sum.Counts, reasons(sum))
	}
	r = newRig(t)
	sum = r.run(t, web.Options{Seeds: []string{s.srv.URL + "/deep/1"}, Scope: web.ScopePrefix, MaxDepth: 5, NoLimits: true})
	if sum.Counts.Sent != 3 { // /deep/1..3; /deep/4 is a 404
		t.Fatalf("prefix crawl: %+v %v", sum.Counts, reasons(sum))
	}
}

func TestSitemapIndexGzipAndLastmod(t *testing.T) {
	s := newSite(t, false)
	r := newRig(t)
	if sum := r.run(t, web.Options{Sitemaps: []string{s.srv.URL + "/sitemap.xml"}, NoLimits: true}); sum.Counts.Sent != 2 {
		t.Fatalf("%+v %v", sum.Counts, reasons(sum))
	}
	hits := s.hit("/a") + s.hit("/b")
	if sum := r.run(t, web.Options{Sitemaps: []string{s.srv.URL + "/sitemap.xml"}, NoLimits: true}); sum.Counts.Unchanged != 2 {
		t.Fatalf("second: %+v", sum.Counts)
	}
	if s.hit("/a")+s.hit("/b") != hits {
		t.Fatal("pages unchanged by <lastmod> were fetched again")
	}
}

func TestLinkModeOnTLSAndHeaders(t *testing.T) {
	s := newSite(t, true)
	r := newRig(t)
	sum := r.run(t, web.Options{URLs: []string{s.srv.URL + "/b", s.srv.URL + "/docs/guide.pdf"}, HTTPClient: s.srv.Client(), NoLimits: true})
	if sum.Counts.Sent != 2 {
		t.Fatalf("%+v %v", sum.Counts, reasons(sum))
	}
	kinds := map[string]string{}
	for _, d := range r.emu.Documents() {
		kinds[d.URL] = d.Kind
	}
	if kinds[s.srv.URL+"/b"] != "link" {
		t.Errorf("the https page was not posted as a link: %v", kinds)
	}
	// With an intranet header the chatbot could not fetch it: a snapshot.
	r = newRig(t)
	r.run(t, web.Options{URLs: []string{s.srv.URL + "/b"}, HTTPClient: s.srv.Client(), NoLimits: true,
		Headers: map[string]string{"Authorization": "Bearer intranet"}})
	if d := r.emu.Documents(); len(d) != 1 || d[0].Kind != "file" || d[0].Name != "b.html" {
		t.Fatalf("with headers: %+v", d)
	}
}

func TestCrawlDelayIsHonoured(t *testing.T) {
	s := newSite(t, false)
	s.robots = "User-agent: *\nCrawl-delay: 1\n"
	r := newRig(t)
	r.run(t, web.Options{URLs: []string{s.srv.URL + "/a", s.srv.URL + "/b", s.srv.URL + "/deep/1"}})
	s.mu.Lock()
	defer s.mu.Unlock()
	// robots.txt, then three pages at least a second apart.
	if n := len(s.times); n != 4 {
		t.Fatalf("%d requests", n)
	}
	if gap := s.times[3].Sub(s.times[1]); gap < 1900*time.Millisecond {
		t.Fatalf("three pages in %s despite Crawl-delay: 1", gap)
	}
}

func TestSharedHostsArePoliteTogether(t *testing.T) {
	s := newSite(t, false)
	hosts := web.NewHosts()
	for _, p := range []string{"/a", "/b"} {
		src, err := web.New("web:"+p, web.Options{URLs: []string{s.srv.URL + p}, Hosts: hosts})
		if err != nil {
			t.Fatal(err)
		}
		src.Walk(context.Background(), func(ingest.Document) error { return nil })
	}
	if n := s.hit("/robots.txt"); n != 1 {
		t.Fatalf("robots.txt read %d times by two sources sharing hosts", n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if gap := s.times[len(s.times)-1].Sub(s.times[len(s.times)-2]); gap < 400*time.Millisecond {
		t.Fatalf("the second source's page came %s after the first's: the shared rate (2/s) was not kept", gap)
	}
}
