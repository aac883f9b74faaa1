package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/lanying"
)

// fetchError is a URL that could not be fetched, with its reason code.
type fetchError struct {
	reason ingest.Reason
	err    error
}

func (e *fetchError) Error() string         { return e.err.Error() }
func (e *fetchError) Unwrap() error         { return e.err }
func (e *fetchError) Reason() ingest.Reason { return e.reason }

// fetch turns one URL into a document (and, in a crawl, more tasks).
func (c *crawl) fetch(ctx context.Context, t task) {
	o := &c.s.o
	u, _ := url.Parse(t.url)
	skip := func(reason ingest.Reason, detail string) {
		c.emit(ctx, ingest.Document{Key: t.url, Name: t.url, Skip: reason, Detail: detail})
	}
	if t.seed != nil {
		switch {
		case !inScope(o.Scope, t.seed, u):
			skip(ReasonOutOfScope, fmt.Sprintf("outside the crawl's scope (%s of %s)", o.Scope, t.seed))
			return
		case len(o.Include) > 0 && !matchAny(o.Include, t.url):
			skip(ReasonExcludedURL, "matches no include pattern")
			return
		case matchAny(o.Exclude, t.url):
			skip(ReasonExcludedURL, "matches an exclude pattern")
			return
		}
	}
	if !c.s.f.allowed(ctx, u) {
		skip(ReasonRobots, "robots.txt disallows it for "+o.UserAgent)
		return
	}
	prev, known := "", false
	if o.Previous != nil {
		prev, known = o.Previous(t.url)
	}
	if known && t.lastmod != "" && field(prev, "sitemap") == t.lastmod {
		c.emit(ctx, ingest.Document{Key: t.url, Name: t.url, Link: t.url, Version: prev}) // unchanged since, says the sitemap
		return
	}
	hdr := http.Header{}
	if known && t.seed == nil { // a crawled page is read whole: its links are needed
		if etag := field(prev, "etag"); etag != "" {
			hdr.Set("If-None-Match", etag)
		}
		if lm := field(prev, "lm"); lm != "" {
			hdr.Set("If-Modified-Since", lm)
		}
	}
	resp, err := c.s.f.do(ctx, http.MethodGet, t.url, hdr)
	if err != nil {
		reason := ingest.ReasonSourceError
		if errors.Is(err, errRedirects) {
			reason = ReasonRedirects
		}
		c.emit(ctx, ingest.Document{Key: t.url, Name: t.url, Err: &fetchError{reason, fmt.Errorf("fetching %s: %w", t.url, err)}})
		return
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && known:
		c.emit(ctx, ingest.Document{Key: t.url, Name: t.url, Link: t.url, Version: prev})
		return
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		skip(httpReason(resp.StatusCode), "the server says the page does not exist")
		return
	case resp.StatusCode != http.StatusOK:
		c.emit(ctx, ingest.Document{Key: t.url, Name: t.url, Err: &fetchError{httpReason(resp.StatusCode),
			fmt.Errorf("fetching %s: HTTP %d", t.url, resp.StatusCode)}})
		return
	}
	final, _ := normalize(resp.Request.URL.String())
	if final != t.url && !c.markSeen(final) {
		return // a redirect to a page already fetched
	}
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mediaType == "text/html" || mediaType == "application/xhtml+xml" {
		c.page(ctx, t, resp, final, prev, known)
		return
	}
	c.file(ctx, resp, final, mediaType, prev, known)
}

// page handles an HTML page.
func (c *crawl) page(ctx context.Context, t task, resp *http.Response, key, prev string, known bool) {
	o := &c.s.o
	body, err := readBody(resp, o.MaxSize)
	if err != nil {
		c.tooLargeOr(ctx, key, err)
		return
	}
	u, _ := url.Parse(key)
	p, err := parsePage(u, body)
	if err != nil {
		c.emit(ctx, ingest.Document{Key: key, Name: key, Err: fmt.Errorf("parsing %s: %w", key, err)})
		return
	}
	if t.seed != nil && t.depth < o.MaxDepth {
		for _, l := range p.links {
			c.add(task{url: l, depth: t.depth + 1, seed: t.seed})
		}
	}
	if p.canonical != "" && p.canonical != key {
		if cu, _ := url.Parse(p.canonical); cu != nil && cu.Host == u.Host {
			if !c.markSeen(p.canonical) {
				return // the canonical page is (or will be) its own document
			}
			key, u = p.canonical, cu
		}
	}
	version := fmt.Sprintf("text=%s;sitemap=%s;etag=%s;lm=%s", p.textHash, t.lastmod, resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"))
	if known && field(prev, "text") == p.textHash {
		version = prev // only a timestamp or the navigation moved: unchanged
	}
	meta := map[string]any{}
	maps.Copy(meta, o.Metadata)
	maps.Copy(meta, map[string]any{"source": key, "title": p.title})
	for k, v := range map[string]string{"description": p.description, "canonical": p.canonical, "lang": p.lang, "last_modified": lastModified(resp.Header)} {
		if v != "" {
			meta[k] = v
		}
	}
	d := ingest.Document{Key: key, Version: version, Metadata: meta}
	if c.linkMode(u) {
		d.Name, d.Link = key, key
	} else {
		d.Name, d.ContentType, d.Size, d.Content = fileName(u), "text/html; charset=utf-8", int64(len(body)), memory(body)
	}
	c.emit(ctx, d)
}

// linkMode reports whether the chatbot can fetch the page by itself.
func (c *crawl) linkMode(u *url.URL) bool {
	switch c.s.o.Mode {
	case ModeLink:
		return u.Scheme == "https"
	case ModeSnapshot:
		return false
	}
	return u.Scheme == "https" && len(c.s.o.Headers) == 0
}

// file handles a resource that is not HTML: sent as a file when the
// chatbot accepts its type.
func (c *crawl) file(ctx context.Context, resp *http.Response, key, mediaType, prev string, known bool) {
	u, _ := url.Parse(key)
	name := path.Base(u.Path)
	ext := strings.ToLower(path.Ext(name))
	if !lanying.Accepted(name) {
		if exts, _ := mime.ExtensionsByType(mediaType); len(exts) > 0 && lanying.Accepted("x"+exts[0]) {
			ext = exts[0]
			name = strings.TrimSuffix(name, path.Ext(name)) + ext
		} else {
			c.emit(ctx, ingest.Document{Key: key, Name: name, Skip: ReasonNotHTML,
				Detail: fmt.Sprintf("%s is neither a page nor a file type the chatbot accepts", firstNonEmpty(mediaType, "no content type"))})
			return
		}
	}
	name = strings.TrimSuffix(name, path.Ext(name)) + strings.ToLower(path.Ext(name))
	size := resp.ContentLength
	if size > c.s.o.MaxSize {
		c.tooLargeOr(ctx, key, fmt.Errorf("%w: %d bytes", errTooLarge, size))
		return
	}
	version := fmt.Sprintf("etag=%s;lm=%s;size=%d", resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"), size)
	meta := map[string]any{}
	maps.Copy(meta, c.s.o.Metadata)
	maps.Copy(meta, map[string]any{"source": key, "title": name})
	if lm := lastModified(resp.Header); lm != "" {
		meta["last_modified"] = lm
	}
	d := ingest.Document{Key: key, Name: name, ContentType: mediaType, Version: version, Metadata: meta}
	switch {
	case known && prev == version && size >= 0:
		d.Link = key // unchanged: the plan stops at the version
	case size >= 0:
		d.Size, d.Content = size, &remoteFile{f: c.s.f, url: key, size: size}
	default: // no Content-Length: read it (within MaxSize) to know its size
		body, err := readBody(resp, c.s.o.MaxSize)
		if err != nil {
			c.tooLargeOr(ctx, key, err)
			return
		}
		d.Size, d.Content = int64(len(body)), memory(body)
	}
	c.emit(ctx, d)
}

func (c *crawl) tooLargeOr(ctx context.Context, key string, err error) {
	if errors.Is(err, errTooLarge) {
		c.emit(ctx, ingest.Document{Key: key, Name: key, Skip: ReasonTooLarge, Detail: err.Error() + " (max_size)"})
		return
	}
	c.emit(ctx, ingest.Document{Key: key, Name: key, Err: fmt.Errorf("reading %s: %w", key, err)})
}

// field returns the value of name in a version string "a=1;b=2".
func field(version, name string) string {
	for _, part := range strings.Split(version, ";") {
		if k, v, ok := strings.Cut(part, "="); ok && k == name {
			return v
		}
	}
	return ""
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
