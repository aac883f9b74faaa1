package dir_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/dir"
	"github.com/lanyingim/lanying-ingest/ingest/rules"
)

// tree creates files (path → content) under a new temporary folder.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func walk(t *testing.T, root string, o dir.Options) map[string]ingest.Document {
	t.Helper()
	src, err := dir.New(root, o)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]ingest.Document{}
	err = src.Walk(context.Background(), func(d ingest.Document) error {
		if _, dup := docs[d.Key]; dup {
			t.Errorf("key %s yielded twice", d.Key)
		}
		docs[d.Key] = d
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestFolderRules(t *testing.T) {
	root := tree(t, map[string]string{
		"guide.md":                 "# Guide",
		"Report.PDF":               "%PDF",
		"sub/deep/table.CSV":       "a,b",
		".hidden.md":               "x",
		".git/config":              "x",
		"notes.rst":                "text",
		"data.json":                "{}",
		"empty.txt":                "",
		"big.txt":                  "0123456789",
		"drafts/wip.md":            "x",
		"node_modules/pkg/read.md": "x",
		"keep/a.tmp":               "x",
		"guide.md.metadata.json":   `{"a":1}`,
		"archive.zip":              "PK",
		"page.htm":                 "<b>x</b>",
	})
	if err := os.Symlink(filepath.Join(root, "guide.md"), filepath.Join(root, "link.md")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(root, "pipe.txt"), 0o644); err != nil {
		t.Fatal(err)
	}
	docs := walk(t, root, dir.Options{Options: rules.Options{
		AsText: []string{"rst"}, MaxFileSize: 9,
		Exclude: []string{"drafts/**", "node_modules", "*.tmp"},
	}})
	cases := []struct {
		key    string
		reason ingest.Reason // "" means sent
		dName  string
	}{
		{"guide.md", "", "guide.md"},
		{"Report.PDF", "", "Report.pdf"},
		{"sub/deep/table.CSV", "", "table.csv"},
		{"notes.rst", "", "notes.rst.txt"},
		{"archive.zip", "", "archive.zip"},
		{"page.htm", "", "page.htm"},
		{".hidden.md", ingest.ReasonHidden, ""},
		{".git/", ingest.ReasonHidden, ""},
		{"data.json", ingest.ReasonUnsupported, ""},
		{"empty.txt", ingest.ReasonEmpty, ""},
		{"big.txt", ingest.ReasonTooLarge, ""},
		{"drafts/", ingest.ReasonExcluded, ""}, // pruned whole
		{"node_modules/", ingest.ReasonExcluded, ""},
		{"keep/a.tmp", ingest.ReasonExcluded, ""},
		{"guide.md.metadata.json", ingest.ReasonSidecar, ""},
		{"link.md", ingest.ReasonSymlink, ""},
		{"pipe.txt", ingest.ReasonNotRegular, ""},
	}
	for _, tc := range cases {
		d, ok := docs[tc.key]
		switch {
		case !ok:
			t.Errorf("%s: not yielded", tc.key)
		case d.Skip != tc.reason:
			t.Errorf("%s: skip %q (%s), want %q", tc.key, d.Skip, d.Detail, tc.reason)
		case tc.reason == "" && (d.Name != tc.dName || d.Content == nil || d.Version == ""):
			t.Errorf("%s: name %q content %v version %q, want name %q", tc.key, d.Name, d.Content, d.Version, tc.dName)
		case tc.reason != "" && d.Detail == "":
			t.Errorf("%s: skipped without a detail", tc.key)
		}
	}
	if len(docs) != len(cases) {
		t.Errorf("yielded %d documents, want %d: %v", len(docs), len(cases), keys(docs))
	}
	if ct := docs["notes.rst"].ContentType; ct != "text/plain; charset=utf-8" {
		t.Errorf("as_text content type %q", ct)
	}
	if ct := docs["Report.PDF"].ContentType; ct != "application/pdf" {
		t.Errorf("pdf content type %q", ct)
	}
}

func keys(m map[string]ingest.Document) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestIncludePatterns(t *testing.T) {
	root := tree(t, map[string]string{"a.md": "x", "docs/b.md": "x", "docs/c.pdf": "x", "docs/x/d.md": "x"})
	docs := walk(t, root, dir.Options{Options: rules.Options{Include: []string{"docs/**/*.md"}}})
	for key, want := range map[string]ingest.Reason{"a.md": ingest.ReasonNotIncluded, "docs/b.md": "", "docs/c.pdf": ingest.ReasonNotIncluded, "docs/x/d.md": ""} {
		if docs[key].Skip != want {
			t.Errorf("%s: %q, want %q", key, docs[key].Skip, want)
		}
	}
}

func TestFollowSymlinksIsLoopSafe(t *testing.T) {
	root := tree(t, map[string]string{"a/doc.md": "x", "other/b.md": "y"})
	os.Symlink(root, filepath.Join(root, "a", "up"))                            // a loop
	os.Symlink(filepath.Join(root, "other"), filepath.Join(root, "a", "other")) // a second path to other/
	os.Symlink(filepath.Join(root, "missing"), filepath.Join(root, "broken.md"))
	docs := walk(t, root, dir.Options{FollowSymlinks: true})
	if docs["a/up/"].Skip != ingest.ReasonLoop {
		t.Errorf("loop: %+v", docs["a/up/"])
	}
	if d := docs["a/other/b.md"]; d.Skip != "" || d.Content == nil {
		t.Errorf("followed link: %+v", d)
	}
	if d := docs["broken.md"]; d.Err == nil {
		t.Errorf("broken link: %+v", d)
	}
}

func TestMissingRootIsFatal(t *testing.T) {
	src, _ := dir.New(filepath.Join(t.TempDir(), "nope"), dir.Options{})
	err := src.Walk(context.Background(), func(ingest.Document) error { return nil })
	if !ingest.IsFatal(err) || ingest.Hint(err) == "" {
		t.Fatalf("err = %v", err)
	}
}

func TestSingleFileRoot(t *testing.T) {
	root := tree(t, map[string]string{"one.md": "# One"})
	docs := walk(t, filepath.Join(root, "one.md"), dir.Options{})
	if d := docs["one.md"]; len(docs) != 1 || d.Content == nil {
		t.Fatalf("docs = %v", docs)
	}
}

func TestDescribeTitleStaticAndSidecar(t *testing.T) {
	root := tree(t, map[string]string{
		"a.md":                     "---\ntitle: From Front Matter\n---\n# Heading\n",
		"a.md.metadata.json":       `{"team":"docs","title":"Sidecar Title"}`,
		"b.html":                   "<html><head><title> Page  B </title></head></html>",
		"c.pdf":                    "%PDF",
		"d.md":                     "intro\n\n# First Heading\n",
		"bad.md":                   "x",
		"bad.md.metadata.json":     `[1,2]`,
		"bedrock.md":               "x",
		"bedrock.md.metadata.json": `{"metadataAttributes":{"genre":{"value":{"type":"STRING","stringValue":"faq"},"includeForEmbedding":true},"year":2024}}`,
	})
	docs := walk(t, root, dir.Options{Options: rules.Options{Metadata: map[string]any{"team": "static", "lang": "en"}}})
	describe := func(key string) (map[string]any, error) {
		return docs[key].Content.(ingest.Describer).Describe(context.Background())
	}
	cases := map[string]map[string]any{
		"a.md":       {"title": "Sidecar Title", "team": "docs", "lang": "en"},
		"b.html":     {"title": "Page B", "team": "static"},
		"c.pdf":      {"title": "c.pdf"},
		"d.md":       {"title": "First Heading"},
		"bedrock.md": {"genre": "faq", "team": "static"},
	}
	for key, want := range cases {
		m, err := describe(key)
		if err != nil {
			t.Errorf("%s: %v", key, err)
			continue
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s: %s = %v, want %v", key, k, m[k], v)
			}
		}
	}
	if _, err := describe("bad.md"); err == nil {
		t.Error("a sidecar that is not an object was accepted")
	}
	if v := docs["a.md"].Version; v == "" || !strings.Contains(v, "sidecar=") {
		t.Errorf("version %q does not cover the sidecar", v)
	}
	rc, _ := docs["c.pdf"].Content.Open(context.Background())
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "%PDF" {
		t.Errorf("content %q", b)
	}
}
