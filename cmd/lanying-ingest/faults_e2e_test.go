package main_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lanyingim/lanying-ingest/lanying/emulator"
)

func startFaultyEmulator(t *testing.T, cfg emulator.Config) (*emulator.Server, []string) {
	t.Helper()
	srv, err := emulator.Start("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c := srv.Config()
	return srv, []string{
		"LANYING_API_ENDPOINT=" + srv.URL, "LANYING_APP_ID=" + c.AppID, "LANYING_ACCESS_TOKEN=" + c.AccessToken,
		fmt.Sprintf("LANYING_ADMIN_USER_ID=%d", c.AdminUserID), fmt.Sprintf("LANYING_CHATBOT_ID=%d", c.ChatbotID),
	}
}

// manyFiles writes n small documents and returns the folder.
func manyFiles(t *testing.T, n int) string {
	t.Helper()
	root := t.TempDir()
	for i := range n {
		p := filepath.Join(root, fmt.Sprintf("d%02d", i%20), fmt.Sprintf("doc-%04d.md", i))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(fmt.Sprintf("# Document %d\n\n%s\n", i, strings.Repeat("text ", i%50))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// exactlyOnce checks that the chatbot holds every document of the folder
// once, and nothing else.
func exactlyOnce(t *testing.T, srv *emulator.Server, n int) {
	t.Helper()
	seen := map[string]int{}
	for _, d := range srv.Documents() {
		seen[d.Metadata["source"].(string)]++
	}
	if len(seen) != n {
		t.Errorf("chatbot has %d distinct documents, want %d", len(seen), n)
	}
	for src, c := range seen {
		if c != 1 {
			t.Errorf("%s arrived %d times", src, c)
		}
	}
}

func TestTwentyPercentFailuresEveryDocumentExactlyOnce(t *testing.T) {
	srv, env := startFaultyEmulator(t, emulator.Config{Faults: emulator.Faults{FailureRate: 0.2, Seed: 42}})
	root := manyFiles(t, 1000)
	r := runBinary(t, env, "sync", "--json", "--concurrency", "32", "--state", filepath.Join(t.TempDir(), "s.db"), root)
	s := parseSummary(t, r)
	if r.code != 0 || s.Counts.Sent != 1000 {
		t.Fatalf("exit %d counts %+v failed %+v\nstderr tail: %s", r.code, s.Counts, s.Failed, tail(r.stderr))
	}
	exactlyOnce(t, srv, 1000)
	st := srv.Stats()
	if st.FaultsInjected["lost_ack"] == 0 || st.FaultsInjected["reset"] == 0 || st.FaultsInjected["http429"] == 0 {
		t.Errorf("the mix lacks kinds: %v", st.FaultsInjected)
	}
	t.Logf("faults injected: %v; duplicates absorbed: %d", st.FaultsInjected, st.Duplicates)
}

func TestKilledAndRestartedRunsDeliverExactlyOnce(t *testing.T) {
	srv, env := startFaultyEmulator(t, emulator.Config{Faults: emulator.Faults{Latency: 5 * time.Millisecond, FailureRate: 0.05, Seed: 7}})
	root := manyFiles(t, 400)
	state := filepath.Join(t.TempDir(), "s.db")
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 6 {
		cmd := exec.Command(binary, "sync", "-q", "--concurrency", "16", "--state", state, root)
		cmd.Env = append([]string{"HOME=" + t.TempDir()}, env...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(100+rnd.IntN(400)) * time.Millisecond)
		cmd.Process.Kill() // SIGKILL: no chance to record anything
		cmd.Wait()
		t.Logf("kill %d: chatbot has %d documents", i+1, len(srv.Documents()))
	}
	r := runBinary(t, env, "sync", "--json", "--state", state, root)
	if s := parseSummary(t, r); r.code != 0 || s.Counts.Failed != 0 {
		t.Fatalf("final run: exit %d %+v", r.code, s.Counts)
	}
	exactlyOnce(t, srv, 400)
}

func TestShortSlotLifetimesAndSlowUploads(t *testing.T) {
	srv, env := startFaultyEmulator(t, emulator.Config{SlotTTL: time.Second})
	root := t.TempDir()
	for i := range 6 {
		os.WriteFile(filepath.Join(root, fmt.Sprintf("big-%d.pdf", i)), bytes.Repeat([]byte{byte('a' + i)}, 300<<10), 0o644)
	}
	// 6 × 300 KiB through 600 KiB/s shared: every upload outlives its slot.
	r := runBinary(t, env, "sync", "--json", "--concurrency", "6", "--upload-bandwidth", "600KiB", "--state", filepath.Join(t.TempDir(), "s.db"), root)
	if s := parseSummary(t, r); r.code != 0 || s.Counts.Sent != 6 {
		t.Fatalf("exit %d %+v %+v", r.code, s.Counts, s.Failed)
	}
	exactlyOnce(t, srv, 6)
}

func TestServerThatNeverAnswers(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	t.Cleanup(func() { close(hang); srv.Close() })
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("api_timeout: 300ms\noutage_timeout: 2s\nretries: 2\n"), 0o600)
	env := []string{"LANYING_API_ENDPOINT=" + srv.URL, "LANYING_APP_ID=a", "LANYING_ACCESS_TOKEN=a-long-enough-token", "LANYING_ADMIN_USER_ID=1", "LANYING_CHATBOT_ID=2"}
	root := manyFiles(t, 5)
	start := time.Now()
	r := runBinary(t, env, "sync", "--config", cfg, "--state", filepath.Join(t.TempDir(), "s.db"), root)
	if r.code != 1 || time.Since(start) > 30*time.Second {
		t.Fatalf("exit %d after %s\nstderr: %s", r.code, time.Since(start), tail(r.stderr))
	}
	if !strings.Contains(r.stderr, "Client.Timeout") && !strings.Contains(r.stderr, "timeout") {
		t.Errorf("no timeout named: %s", tail(r.stderr))
	}
}

func TestOverlappingRunExits3(t *testing.T) {
	_, env := startFaultyEmulator(t, emulator.Config{Faults: emulator.Faults{Latency: 50 * time.Millisecond}})
	root := manyFiles(t, 50)
	state := filepath.Join(t.TempDir(), "s.db")
	first := exec.Command(binary, "sync", "-q", "--concurrency", "1", "--state", state, root)
	first.Env = append([]string{"HOME=" + t.TempDir()}, env...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Wait()
	time.Sleep(300 * time.Millisecond)
	r := runBinary(t, env, "sync", "--state", state, root)
	if r.code != 3 || !strings.Contains(r.stderr, "in use by another lanying-ingest (pid") || !strings.Contains(r.stderr, "hint:") {
		t.Fatalf("exit %d stderr %s", r.code, r.stderr)
	}
	first.Process.Kill()
}

func TestSecretsAbsentFromEveryOutput(t *testing.T) {
	const secret = "tok-SECRET-9d8c7b6a"
	srv, env := startFaultyEmulator(t, emulator.Config{AccessToken: secret, Faults: emulator.Faults{FailureRate: 0.3, Seed: 3}})
	root := manyFiles(t, 30)
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("lanying:\n  access_token: "+secret+"\n"), 0o644) // readable by others, on purpose
	env = append(env[:2:2], env[3:]...)                                        // the token comes from the file
	for _, args := range [][]string{
		{"sync", "-v", "--config", cfg, "--state", filepath.Join(t.TempDir(), "a.db"), root},
		{"sync", "-v", "--json", "--config", cfg, "--state", filepath.Join(t.TempDir(), "b.db"), root},
	} {
		r := runBinary(t, env, args...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, tail(r.stderr))
		}
		if strings.Contains(r.stdout+r.stderr, secret) {
			t.Fatalf("the token appears in the output of %v", args)
		}
		if !strings.Contains(r.stderr, "holds the access token and others can read it") {
			t.Errorf("no warning about the readable config file")
		}
	}
	if len(srv.Documents()) != 30 {
		t.Fatalf("chatbot has %d documents", len(srv.Documents()))
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}
