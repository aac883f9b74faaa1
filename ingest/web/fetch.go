package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
	"golang.org/x/time/rate"
)

// fetcher does every request of a source: per-host rate and concurrency
// limits, robots.txt, the source's headers, redirect and size limits.
type fetcher struct {
	o     *Options
	hc    *http.Client
	hosts *Hosts
}

// Hosts is the politeness state of the hosts a program talks to (their
// rate and concurrency limits, their robots.txt). Web sources that share
// one (the link files of a folder, say) are polite together.
type Hosts struct {
	mu    sync.Mutex
	hosts map[string]*host
}

// NewHosts returns an empty politeness state.
func NewHosts() *Hosts { return &Hosts{hosts: map[string]*host{}} }

type host struct {
	lim    *rate.Limiter // nil: no limit
	sem    chan struct{}
	once   sync.Once
	robots *robotstxt.Group // nil: everything allowed
}

// errRedirects marks a chain of redirects longer than allowed (a loop).
var errRedirects = errors.New("too many redirects")

func newFetcher(o *Options) *fetcher {
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: o.Timeout}
	}
	c := *hc
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > o.MaxRedirects {
			return fmt.Errorf("%w (more than %d)", errRedirects, o.MaxRedirects)
		}
		for k, v := range o.Headers { // the intranet's cookie or token, on every hop
			req.Header.Set(k, v)
		}
		return nil
	}
	hosts := o.Hosts
	if hosts == nil {
		hosts = NewHosts()
	}
	return &fetcher{o: o, hc: &c, hosts: hosts}
}

func (f *fetcher) host(u *url.URL) *host {
	key := u.Scheme + "://" + u.Host
	f.hosts.mu.Lock()
	defer f.hosts.mu.Unlock()
	h, ok := f.hosts.hosts[key]
	if !ok {
		h = &host{sem: make(chan struct{}, f.o.PerHost)}
		if !f.o.NoLimits {
			h.lim = rate.NewLimiter(rate.Limit(f.o.RatePerHost), 1)
		}
		f.hosts.hosts[key] = h
	}
	return h
}

// allowed reads the host's robots.txt once and tests u against it for our
// user agent; a Crawl-delay slows the host down.
func (f *fetcher) allowed(ctx context.Context, u *url.URL) bool {
	if f.o.IgnoreRobots {
		return true
	}
	h := f.host(u)
	h.once.Do(func() {
		robotsURL := u.Scheme + "://" + u.Host + "/robots.txt"
		resp, err := f.do(ctx, http.MethodGet, robotsURL, nil)
		if err != nil {
			return // unreachable robots.txt: allowed, as crawlers agree
		}
		defer resp.Body.Close()
		data, err := robotstxt.FromStatusAndBytes(resp.StatusCode, mustRead(resp.Body, 512<<10))
		if err != nil {
			return
		}
		h.robots = data.FindGroup(f.o.UserAgent)
		if d := h.robots.CrawlDelay; d > 0 && h.lim != nil && !f.o.NoLimits {
			h.lim.SetLimit(min(rate.Limit(f.o.RatePerHost), rate.Every(d)))
		}
	})
	return h.robots == nil || h.robots.Test(u.RequestURI())
}

// do sends one request through the host's limits. The caller closes the
// body; the host's slot is held until then.
func (f *fetcher) do(ctx context.Context, method, rawURL string, hdr http.Header) (*http.Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	h := f.host(u)
	select {
	case h.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if h.lim != nil {
		if err := h.lim.Wait(ctx); err != nil {
			<-h.sem
			return nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		<-h.sem
		return nil, err
	}
	req.Header.Set("User-Agent", f.o.UserAgent)
	for k, v := range f.o.Headers {
		req.Header.Set(k, v)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		<-h.sem
		return nil, err
	}
	resp.Body = &releasing{ReadCloser: resp.Body, release: func() { <-h.sem }}
	return resp, nil
}

// releasing gives the host's slot back when the body is closed.
type releasing struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (r *releasing) Close() error {
	err := r.ReadCloser.Close()
	r.once.Do(r.release)
	return err
}

// errTooLarge is a body over MaxSize.
var errTooLarge = errors.New("larger than the size limit")

// readBody reads a whole body, refusing more than max bytes.
func readBody(resp *http.Response, max int64) ([]byte, error) {
	if resp.ContentLength > max {
		return nil, fmt.Errorf("%w: %d bytes announced, the limit is %d", errTooLarge, resp.ContentLength, max)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: more than %d bytes", errTooLarge, max)
	}
	return b, nil
}

func mustRead(r io.Reader, max int64) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, max))
	return b
}

// lastModified is the Last-Modified header as RFC 3339, or "".
func lastModified(h http.Header) string {
	t, err := http.ParseTime(h.Get("Last-Modified"))
	if err != nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
