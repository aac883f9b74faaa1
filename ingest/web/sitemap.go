package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// sitemapEntry is one <url> of a sitemap.
type sitemapEntry struct {
	loc     string
	lastmod string
}

type sitemapXML struct {
	XMLName xml.Name
	URLs    []struct {
		Loc     string `xml:"loc"`
		Lastmod string `xml:"lastmod"`
	} `xml:"url"`
	Sitemaps []struct {
		Loc string `xml:"loc"`
	} `xml:"sitemap"`
}

// maxSitemapDepth bounds sitemap indexes that point at indexes.
const maxSitemapDepth = 3

// sitemap reads a sitemap or a sitemap index (plain or gzipped) and calls
// fn for every page in it, until fn returns false.
func (s *Source) sitemap(ctx context.Context, rawURL string, depth int, fn func(sitemapEntry) bool) error {
	if depth > maxSitemapDepth {
		return fmt.Errorf("sitemap %s: indexes nested deeper than %d", rawURL, maxSitemapDepth)
	}
	resp, err := s.f.do(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return fmt.Errorf("sitemap %s: %w", rawURL, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sitemap %s: HTTP %d", rawURL, resp.StatusCode)
	}
	body, err := readBody(resp, s.o.MaxSize)
	if err != nil {
		return fmt.Errorf("sitemap %s: %w", rawURL, err)
	}
	if len(body) > 2 && body[0] == 0x1f && body[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("sitemap %s: %w", rawURL, err)
		}
		if body, err = io.ReadAll(io.LimitReader(zr, 8*s.o.MaxSize)); err != nil {
			return fmt.Errorf("sitemap %s: %w", rawURL, err)
		}
	}
	var sm sitemapXML
	if err := xml.Unmarshal(body, &sm); err != nil {
		return fmt.Errorf("sitemap %s: not a sitemap: %w", rawURL, err)
	}
	for _, child := range sm.Sitemaps {
		if err := s.sitemap(ctx, strings.TrimSpace(child.Loc), depth+1, fn); err != nil {
			return err
		}
	}
	for _, u := range sm.URLs {
		if !fn(sitemapEntry{loc: strings.TrimSpace(u.Loc), lastmod: strings.TrimSpace(u.Lastmod)}) {
			return nil
		}
	}
	return nil
}
