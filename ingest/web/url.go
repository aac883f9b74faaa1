package web

import (
	"net/url"
	"path"
	"strings"
)

// normalize makes one key per page: no fragment, lower-case scheme and
// host, no default port, a path of at least "/", dot segments resolved.
func normalize(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if (u.Scheme == "http" && strings.HasSuffix(u.Host, ":80")) || (u.Scheme == "https" && strings.HasSuffix(u.Host, ":443")) {
		u.Host = u.Host[:strings.LastIndexByte(u.Host, ':')]
	}
	u.Fragment, u.RawFragment, u.User = "", "", nil
	if u.Path == "" {
		u.Path = "/"
	} else {
		trailing := strings.HasSuffix(u.Path, "/")
		u.Path = path.Clean(u.Path)
		if trailing && u.Path != "/" {
			u.Path += "/"
		}
	}
	u.RawPath = ""
	return u.String(), true
}

// resolve makes a link found on base absolute and normalized.
func resolve(base *url.URL, href string) (string, bool) {
	href = strings.TrimSpace(href)
	if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(href, "mailto:") || strings.HasPrefix(href, "javascript:") {
		return "", false
	}
	ref, err := url.Parse(href)
	if err != nil {
		return "", false
	}
	return normalize(base.ResolveReference(ref).String())
}

// inScope reports whether u may be crawled from seed.
func inScope(scope Scope, seed, u *url.URL) bool {
	host, seedHost := u.Hostname(), seed.Hostname()
	switch scope {
	case ScopeDomain:
		return host == seedHost || strings.HasSuffix(host, "."+seedHost)
	case ScopePrefix:
		prefix := seed.Path
		if !strings.HasSuffix(prefix, "/") {
			prefix = path.Dir(prefix) + "/"
		}
		return u.Host == seed.Host && u.Scheme == seed.Scheme && strings.HasPrefix(u.Path, prefix)
	default:
		return u.Host == seed.Host
	}
}

// fileName is the name a page's snapshot is uploaded under: its last
// path segment (or the host), made safe, with .html.
func fileName(u *url.URL) string {
	base := strings.TrimSuffix(path.Base(u.Path), path.Ext(u.Path))
	if base == "" || base == "/" || base == "." {
		base = u.Hostname()
	}
	base = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' {
			return '_'
		}
		return r
	}, base)
	if len(base) > 100 {
		base = base[:100]
	}
	return base + ".html"
}
