// Package meta extracts document metadata that takes reading the content:
// titles (HTML <title>, Markdown front matter or first heading) and
// metadata sidecar files.
package meta

import (
	"bufio"
	"bytes"
	"path"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"gopkg.in/yaml.v3"
)

// PrefixSize is how much of a file Title needs to see.
const PrefixSize = 256 << 10

// HasTitle reports whether Title can find a title in a file named name
// (HTML or Markdown); for others it would only return the file name.
func HasTitle(name string) bool {
	switch strings.ToLower(path.Ext(name)) {
	case ".html", ".htm", ".md", ".markdown":
		return true
	}
	return false
}

// Title returns the title of a document named name from the first bytes
// of its content: the HTML <title>, the Markdown front matter's title or
// first heading, else the file name.
func Title(name string, prefix []byte) string {
	var t string
	switch strings.ToLower(path.Ext(name)) {
	case ".html", ".htm":
		t = HTMLTitle(prefix)
	case ".md", ".markdown":
		t = MarkdownTitle(prefix)
	}
	if t == "" {
		return path.Base(name)
	}
	return t
}

// HTMLTitle returns the text of <title>, or of the first <h1>, or "".
func HTMLTitle(b []byte) string {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(b))
	if err != nil {
		return ""
	}
	if t := clean(doc.Find("head title").First().Text()); t != "" {
		return t
	}
	if t := clean(doc.Find("title").First().Text()); t != "" {
		return t
	}
	return clean(doc.Find("h1").First().Text())
}

// MarkdownTitle returns the front matter's title, or the first heading
// (ATX "# Title" or setext "Title\n====="), or "".
func MarkdownTitle(b []byte) string {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if fm, rest, ok := frontMatter(b); ok {
		var m map[string]any
		if yaml.Unmarshal(fm, &m) == nil {
			if t, ok := m["title"].(string); ok && clean(t) != "" {
				return clean(t)
			}
		}
		b = rest
	}
	return firstHeading(b)
}

// frontMatter splits a leading YAML block fenced by "---" lines.
func frontMatter(b []byte) (fm, rest []byte, ok bool) {
	if !bytes.HasPrefix(b, []byte("---\n")) && !bytes.HasPrefix(b, []byte("---\r\n")) {
		return nil, b, false
	}
	body := b[bytes.IndexByte(b, '\n')+1:]
	for off := 0; off < len(body); {
		end := bytes.IndexByte(body[off:], '\n')
		line := body[off:]
		if end >= 0 {
			line = body[off : off+end]
		}
		if l := strings.TrimRight(string(line), "\r \t"); l == "---" || l == "..." {
			next := len(body)
			if end >= 0 {
				next = off + end + 1
			}
			return body[:off], body[next:], true
		}
		if end < 0 {
			break
		}
		off += end + 1
	}
	return nil, b, false
}

func firstHeading(b []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	var prev string
	fenced := false
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimLeft(line, " ")
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fenced = !fenced
			prev = ""
			continue
		}
		if fenced {
			continue
		}
		if strings.HasPrefix(trimmed, "# ") || trimmed == "#" {
			if t := clean(strings.TrimRight(strings.TrimPrefix(trimmed, "#"), "# ")); t != "" {
				return t
			}
		}
		if prev != "" && len(trimmed) >= 2 && strings.Trim(trimmed, "=") == "" {
			return clean(prev)
		}
		prev = trimmed
	}
	return ""
}

// clean collapses white space.
func clean(s string) string { return strings.Join(strings.Fields(s), " ") }
