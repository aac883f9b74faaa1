// Package web is the web source: explicit URL lists, sitemaps (indexes,
// gzipped, <lastmod>) and crawls from seed URLs, politely (robots.txt,
// Crawl-delay, a rate and a concurrency limit per host). A public https
// page is sent as a link for the chatbot to fetch; anything else it cannot
// reach is fetched here and sent as an .html snapshot; PDFs and other
// accepted files behind links are downloaded and sent as files. A page
// counts as changed only when its main text changes.
package web

import (
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest"
)

// Mode is how pages are delivered.
type Mode string

// Modes.
const (
	ModeAuto     Mode = ""         // link for public https pages, snapshot otherwise
	ModeLink     Mode = "link"     // post the URL; the chatbot fetches the page
	ModeSnapshot Mode = "snapshot" // fetch the HTML and upload it as an .html file
)

// Scope limits a crawl.
type Scope string

// Scopes.
const (
	ScopeHost   Scope = "host"   // the seed's host only (the default)
	ScopeDomain Scope = "domain" // the seed's host and its subdomains
	ScopePrefix Scope = "prefix" // URLs under the seed's path
)

// Options describe a web source.
type Options struct {
	URLs     []string // pages to send, as they are
	Sitemaps []string // sitemap.xml URLs (indexes and .gz too)
	Seeds    []string // crawl from these, following links
	MaxDepth int      // crawl depth from a seed (default 3)
	MaxPages int      // documents at most (default 10,000)
	Scope    Scope
	Include  []*regexp.Regexp // a crawled URL must match one, when any
	Exclude  []*regexp.Regexp // a crawled URL matching one is skipped
	Mode     Mode

	UserAgent    string            // default "lanying-ingest/VERSION (+https://github.com/lanyingim/lanying-ingest)"
	Headers      map[string]string // sent with every request (a cookie, a bearer token); never logged
	RatePerHost  float64           // requests per second per host (default 2; 0 with NoLimits: none)
	PerHost      int               // requests at once per host (default 2)
	Workers      int               // fetches at once in all (default 8)
	Timeout      time.Duration     // per request (default 30 s)
	MaxSize      int64             // largest page or file (default 20 MiB), checked before and while downloading
	MaxRedirects int               // default 5
	IgnoreRobots bool              // do not read robots.txt (only for your own sites)
	NoLimits     bool              // no rate limit, no Crawl-delay (benchmarks, your own sites)
	Metadata     map[string]any    // static metadata for every document
	HTTPClient   *http.Client      // default: one with Timeout
	Hosts        *Hosts            // politeness shared with other sources; default: the source's own

	// Previous returns what the last run recorded for a key (the URL), for
	// conditional requests; nil disables them.
	Previous func(key string) (version string, ok bool)
}

// Reasons for skipped and failed URLs.
const (
	ReasonRobots      ingest.Reason = "robots_disallowed"
	ReasonOutOfScope  ingest.Reason = "out_of_scope"
	ReasonNotHTML     ingest.Reason = "not_html"
	ReasonTooLarge    ingest.Reason = "too_large"
	ReasonMaxPages    ingest.Reason = "max_pages"
	ReasonRedirects   ingest.Reason = "redirect_loop"
	ReasonExcludedURL ingest.Reason = "excluded"
)

// httpReason is the reason code of an HTTP status: http_404, http_500.
func httpReason(status int) ingest.Reason { return ingest.Reason(fmt.Sprintf("http_%d", status)) }

func (o *Options) fill() {
	if o.MaxDepth <= 0 {
		o.MaxDepth = 3
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 10_000
	}
	if o.Scope == "" {
		o.Scope = ScopeHost
	}
	if o.UserAgent == "" {
		o.UserAgent = "lanying-ingest (+https://github.com/lanyingim/lanying-ingest)"
	}
	if o.RatePerHost <= 0 {
		o.RatePerHost = 2
	}
	if o.PerHost <= 0 {
		o.PerHost = 2
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxSize <= 0 {
		o.MaxSize = 20 << 20
	}
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = 5
	}
}
