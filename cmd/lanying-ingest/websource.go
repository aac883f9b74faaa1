package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/lanyingim/lanying-ingest/cmd/lanying-ingest/internal/config"
	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/meta"
	"github.com/lanyingim/lanying-ingest/ingest/web"
)

// memo is what the last run recorded, for a web source's conditional
// requests; its store and target are set once the app is connected.
type memo struct {
	store  ingest.Store
	target string
	source string
}

func (m *memo) previous(key string) (string, bool) {
	if m.store == nil {
		return "", false
	}
	rec, found, err := m.store.Get(context.Background(), m.target, m.source, key)
	return rec.Version, err == nil && found && rec.State == ingest.StateSent
}

// newWeb builds a web source.
func newWeb(s config.Source, static map[string]any, m *memo) (*web.Source, error) {
	o := web.Options{
		URLs: append([]string(nil), s.URLs...), Sitemaps: s.Sitemaps, Seeds: s.Seeds,
		MaxDepth: s.MaxDepth, MaxPages: s.MaxPages, Scope: web.Scope(s.Scope), Mode: web.Mode(s.Mode),
		UserAgent:   firstNonEmpty(s.UserAgent, "lanying-ingest/"+version+" (+https://github.com/lanyingim/lanying-ingest)"),
		RatePerHost: s.RatePerHost, PerHost: s.PerHost, MaxSize: int64(s.MaxPageSize), IgnoreRobots: s.IgnoreRobots,
		Metadata: static, Headers: map[string]string{},
	}
	for k, v := range s.Headers {
		o.Headers[k] = v.Reveal()
	}
	for _, list := range []struct {
		dst *[]*regexp.Regexp
		src []string
	}{{&o.Include, s.IncludeURLs}, {&o.Exclude, s.ExcludeURLs}} {
		for _, p := range list.src {
			re, err := regexp.Compile(p)
			if err != nil {
				return nil, usageErr(fmt.Errorf("URL pattern %q: %w", p, err), "")
			}
			*list.dst = append(*list.dst, re)
		}
	}
	if s.URLsFile != "" {
		urls, err := readURLList(s.URLsFile)
		if err != nil {
			return nil, usageErr(err, "one URL a line; # starts a comment")
		}
		o.URLs = append(o.URLs, urls...)
	}
	o.Previous = m.previous
	id := "web:" + firstNonEmpty(s.Name, firstNonEmpty(s.URLsFile, strings.Join(append(append(o.Seeds, o.Sitemaps...), s.URLs...), ",")))
	m.source = id
	src, err := web.New(id, o)
	if err != nil {
		return nil, usageErr(err, "")
	}
	return src, nil
}

// readURLList reads a file of URLs, one a line; # starts a comment.
func readURLList(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	urls, err := meta.ParseURLList(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return urls, nil
}
