package main_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanyingim/lanying-ingest/lanying/emulator"
)

type dryRunSummary struct {
	DryRun    bool `json:"dry_run"`
	Counts    struct{ Sent, Unchanged, Skipped, Failed int }
	WouldSend []struct{ Key, Reason string } `json:"would_send"`
}

func TestDryRunPlansAndChangesNothing(t *testing.T) {
	srv, env := startEmulator(t)
	root := writeTree(t, map[string]string{"a.md": "a", "b.md": "b", "c.json": "{}"})
	state := filepath.Join(t.TempDir(), "s.db")
	if r := runBinary(t, env, "sync", "--state", state, root); r.code != 0 {
		t.Fatal(r.stderr)
	}
	os.WriteFile(filepath.Join(root, "b.md"), []byte("b changed"), 0o644)
	os.WriteFile(filepath.Join(root, "new.txt"), []byte("new"), 0o644)
	before := srv.Stats().APIRequests

	r := runBinary(t, env, "sync", "--dry-run", "--json", "--state", state, root)
	var s dryRunSummary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || r.code != 0 {
		t.Fatalf("exit %d %v\n%s", r.code, err, r.stdout)
	}
	reasons := map[string]string{}
	for _, w := range s.WouldSend {
		reasons[w.Key] = w.Reason
	}
	if !s.DryRun || s.Counts.Sent != 2 || s.Counts.Unchanged != 1 || s.Counts.Skipped != 1 ||
		reasons["b.md"] != "changed" || reasons["new.txt"] != "new" {
		t.Fatalf("plan %+v", s)
	}
	if srv.Stats().APIRequests != before {
		t.Fatal("a dry run called the API")
	}
	r = runBinary(t, env, "sync", "--dry-run", "--state", state, root)
	if !strings.Contains(r.stdout, "dry run against") || !strings.Contains(r.stdout, "would send") || !strings.Contains(r.stdout, "new.txt") {
		t.Fatalf("text plan:\n%s", r.stdout)
	}
	// Nothing was recorded: the real run sends both.
	r = runBinary(t, env, "sync", "--json", "--state", state, root)
	if sum := parseSummary(t, r); sum.Counts.Sent != 2 {
		t.Fatalf("after the dry run: %+v", sum.Counts)
	}
}

type statusJSON struct {
	Sources []struct {
		Target, Source string
		Documents      map[string]int
		LastRun        *struct {
			Outcome string
			Counts  struct{ Sent, Failed int }
		} `json:"last_run"`
		Failed []struct {
			Key, Reason string
			LastError   string `json:"last_error"`
			Attempts    int
		}
	}
}

func TestStatusRetryFailedForgetAndForce(t *testing.T) {
	srv, env := startEmulator(t)
	root := writeTree(t, map[string]string{"good.md": "good", "bad.md": "bad", "bad.md.metadata.json": "[broken"})
	state := filepath.Join(t.TempDir(), "s.db")
	if r := runBinary(t, env, "sync", "--state", state, root); r.code != 1 {
		t.Fatalf("exit %d, want 1", r.code)
	}
	r := runBinary(t, nil, "status", "--json", "--state", state)
	var st statusJSON
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || r.code != 0 || len(st.Sources) != 1 {
		t.Fatalf("exit %d %v\n%s", r.code, err, r.stdout)
	}
	s := st.Sources[0]
	if s.Documents["sent"] != 1 || s.Documents["failed"] != 1 || s.LastRun == nil || s.LastRun.Outcome != "failed" ||
		len(s.Failed) != 1 || s.Failed[0].Key != "bad.md" || s.Failed[0].Reason != "bad_metadata" || s.Failed[0].Attempts != 1 || s.Failed[0].LastError == "" {
		t.Fatalf("status %+v", st)
	}
	if r := runBinary(t, nil, "status", "--state", state); !strings.Contains(r.stdout, "1 sent, 1 failed") || !strings.Contains(r.stdout, "--retry-failed") {
		t.Fatalf("text status:\n%s", r.stdout)
	}

	// Fix the sidecar; --retry-failed sends only that one.
	os.WriteFile(filepath.Join(root, "bad.md.metadata.json"), []byte(`{"fixed": true}`), 0o644)
	os.WriteFile(filepath.Join(root, "other.md"), []byte("new but not failed"), 0o644)
	r = runBinary(t, env, "sync", "--retry-failed", "--json", "--state", state, root)
	if sum := parseSummary(t, r); r.code != 0 || sum.Counts.Sent != 1 || len(srv.Documents()) != 2 {
		t.Fatalf("retry-failed: exit %d %+v, chatbot has %d", r.code, sum.Counts, len(srv.Documents()))
	}

	// forget one file: the next sync sends it again (and other.md, new).
	if r := runBinary(t, nil, "forget", "--state", state, filepath.Join(root, "good.md")); r.code != 0 || !strings.Contains(r.stdout, "forgot 1") {
		t.Fatalf("forget: %+v", r)
	}
	r = runBinary(t, env, "sync", "--json", "--state", state, root)
	if sum := parseSummary(t, r); sum.Counts.Sent != 2 {
		t.Fatalf("after forget: %+v", sum.Counts)
	}
	// A forgotten document has the same content and key: the emulator's
	// de-duplication absorbs it (same transaction id), as the platform would
	// within its window. --force sends everything as new messages.
	before := len(srv.Documents())
	r = runBinary(t, env, "sync", "--force", "--json", "--state", state, root)
	if sum := parseSummary(t, r); sum.Counts.Sent != 3 || len(srv.Documents()) != before+3 {
		t.Fatalf("force: %+v, chatbot went from %d to %d", sum.Counts, before, len(srv.Documents()))
	}
	if r := runBinary(t, nil, "forget", "--state", state, "--source", root); !strings.Contains(r.stdout, "forgot 3") {
		t.Fatalf("forget --source: %s %s", r.stdout, r.stderr)
	}
}

func TestMultiSourceConfigWithTwoChatbots(t *testing.T) {
	srv, err := emulator.Start("127.0.0.1:0", emulator.Config{Chatbots: map[int64]int64{3001: 1001}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	hr := writeTree(t, map[string]string{"leave.md": "leave policy", "drafts/x.md": "draft"})
	eng := writeTree(t, map[string]string{"api.md": "api docs", "notes.rst": "rst"})
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte(`
lanying:
  api_endpoint: ${EMU_URL}
  app_id: emulator-app
  admin_user_id: 1001
  chatbot_id: 2001
sources:
  - name: hr
    path: `+hr+`
    exclude: ["drafts/**"]
    metadata: {team: hr}
  - name: engineering
    path: `+eng+`
    chatbot_id: 3001
    as_text: [.rst]
    metadata: {team: "${TEAM}"}
`), 0o600)
	env := []string{"EMU_URL=" + srv.URL, "TEAM=eng", "LANYING_ACCESS_TOKEN=" + emulator.DefaultAccessToken}
	if r := runBinary(t, env, "config", "check", "--config", cfg); r.code != 0 || strings.Count(r.stdout, "credentials ok") != 2 {
		t.Fatalf("config check: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := runBinary(t, env, "sync", "--json", "--config", cfg, "--state", filepath.Join(t.TempDir(), "s.db"))
	if sum := parseSummary(t, r); r.code != 0 || sum.Counts.Sent != 3 || sum.Counts.Skipped != 1 {
		t.Fatalf("exit %d %+v\n%s", r.code, sum, r.stderr)
	}
	for _, d := range srv.Documents() {
		want := map[string]int64{"leave.md": 2001, "api.md": 3001, "notes.rst": 3001}[d.Metadata["source"].(string)]
		team := map[int64]string{2001: "hr", 3001: "eng"}[d.ChatbotID]
		if d.ChatbotID != want || d.Metadata["team"] != team {
			t.Errorf("%v went to %d with team %v", d.Metadata["source"], d.ChatbotID, d.Metadata["team"])
		}
	}
	// A bad token: config check says so, with the code and a hint.
	env[2] = "LANYING_ACCESS_TOKEN=wrong-token-123"
	if r := runBinary(t, env, "config", "check", "--config", cfg); r.code != 2 || !strings.Contains(r.stderr, "10008") || !strings.Contains(r.stderr, "hint:") {
		t.Fatalf("bad token: exit %d %s", r.code, r.stderr)
	}
}

func TestHelpExamplesAndCompletion(t *testing.T) {
	for _, cmd := range []string{"sync", "watch", "status", "forget", "emulator"} {
		if r := runBinary(t, nil, cmd, "--help"); r.code != 0 || !strings.Contains(r.stdout, "Examples:") {
			t.Errorf("%s --help has no examples:\n%s", cmd, r.stdout)
		}
	}
	if r := runBinary(t, nil, "completion", "bash"); r.code != 0 || !strings.Contains(r.stdout, "lanying-ingest") {
		t.Errorf("no bash completion: %d", r.code)
	}
}

func TestJSONLogs(t *testing.T) {
	_, env := startEmulator(t)
	root := writeTree(t, map[string]string{"a.md": "a"})
	r := runBinary(t, env, "sync", "--log-format", "json", "--state", filepath.Join(t.TempDir(), "s.db"), root)
	var line map[string]any
	if err := json.Unmarshal([]byte(strings.Split(strings.TrimSpace(r.stderr), "\n")[0]), &line); err != nil || line["msg"] != "sent" {
		t.Fatalf("not a JSON log line: %v\n%s", err, r.stderr)
	}
}
