package main_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lanyingim/lanying-ingest/lanying/emulator"
)

// binary is the lanying-ingest built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lanying-ingest-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "lanying-ingest")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building lanying-ingest: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// runBinary runs lanying-ingest with only the given environment (and a
// private HOME), so the machine's own settings never leak in.
func runBinary(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return r
}

type summary struct {
	Emulator bool `json:"emulator"`
	Counts   struct {
		Sent, Unchanged, Skipped, Failed int
	} `json:"counts"`
	Failed []struct {
		Key, Reason, Error, Hint string
	} `json:"failed"`
	Skipped []struct{ Key, Reason string } `json:"skipped"`
}

func parseSummary(t *testing.T, r result) summary {
	t.Helper()
	var s summary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("stdout is not the JSON summary: %v\nstdout: %s\nstderr: %s", err, r.stdout, r.stderr)
	}
	return s
}

// startEmulator serves a default emulator and returns the environment
// that points lanying-ingest at it.
func startEmulator(t *testing.T) (*emulator.Server, []string) {
	t.Helper()
	return startFaultyEmulator(t, emulator.Config{})
}

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, c := range files {
		full := filepath.Join(root, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func hexSHA(s string) string {
	b := sha256.Sum256([]byte(s))
	return hex.EncodeToString(b[:])
}

func TestSyncMixedTreeExactlyOnce(t *testing.T) {
	srv, env := startEmulator(t)
	files := map[string]string{
		"handbook/Intro.MD":               "# Welcome\nHello.\n",
		"handbook/policy.pdf":             "%PDF-1.4 fake pdf bytes",
		"handbook/table.xlsx":             "PK fake xlsx",
		"site/index.html":                 "<html><head><title>Home</title></head><body>hi</body></html>",
		"notes/readme.adoc":               "= AsciiDoc",
		"notes/ignored.bin":               "\x00\x01",
		".cache/x.md":                     "hidden",
		"handbook/Intro.MD.metadata.json": `{"metadataAttributes":{"dept":"hr"}}`,
	}
	root := writeTree(t, files)
	state := filepath.Join(t.TempDir(), "state.db")
	args := []string{"sync", "--json", "--state", state, "--as-text", ".adoc", "--metadata", "kb=main", root}

	r := runBinary(t, env, args...)
	s := parseSummary(t, r)
	if r.code != 0 || s.Counts.Sent != 5 || s.Counts.Skipped != 3 || s.Counts.Failed != 0 || s.Emulator {
		t.Fatalf("first run: exit %d summary %+v\nstderr: %s", r.code, s, r.stderr)
	}
	docs := srv.Documents()
	if len(docs) != 5 {
		t.Fatalf("chatbot received %d documents, want 5", len(docs))
	}
	names := map[string]string{"handbook/Intro.MD": "Intro.md", "handbook/policy.pdf": "policy.pdf",
		"handbook/table.xlsx": "table.xlsx", "site/index.html": "index.html", "notes/readme.adoc": "readme.adoc.txt"}
	for _, d := range docs {
		src, _ := d.Metadata["source"].(string)
		src = strings.TrimPrefix(src, "")
		body, ok := files[src]
		if !ok {
			t.Errorf("unexpected document %+v", d)
			continue
		}
		if d.Name != names[src] || d.Size != int64(len(body)) || d.SHA256 != hexSHA(body) || !d.Accepted {
			t.Errorf("%s: dName %q fLen %d sha %s accepted %v", src, d.Name, d.Size, d.SHA256, d.Accepted)
		}
		if d.Metadata["kb"] != "main" || d.Metadata["sha256"] != hexSHA(body) || d.Metadata["title"] == nil {
			t.Errorf("%s: metadata %v", src, d.Metadata)
		}
	}
	for _, d := range docs {
		if d.Metadata["source"] == "handbook/Intro.MD" && (d.Metadata["title"] != "Welcome" || d.Metadata["dept"] != "hr") {
			t.Errorf("title or sidecar missing: %v", d.Metadata)
		}
	}

	r = runBinary(t, env, args...)
	if s := parseSummary(t, r); r.code != 0 || s.Counts.Sent != 0 || s.Counts.Unchanged != 5 || len(srv.Documents()) != 5 {
		t.Fatalf("second run: exit %d %+v, chatbot has %d", r.code, s.Counts, len(srv.Documents()))
	}

	os.WriteFile(filepath.Join(root, "handbook/policy.pdf"), []byte("%PDF-1.4 revised"), 0o644)
	r = runBinary(t, env, args...)
	if s := parseSummary(t, r); r.code != 0 || s.Counts.Sent != 1 || s.Counts.Unchanged != 4 || len(srv.Documents()) != 6 {
		t.Fatalf("after an edit: exit %d %+v, chatbot has %d", r.code, s.Counts, len(srv.Documents()))
	}
}

func TestBadTokenExits2AfterOneRequestWithoutPrintingIt(t *testing.T) {
	srv, env := startEmulator(t)
	const secret = "tok-do-not-print-7f3a9c"
	env = append(env, "LANYING_ACCESS_TOKEN="+secret) // later entries win
	root := writeTree(t, map[string]string{"a.md": "a", "b.md": "b", "c.md": "c", "d.pdf": "d", "e.txt": "e"})
	for _, extra := range [][]string{{"--json"}, {"-v"}} {
		args := append([]string{"sync", "--state", filepath.Join(t.TempDir(), "s.db"), root}, extra...)
		before := srv.Stats().APIRequests
		r := runBinary(t, env, args...)
		if r.code != 2 {
			t.Fatalf("exit %d, want 2\nstderr: %s", r.code, r.stderr)
		}
		if n := srv.Stats().APIRequests - before; n != 1 {
			t.Errorf("%d API requests, want 1", n)
		}
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Fatalf("the token was printed:\n%s\n%s", r.stdout, r.stderr)
		}
		if !strings.Contains(r.stderr, "10008") || !strings.Contains(r.stderr, "hint:") {
			t.Errorf("stderr does not explain: %s", r.stderr)
		}
	}
}

// TestReadmeFirstCommand runs the README's first command: the sample
// documents, no configuration, the built-in emulator.
func TestReadmeFirstCommand(t *testing.T) {
	r := runBinary(t, nil, "sync", "--json", "testdata/sample-docs")
	first, _, _ := strings.Cut(r.stderr, "\n")
	if r.code != 0 || !strings.Contains(first, "built-in emulator") || !strings.Contains(first, "nothing leaves this machine") {
		t.Fatalf("exit %d, first line %q", r.code, first)
	}
	s := parseSummary(t, r)
	if !s.Emulator || s.Counts.Sent != 4 || s.Counts.Skipped != 4 || s.Counts.Failed != 0 {
		t.Fatalf("summary %+v", s)
	}
	r = runBinary(t, nil, "sync", "testdata/sample-docs")
	if r.code != 0 || !strings.Contains(r.stdout, "built-in emulator") || !strings.Contains(r.stdout, "sent            4") {
		t.Fatalf("exit %d stdout %s", r.code, r.stdout)
	}
}

func TestFailedDocumentExits1AndIsNamed(t *testing.T) {
	_, env := startEmulator(t)
	root := writeTree(t, map[string]string{"ok.md": "ok", "bad.md": "x", "bad.md.metadata.json": "[1,2]"})
	r := runBinary(t, env, "sync", "--json", "--state", filepath.Join(t.TempDir(), "s.db"), root)
	s := parseSummary(t, r)
	if r.code != 1 || s.Counts.Sent != 1 || s.Counts.Failed != 1 || s.Failed[0].Key != "bad.md" || s.Failed[0].Reason != "bad_metadata" || s.Failed[0].Hint == "" {
		t.Fatalf("exit %d summary %+v", r.code, s)
	}
}

func TestConfigErrorsExit2WithFileAndLine(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ yaml, want string }{
		{"lanying:\n  app_id: x\n  chatbot: 5\n", "config.yaml:3: unknown key \"chatbot\""},
		{"concurrency: many\n", "config.yaml:1:"},
		{"sources:\n  - name: a\n    include: ['[']\n    path: ./x\n", "not a valid glob"},
		{"sources:\n  - name: a\n", "config.yaml:2: sources.0: a folder source needs a path"},
		{"lanying: [\n", "config.yaml:"},
	}
	for _, tc := range cases {
		path := filepath.Join(dir, "config.yaml")
		os.WriteFile(path, []byte(tc.yaml), 0o600)
		r := runBinary(t, nil, "sync", "--config", path)
		if r.code != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d stderr %q, want %q", tc.yaml, r.code, r.stderr, tc.want)
		}
	}
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte("concurency: 4\n"), 0o600)
	if r := runBinary(t, nil, "sync", "--config", path); !strings.Contains(r.stderr, `did you mean "concurrency"`) {
		t.Errorf("no suggestion: %s", r.stderr)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{{"sync"}, {"sync", "--bogus"}, {"sync", "--metadata", "novalue", "."}, {"sync", filepath.Join(t.TempDir(), "missing")}} {
		if r := runBinary(t, nil, args...); r.code != 2 || !strings.Contains(r.stderr, "lanying-ingest:") {
			t.Errorf("%v: exit %d stderr %q", args, r.code, r.stderr)
		}
	}
	if r := runBinary(t, nil, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "lanying-ingest ") {
		t.Errorf("version: %+v", r)
	}
}

// TestWatchBinary runs the watch command against the emulator: a file
// dropped in is delivered, /healthz and /metrics answer, and SIGTERM
// ends it with exit code 0.
func TestWatchBinary(t *testing.T) {
	srv, env := startEmulator(t)
	root := writeTree(t, map[string]string{"first.md": "# First"})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(binary, "watch", "--state", filepath.Join(t.TempDir(), "s.db"), "--listen", addr, "--settle", "100ms", root)
	cmd.Env = append([]string{"HOME=" + t.TempDir()}, env...)
	var errb syncBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("timed out waiting for %s\nstderr: %s", what, errb.String())
			}
		}
	}
	waitFor("the initial sync", func() bool { return len(srv.Documents()) == 1 })
	os.WriteFile(filepath.Join(root, "second.txt"), []byte("second"), 0o644)
	waitFor("the new file", func() bool { return len(srv.Documents()) == 2 })
	get := func(path string) string {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if h := get("/healthz"); !strings.Contains(h, `"status":"ok"`) {
		t.Errorf("healthz: %s", h)
	}
	if m := get("/metrics"); !strings.Contains(m, `lanying_ingest_documents_total{outcome="sent"} 2`) || !strings.Contains(m, "lanying_ingest_queue_depth") {
		t.Errorf("metrics lack the counters:\n%s", m)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v\nstderr: %s", err, errb.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("watch did not stop on SIGTERM")
	}
	if !strings.Contains(errb.String(), "stopped") {
		t.Errorf("no stop line: %s", errb.String())
	}
}

// syncBuffer is a bytes.Buffer a running process may write while a test
// reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
