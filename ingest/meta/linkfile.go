package meta

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"path"
	"strings"
)

// Link files are files that point at web pages: a Windows Internet
// Shortcut (.url), a macOS .webloc, or a plain list of URLs (.urls).
var linkExts = map[string]bool{".url": true, ".webloc": true, ".urls": true}

// IsLinkFile reports whether name is a link file.
func IsLinkFile(name string) bool { return linkExts[strings.ToLower(path.Ext(name))] }

// LinkFileURLs returns the http(s) URLs a link file points at.
func LinkFileURLs(name string, data []byte) ([]string, error) {
	var urls []string
	var err error
	switch strings.ToLower(path.Ext(name)) {
	case ".url":
		urls, err = internetShortcut(data)
	case ".webloc":
		urls, err = webloc(data)
	case ".urls":
		urls, err = ParseURLList(data)
	default:
		return nil, fmt.Errorf("%s is not a link file", name)
	}
	if err != nil {
		return nil, err
	}
	for _, u := range urls {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("%q is not an http(s) URL", u)
		}
	}
	if len(urls) == 0 {
		return nil, errors.New("it names no URL")
	}
	return urls, nil
}

// internetShortcut reads [InternetShortcut] URL=... (an INI file).
func internetShortcut(data []byte) ([]string, error) {
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = strings.ToLower(line)
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && section == "[internetshortcut]" && strings.EqualFold(strings.TrimSpace(k), "url") {
			return []string{strings.TrimSpace(v)}, nil
		}
	}
	return nil, errors.New("no [InternetShortcut] section with a URL= line")
}

// webloc reads an XML property list with a URL key.
func webloc(data []byte) ([]string, error) {
	if bytes.HasPrefix(data, []byte("bplist")) {
		return nil, errors.New("a binary .webloc: save it as XML (plutil -convert xml1 FILE)")
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var lastKey string
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.New("not a property list with a URL key")
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		var text string
		switch start.Name.Local {
		case "key":
			if err := dec.DecodeElement(&text, &start); err != nil {
				return nil, err
			}
			lastKey = text
		case "string":
			if err := dec.DecodeElement(&text, &start); err != nil {
				return nil, err
			}
			if lastKey == "URL" {
				return []string{strings.TrimSpace(text)}, nil
			}
		}
	}
}

// ParseURLList reads one URL a line; # starts a comment; repeats are
// dropped.
func ParseURLList(data []byte) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i == 0 || (i > 0 && (line[i-1] == ' ' || line[i-1] == '\t')) {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" || seen[line] {
			continue
		}
		if !strings.HasPrefix(line, "http://") && !strings.HasPrefix(line, "https://") {
			return nil, fmt.Errorf("line %d: %q is not an http(s) URL", n, line)
		}
		seen[line] = true
		out = append(out, line)
	}
	return out, sc.Err()
}
