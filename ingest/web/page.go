package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// page is what a fetched HTML page says about itself.
type page struct {
	title       string
	description string
	canonical   string
	lang        string
	links       []string // absolute, normalized
	textHash    string   // SHA-256 of the main text
}

// boilerplate is what the main text leaves out: code, styles and the
// navigation around the content (where dates and counters move).
const boilerplate = "script, style, noscript, template, iframe, svg, nav, header, footer, aside, form, [role=navigation], [role=banner], [role=contentinfo]"

// parsePage reads an HTML page fetched from base. Malformed HTML is parsed
// as browsers do; it never fails on content.
func parsePage(base *url.URL, body []byte) (*page, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	p := &page{
		title:       squash(doc.Find("head title").First().Text()),
		description: squash(doc.Find(`meta[name="description"]`).AttrOr("content", "")),
		lang:        strings.TrimSpace(doc.Find("html").AttrOr("lang", "")),
	}
	if p.title == "" {
		p.title = squash(doc.Find("h1").First().Text())
	}
	if href, ok := doc.Find(`link[rel="canonical"]`).Attr("href"); ok {
		if c, ok := resolve(base, href); ok {
			p.canonical = c
		}
	}
	if baseHref, ok := doc.Find("base[href]").Attr("href"); ok {
		if b, err := base.Parse(baseHref); err == nil {
			base = b
		}
	}
	seen := map[string]bool{}
	doc.Find("a[href]").Each(func(_ int, a *goquery.Selection) {
		if rel := a.AttrOr("rel", ""); strings.Contains(rel, "nofollow") {
			return
		}
		if u, ok := resolve(base, a.AttrOr("href", "")); ok && !seen[u] {
			seen[u] = true
			p.links = append(p.links, u)
		}
	})
	main := doc.Find("main, article, [role=main]").First()
	if main.Length() == 0 {
		main = doc.Find("body")
	}
	main = main.Clone()
	main.Find(boilerplate).Remove()
	sum := sha256.Sum256([]byte(squash(main.Text())))
	p.textHash = hex.EncodeToString(sum[:])
	return p, nil
}

func squash(s string) string { return strings.Join(strings.Fields(s), " ") }
