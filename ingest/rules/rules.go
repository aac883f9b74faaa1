// Package rules decides, for every source, which documents are sent and
// under which name: include and exclude globs, the chatbot's accepted
// extensions, extensions sent as text, empty and too large files,
// metadata sidecars. Each skip comes with a reason code and words.
package rules

import (
	"fmt"
	"mime"
	"path"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/meta"
	"github.com/lanyingim/lanying-ingest/lanying"
)

// DefaultMaxFileSize is the size above which files are skipped.
const DefaultMaxFileSize = 100 << 20

// SidecarSuffix names a metadata sidecar (report.pdf.metadata.json).
const SidecarSuffix = meta.SidecarSuffix

// Options are a source's rules.
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
	// MaxFileSize skips larger files (default 100 MiB).
	MaxFileSize int64
	// Metadata is added to every document of the source.
	Metadata map[string]any
}

// Rules are compiled Options.
type Rules struct {
	Options
	asText map[string]bool
}

// New checks the patterns and returns the rules.
func New(o Options) (*Rules, error) {
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	r := &Rules{Options: o, asText: map[string]bool{}}
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

// ExcludedDir reports whether a directory is pruned by Exclude.
func (r *Rules) ExcludedDir(rel string) bool {
	return match(r.Exclude, rel) || match(r.Exclude, rel+"/")
}

// File applies the file rules in order to the document at rel (a
// slash-separated path from the source's root): it returns the reason it
// is skipped, or "" and the name and content type to send it under.
func (r *Rules) File(rel string, size int64) (reason ingest.Reason, detail, dName, ctype string) {
	base := path.Base(rel)
	ext := strings.ToLower(path.Ext(base))
	switch {
	case strings.HasSuffix(strings.ToLower(base), SidecarSuffix):
		return ingest.ReasonSidecar, "metadata sidecar, merged into its document", "", ""
	case match(r.Exclude, rel):
		return ingest.ReasonExcluded, "matches an exclude pattern", "", ""
	case len(r.Include) > 0 && !match(r.Include, rel):
		return ingest.ReasonNotIncluded, "matches no include pattern", "", ""
	}
	dName = strings.TrimSuffix(base, path.Ext(base)) + ext
	switch {
	case lanying.Accepted(base):
		ctype = ContentType(ext)
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

// ContentType is the real content type of an extension (".pdf").
func ContentType(ext string) string {
	if t, ok := contentTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}
