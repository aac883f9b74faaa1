package web

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/lanyingim/lanying-ingest/ingest"
)

// Source is a web source.
type Source struct {
	id string
	o  Options
	f  *fetcher
}

var _ ingest.Source = (*Source)(nil)

// New returns a web source named id (its key in the state: keep it stable).
func New(id string, o Options) (*Source, error) {
	o.fill()
	if len(o.URLs)+len(o.Sitemaps)+len(o.Seeds) == 0 {
		return nil, errors.New("a web source needs urls, sitemaps or seeds")
	}
	for _, list := range [][]string{o.URLs, o.Sitemaps, o.Seeds} {
		for _, u := range list {
			if _, ok := normalize(u); !ok {
				return nil, fmt.Errorf("%q is not an http(s) URL", u)
			}
		}
	}
	switch o.Mode {
	case ModeAuto, ModeLink, ModeSnapshot:
	default:
		return nil, fmt.Errorf("mode %q: want link or snapshot", o.Mode)
	}
	return &Source{id: id, o: o, f: newFetcher(&o)}, nil
}

// ID names the source.
func (s *Source) ID() string { return s.id }

// task is one URL to fetch.
type task struct {
	url     string
	depth   int
	seed    *url.URL // the crawl it belongs to; nil for listed URLs (no scope, no links followed)
	lastmod string   // from a sitemap
}

// crawl is the state of one Walk: the frontier, what was seen, and the
// documents on their way to yield.
type crawl struct {
	s    *Source
	out  chan ingest.Document
	mu   sync.Mutex
	cond *sync.Cond
	q    []task
	busy int
	seen map[string]bool
	docs int // documents yielded, against MaxPages
	full bool
}

// Walk fetches the listed URLs, the sitemaps' pages and the crawl, with
// up to Workers fetches at once, and yields one document per page.
func (s *Source) Walk(ctx context.Context, yield func(ingest.Document) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &crawl{s: s, out: make(chan ingest.Document), seen: map[string]bool{}}
	c.cond = sync.NewCond(&c.mu)
	c.busy = 1 // the seeding below
	var wg sync.WaitGroup
	for range s.o.Workers {
		wg.Add(1)
		go func() { defer wg.Done(); c.work(ctx) }()
	}
	go func() {
		c.seedAll(ctx)
		c.finish()
		wg.Wait()
		close(c.out)
	}()
	var err error
	for d := range c.out {
		if err == nil {
			if err = yield(d); err != nil {
				cancel()
			}
		}
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

func (c *crawl) seedAll(ctx context.Context) {
	for _, u := range c.s.o.URLs {
		c.add(task{url: u})
	}
	for _, sm := range c.s.o.Sitemaps {
		err := c.s.sitemap(ctx, sm, 0, func(e sitemapEntry) bool {
			c.add(task{url: e.loc, lastmod: e.lastmod})
			return ctx.Err() == nil
		})
		if err != nil {
			c.emit(ctx, ingest.Document{Key: sm, Name: "sitemap", Err: err})
		}
	}
	for _, seed := range c.s.o.Seeds {
		n, _ := normalize(seed)
		su, _ := url.Parse(n)
		c.add(task{url: n, seed: su})
	}
}

// add queues a task once per URL.
func (c *crawl) add(t task) {
	n, ok := normalize(t.url)
	if !ok {
		return
	}
	t.url = n
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[n] {
		return
	}
	c.seen[n] = true
	c.q = append(c.q, t)
	c.cond.Signal()
}

// markSeen records a URL (a canonical one) so it is not fetched again; it
// reports whether it was new.
func (c *crawl) markSeen(u string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[u] {
		return false
	}
	c.seen[u] = true
	return true
}

func (c *crawl) finish() {
	c.mu.Lock()
	c.busy--
	c.cond.Broadcast()
	c.mu.Unlock()
}

func (c *crawl) work(ctx context.Context) {
	for {
		c.mu.Lock()
		for len(c.q) == 0 && c.busy > 0 {
			c.cond.Wait()
		}
		if len(c.q) == 0 {
			c.cond.Broadcast()
			c.mu.Unlock()
			return
		}
		t := c.q[0]
		c.q = c.q[1:]
		c.busy++
		c.mu.Unlock()
		if ctx.Err() == nil {
			c.fetch(ctx, t)
		}
		c.finish()
	}
}

// emit hands a document to Walk's goroutine. A page over MaxPages is
// dropped, and said once.
func (c *crawl) emit(ctx context.Context, d ingest.Document) {
	if d.Skip == "" && d.Err == nil {
		c.mu.Lock()
		over := c.docs >= c.s.o.MaxPages
		first := over && !c.full
		c.full = c.full || over
		if !over {
			c.docs++
		}
		c.mu.Unlock()
		if over {
			if !first {
				return
			}
			d = ingest.Document{Key: d.Key, Name: d.Name, Skip: ReasonMaxPages,
				Detail: fmt.Sprintf("max_pages (%d) reached: this and later pages are not sent", c.s.o.MaxPages)}
		}
	}
	select {
	case c.out <- d:
	case <-ctx.Done():
	}
}
