package meta_test

import (
	"strings"
	"testing"

	"github.com/lanyingim/lanying-ingest/ingest/meta"
)

func TestTitle(t *testing.T) {
	cases := []struct{ name, content, want string }{
		{"a.html", "<html><head><title>\n  Hello   World </title></head><body><h1>H</h1></body></html>", "Hello World"},
		{"a.htm", "<html><body><h1>Only Heading</h1></body></html>", "Only Heading"},
		{"a.HTML", "<p>no title</p>", "a.HTML"},
		{"a.md", "---\ntitle: \"Front Matter\"\ntags: [a]\n---\n# Heading\n", "Front Matter"},
		{"a.md", "---\ntags: [a]\n---\n\n# Heading After FM #\n", "Heading After FM"},
		{"a.md", "\xef\xbb\xbf# BOM Heading\n", "BOM Heading"},
		{"a.md", "```\n# not a heading\n```\nSetext Title\n============\n", "Setext Title"},
		{"a.md", "#hashtag is not a heading\nplain\n", "a.md"},
		{"a.md", "---\ntitle: [unclosed\n---\n# Fallback\n", "Fallback"},
		{"a.markdown", "## Second level only\n", "a.markdown"},
		{"report.pdf", "%PDF-1.7", "report.pdf"},
	}
	for _, tc := range cases {
		if got := meta.Title(tc.name, []byte(tc.content)); got != tc.want {
			t.Errorf("Title(%s, %q) = %q, want %q", tc.name, tc.content, got, tc.want)
		}
	}
}

func TestParseSidecar(t *testing.T) {
	good := []struct {
		in   string
		key  string
		want any
	}{
		{`{"team":"docs"}`, "team", "docs"},
		{`{"metadataAttributes":{"genre":"faq"}}`, "genre", "faq"},
		{`{"metadataAttributes":{"ok":{"value":{"type":"BOOLEAN","booleanValue":true}}}}`, "ok", true},
		{`{"metadataAttributes":{"x":1},"other":2}`, "other", nil}, // not Bedrock's layout: kept whole
	}
	for _, tc := range good {
		m, err := meta.ParseSidecar([]byte(tc.in))
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if tc.want != nil && m[tc.key] != tc.want {
			t.Errorf("%s: %s = %v, want %v", tc.in, tc.key, m[tc.key], tc.want)
		}
		if tc.want == nil && m["metadataAttributes"] == nil {
			t.Errorf("%s: layout wrongly unwrapped: %v", tc.in, m)
		}
	}
	for _, bad := range []string{`[1]`, `"s"`, `null`, `{"a":1} {"b":2}`, `{"metadataAttributes":[1]}`, `{broken`, ``} {
		if _, err := meta.ParseSidecar([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestLinkFiles(t *testing.T) {
	good := []struct{ name, data, want string }{
		{"a.url", "[InternetShortcut]\r\nURL=https://example.com/page\r\nIconIndex=0\r\n", "https://example.com/page"},
		{"a.URL", "\xef\xbb\xbf[{000214A0-0000-0000-C000-000000000046}]\nProp3=19,11\n[InternetShortcut]\nurl = http://intranet/x\n", "http://intranet/x"},
		{"a.webloc", `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd"><plist version="1.0"><dict><key>URL</key><string>https://example.com/mac</string></dict></plist>`, "https://example.com/mac"},
		{"a.urls", "# pages\nhttps://a.example/1\n\nhttps://a.example/2  # second\nhttps://a.example/1\n", "https://a.example/1 https://a.example/2"},
	}
	for _, tc := range good {
		urls, err := meta.LinkFileURLs(tc.name, []byte(tc.data))
		if err != nil || strings.Join(urls, " ") != tc.want {
			t.Errorf("%s: %v %v, want %s", tc.name, urls, err, tc.want)
		}
	}
	bad := map[string]string{
		"a.url":    "[Other]\nURL=https://x/\n",
		"b.url":    "[InternetShortcut]\nURL=ftp://x/\n",
		"a.webloc": "bplist00\x01\x02",
		"b.webloc": "<plist><dict><key>Other</key><string>x</string></dict></plist>",
		"a.urls":   "https://ok.example/\nnot a url\n",
		"b.urls":   "# nothing\n",
	}
	for name, data := range bad {
		if urls, err := meta.LinkFileURLs(name, []byte(data)); err == nil {
			t.Errorf("%s accepted: %v", name, urls)
		}
	}
	if !meta.IsLinkFile("x.WEBLOC") || meta.IsLinkFile("x.md") {
		t.Error("IsLinkFile")
	}
}
