package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/web"
)

// generatedSite serves n pages, each linking to the next ten: a crawl
// from page 0 finds them all.
func generatedSite(b *testing.B, n int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nAllow: /\n")
			return
		}
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p/"))
		if err != nil || i >= n {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<html><head><title>Page %d</title></head><body><nav>menu</nav><main><h1>Page %d</h1><p>%s</p>", i, i, strings.Repeat("Some text of the page. ", 50))
		for j := 1; j <= 10; j++ {
			fmt.Fprintf(w, `<a href="/p/%d">next %d</a> `, (i*10+j)%n, j)
		}
		fmt.Fprint(w, "</main><footer>footer</footer></body></html>")
	}))
	b.Cleanup(srv.Close)
	return srv
}

func crawl(b *testing.B, n int, o web.Options) {
	srv := generatedSite(b, n)
	o.Seeds = []string{srv.URL + "/p/0"}
	o.MaxDepth, o.MaxPages, o.Mode = 10, n, web.ModeSnapshot
	b.ResetTimer()
	for range b.N {
		src, err := web.New("web:bench", o)
		if err != nil {
			b.Fatal(err)
		}
		pages := 0
		err = src.Walk(context.Background(), func(d ingest.Document) error {
			if d.Content != nil {
				pages++
			}
			return nil
		})
		if err != nil || pages != n {
			b.Fatalf("crawled %d pages of %d: %v", pages, n, err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "pages/s")
}

// BenchmarkCrawlNoLimits crawls a local site of 2,000 pages with the
// politeness limits off (rate, Crawl-delay; robots.txt is still read).
//
//	go test -run '^$' -bench Crawl -benchtime 1x ./ingest/web/
func BenchmarkCrawlNoLimits(b *testing.B) { crawl(b, 2000, web.Options{NoLimits: true, PerHost: 8}) }

// BenchmarkCrawlPolite crawls 40 pages of one host at the default
// politeness (2 requests a second, 2 at once): the rate is the limit.
func BenchmarkCrawlPolite(b *testing.B) { crawl(b, 40, web.Options{}) }
