package rules_test

import (
	"testing"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/rules"
)

func TestFile(t *testing.T) {
	r, err := rules.New(rules.Options{
		Include: []string{"docs/**", "*.PDF"}, Exclude: []string{"**/draft-*", "tmp"},
		AsText: []string{"rst", ".ADOC", ""}, MaxFileSize: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		rel    string
		size   int64
		reason ingest.Reason
		dName  string
		ctype  string
	}{
		{"docs/Guide.MD", 10, "", "Guide.md", "text/markdown; charset=utf-8"},
		{"docs/a/b/notes.RST", 10, "", "notes.rst.txt", "text/plain; charset=utf-8"},
		{"docs/x.adoc", 10, "", "x.adoc.txt", "text/plain; charset=utf-8"},
		{"top.PDF", 10, "", "top.pdf", "application/pdf"},
		{"top.md", 10, ingest.ReasonNotIncluded, "", ""},
		{"docs/draft-plan.md", 10, ingest.ReasonExcluded, "", ""},
		{"docs/x.md.metadata.json", 10, ingest.ReasonSidecar, "", ""},
		{"docs/photo.png", 10, ingest.ReasonUnsupported, "", ""},
		{"docs/empty.txt", 0, ingest.ReasonEmpty, "", ""},
		{"docs/big.txt", 101, ingest.ReasonTooLarge, "", ""},
		{"docs/book.docx", 100, "", "book.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	}
	for _, tc := range cases {
		reason, detail, dName, ctype := r.File(tc.rel, tc.size)
		if reason != tc.reason || dName != tc.dName || ctype != tc.ctype {
			t.Errorf("%s: (%q, %q, %q), want (%q, %q, %q)", tc.rel, reason, dName, ctype, tc.reason, tc.dName, tc.ctype)
		}
		if reason != "" && detail == "" {
			t.Errorf("%s: skipped without a detail", tc.rel)
		}
	}
	if !r.ExcludedDir("a/tmp") || r.ExcludedDir("docs") {
		t.Error("ExcludedDir")
	}
}

func TestBadPattern(t *testing.T) {
	if _, err := rules.New(rules.Options{Exclude: []string{"[unclosed"}}); err == nil {
		t.Fatal("a bad glob was accepted")
	}
}
