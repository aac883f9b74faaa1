package dir

import (
	"fmt"
	"mime"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/lanying"
)

// DefaultMaxFileSize is the size above which files are skipped.
const DefaultMaxFileSize = 100 << 20

// Options are a folder source's rules.
type Options struct {
	// Include, when not empty, keeps only files matching one of the
	// patterns; Exclude drops files and whole directories. A pattern with
	// no "/" matches a name at any depth ("*.tmp", "node_modules"); one with
	// a "/" matches the path from the folder ("drafts/**", "**/old/*.md").
	// "**" matches any number of directories.
	Include []string
	Exclude []string
	// AsText lists extensions of other text formats (".rst", ".adoc") that
	// are sent as plain text: their dName gets ".txt" appended.
	AsText []string
	// FollowSymlinks follows symbolic links (loop-safe) instead of
	// skipping them.
	FollowSymlinks bool
	// MaxFileSize skips larger files (default 100 MiB).
	MaxFileSize int64
	// Metadata is added to every document of the folder.
	Metadata map[string]any
}

type rules struct {
	Options
	asText map[string]bool
}

func newRules(o Options) (*rules, error) {
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	r := &rules{Options: o, asText: map[string]bool{}}
	for _, p := range append(append([]string(nil), o.Include...), o.Exclude...) {
		if !doublestar.ValidatePattern(p) {
			return nil, fmt.Errorf("pattern %q is not a valid glob", p)
		}
	}
	for _, e := range o.AsText {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if !strings.HasPrefix(e, ".") {
			e = "." + e
		}
		r.asText[e] = true
	}
	return r, nil
}

// match reports whether rel (slash-separated) matches one of patterns.
func match(patterns []string, rel string) bool {
	for _, p := range patterns {
		subject := rel
		if !strings.Contains(p, "/") {
			subject = path.Base(rel)
		}
		if ok, _ := doublestar.Match(p, subject); ok {
			return true
		}
	}
	return false
}

// excludedDir reports whether a directory is pruned by Exclude.
func (r *rules) excludedDir(rel string) bool {
	return match(r.Exclude, rel) || match(r.Exclude, rel+"/")
}

// file applies the file rules in order; it returns the reason a file is
// skipped, or "" and the name and content type to send it under.
func (r *rules) file(rel string, size int64) (reason ingest.Reason, detail, dName, ctype string) {
	base := path.Base(rel)
	ext := strings.ToLower(path.Ext(base))
	switch {
	case strings.HasSuffix(strings.ToLower(base), sidecarSuffix):
		return ingest.ReasonSidecar, "metadata sidecar, merged into its document", "", ""
	case match(r.Exclude, rel):
		return ingest.ReasonExcluded, "matches an exclude pattern", "", ""
	case len(r.Include) > 0 && !match(r.Include, rel):
		return ingest.ReasonNotIncluded, "matches no include pattern", "", ""
	}
	dName = strings.TrimSuffix(base, path.Ext(base)) + ext
	switch {
	case lanying.Accepted(base):
		ctype = contentType(ext)
	case r.asText[ext]:
		dName += ".txt"
		ctype = "text/plain; charset=utf-8"
	default:
		return ingest.ReasonUnsupported, fmt.Sprintf("the chatbot does not accept %q files (add it to as_text if it is text)", ext), "", ""
	}
	switch {
	case size == 0:
		return ingest.ReasonEmpty, "the file is empty", "", ""
	case size > r.MaxFileSize:
		return ingest.ReasonTooLarge, fmt.Sprintf("%d bytes, over max_file_size %d", size, r.MaxFileSize), "", ""
	}
	return "", "", dName, ctype
}

// contentTypes are the real types of the accepted extensions, fixed here
// rather than taken from the system's mime tables, which vary.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".htm":  "text/html; charset=utf-8",
	".csv":  "text/csv; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
	".md":   "text/markdown; charset=utf-8",
	".pdf":  "application/pdf",
	".doc":  "application/msword",
	".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	".xls":  "application/vnd.ms-excel",
	".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	".zip":  "application/zip",
}

func contentType(ext string) string {
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}
