package main_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSyncWebFromURLListAndCrawl(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/robots.txt":
			fmt.Fprint(w, "User-agent: *\nDisallow: /hidden\n")
		case "/", "/one", "/two", "/hidden":
			if r.Header.Get("Authorization") != "Bearer intranet-token-77" {
				http.Error(w, "login", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprintf(w, `<html><head><title>Page %s</title></head><body><main>text of %s</main><a href="/one">1</a><a href="/two">2</a><a href="/hidden">h</a></body></html>`, r.URL.Path, r.URL.Path)
		default:
			http.NotFound(w, r)
		}
	}))
	defer site.Close()
	srv, env := startEmulator(t)
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte(`sources:
  - type: web
    name: intranet
    seeds: [`+site.URL+`/]
    max_depth: 2
    headers:
      Authorization: "Bearer ${INTRANET_TOKEN}"
`), 0o600)
	env = append(env, "INTRANET_TOKEN=intranet-token-77")
	state := filepath.Join(t.TempDir(), "s.db")
	r := runBinary(t, env, "sync", "--json", "-v", "--config", cfg, "--state", state)
	s := parseSummary(t, r)
	if r.code != 0 || s.Counts.Sent != 3 || len(s.Skipped) != 1 || s.Skipped[0].Reason != "robots_disallowed" {
		t.Fatalf("exit %d %+v\n%s", r.code, s, tail(r.stderr))
	}
	for _, d := range srv.Documents() {
		if d.Kind != "file" || !strings.HasSuffix(d.Name, ".html") || !strings.HasPrefix(d.Metadata["title"].(string), "Page /") {
			t.Errorf("%+v", d)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "intranet-token-77") {
		t.Fatal("the intranet token was printed")
	}
	r = runBinary(t, env, "sync", "--json", "--config", cfg, "--state", state)
	if s := parseSummary(t, r); s.Counts.Sent != 0 || s.Counts.Unchanged != 3 {
		t.Fatalf("second run: %+v", s.Counts)
	}

	list := filepath.Join(t.TempDir(), "pages.urls")
	os.WriteFile(list, []byte("# pages\n"+site.URL+"/missing\n"), 0o644)
	r = runBinary(t, env, "sync", "--json", "--urls", list, "--state", state)
	if s := parseSummary(t, r); r.code != 0 || len(s.Skipped) != 1 || s.Skipped[0].Reason != "http_404" {
		t.Fatalf("url list: exit %d %+v", r.code, s)
	}
}
