package watch_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/dir"
	"github.com/lanyingim/lanying-ingest/ingest/state"
	"github.com/lanyingim/lanying-ingest/ingest/watch"
	"github.com/lanyingim/lanying-ingest/lanying"
	"github.com/lanyingim/lanying-ingest/lanying/emulator"
	"github.com/lanyingim/lanying-ingest/uploader"
)

type rig struct {
	t      testing.TB
	root   string
	emu    *emulator.Emulator
	store  *state.DB
	target ingest.Target
	src    *dir.Source
	stop   chan struct{}
	done   chan error
}

// startRig runs a daemon on a new folder (with files already in it)
// against the emulator, with short periods for tests.
func startRig(t testing.TB, files map[string]string, opts watch.Options) *rig {
	t.Helper()
	emu := emulator.New(emulator.Config{})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return startRigAt(t, emu, srv.URL, files, opts)
}

// startRigAt is startRig against the emulator at url; emu, when not nil,
// is that emulator in this process.
func startRigAt(t testing.TB, emu *emulator.Emulator, url string, files map[string]string, opts watch.Options) *rig {
	t.Helper()
	r := &rig{t: t, root: t.TempDir(), emu: emu, stop: make(chan struct{}), done: make(chan error, 1)}
	for p, c := range files {
		r.write(p, c)
	}
	c := emulator.New(emulator.Config{}).Config() // the defaults, which the emulator at url uses
	api, _ := lanying.NewClient(url, c.AppID, c.AccessToken)
	var err error
	if r.store, err = state.Open(context.Background(), filepath.Join(t.TempDir(), "state.db")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.store.Close() })
	if r.src, err = dir.New(r.root, dir.Options{}); err != nil {
		t.Fatal(err)
	}
	r.target = ingest.Target{ID: "test", AdminUserID: c.AdminUserID, ChatbotID: c.ChatbotID}
	if opts.Settle == 0 {
		opts.Settle = 150 * time.Millisecond
	}
	d := watch.New([]watch.Folder{r.src}, nil, api, uploader.New(nil), r.store, r.target,
		ingest.Options{Retry: ingest.RetryPolicy{Attempts: 2, Base: time.Millisecond}}, opts)
	sum := &ingest.Summary{Limit: 100}
	go func() { r.done <- d.Run(context.Background(), r.stop, sum) }()
	t.Cleanup(func() {
		select {
		case <-r.stop:
		default:
			close(r.stop)
		}
		<-r.done
	})
	return r
}

func (r *rig) write(rel, content string) {
	r.t.Helper()
	p := filepath.Join(r.root, filepath.FromSlash(rel))
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// waitFor polls cond until it holds or 10 s pass.
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s (chatbot has %d documents)", what, len(r.emu.Documents()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rig) docs(source string) []emulator.Document {
	var out []emulator.Document
	for _, d := range r.emu.Documents() {
		if d.Metadata["source"] == source {
			out = append(out, d)
		}
	}
	return out
}

func (r *rig) record(key string) (ingest.Record, bool) {
	rec, found, err := r.store.Get(context.Background(), r.target.ID, r.src.ID(), key)
	if err != nil {
		r.t.Fatal(err)
	}
	return rec, found
}

// quiet waits a while and checks that no more documents arrived.
func (r *rig) quiet(want int) {
	r.t.Helper()
	time.Sleep(600 * time.Millisecond)
	if n := len(r.emu.Documents()); n != want {
		r.t.Fatalf("chatbot has %d documents, want %d", n, want)
	}
}

func sum(s string) string { b := sha256.Sum256([]byte(s)); return hex.EncodeToString(b[:]) }

func TestWatchFollowsChanges(t *testing.T) {
	r := startRig(t, map[string]string{"old.md": "# Old"}, watch.Options{})
	r.waitFor("the initial sync", func() bool { return len(r.docs("old.md")) == 1 })

	r.write("new.md", "# New")
	r.waitFor("a created file", func() bool { return len(r.docs("new.md")) == 1 })

	r.write("new.md", "# New, edited")
	r.waitFor("a modified file", func() bool { return len(r.docs("new.md")) == 2 })
	if got := r.docs("new.md")[1].SHA256; got != sum("# New, edited") {
		t.Fatalf("sent %s, not the edited content", got)
	}

	// An editor's atomic save: write a temporary file, rename it over.
	tmp := filepath.Join(r.root, "old.md.tmp~")
	os.WriteFile(tmp, []byte("# Old, saved atomically"), 0o644)
	os.Rename(tmp, filepath.Join(r.root, "old.md"))
	r.waitFor("an atomic save", func() bool { return len(r.docs("old.md")) == 2 })

	// A pure rename costs no delivery; the state follows the new path.
	os.Rename(filepath.Join(r.root, "new.md"), filepath.Join(r.root, "renamed.md"))
	r.waitFor("the rename to be recorded", func() bool { rec, ok := r.record("renamed.md"); return ok && rec.State == ingest.StateSent })
	r.quiet(4)
	if _, found := r.record("new.md"); found {
		t.Error("the old key kept its record")
	}

	// A directory moved in from elsewhere.
	outside := t.TempDir()
	os.MkdirAll(filepath.Join(outside, "team", "sub"), 0o755)
	os.WriteFile(filepath.Join(outside, "team", "a.txt"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(outside, "team", "sub", "b.csv"), []byte("b,c"), 0o644)
	os.Rename(filepath.Join(outside, "team"), filepath.Join(r.root, "team"))
	r.waitFor("a directory moved in", func() bool { return len(r.docs("team/a.txt")) == 1 && len(r.docs("team/sub/b.csv")) == 1 })
	// ... and files created in it later are seen too.
	r.write("team/sub/c.md", "c")
	r.waitFor("a file in the moved-in directory", func() bool { return len(r.docs("team/sub/c.md")) == 1 })

	// A deletion is recorded, not sent.
	os.Remove(filepath.Join(r.root, "renamed.md"))
	r.waitFor("the deletion", func() bool { rec, _ := r.record("renamed.md"); return rec.State == ingest.StateDeleted })
	os.RemoveAll(filepath.Join(r.root, "team"))
	r.waitFor("the directory's deletion", func() bool { rec, _ := r.record("team/sub/b.csv"); return rec.State == ingest.StateDeleted })
	r.quiet(7)
}

func TestWatchBurstOf1000Files(t *testing.T) {
	r := startRig(t, nil, watch.Options{})
	time.Sleep(100 * time.Millisecond)
	for i := range 1000 {
		r.write(fmt.Sprintf("burst/%03d/f%04d.txt", i%10, i), fmt.Sprintf("file %d", i))
	}
	r.waitFor("1000 deliveries", func() bool { return len(r.emu.Documents()) >= 1000 })
	r.quiet(1000)
	seen := map[string]bool{}
	for _, d := range r.emu.Documents() {
		src := d.Metadata["source"].(string)
		if seen[src] {
			t.Fatalf("%s delivered twice", src)
		}
		seen[src] = true
	}
}

func TestWatchNeverSendsAFileStillBeingWritten(t *testing.T) {
	r := startRig(t, nil, watch.Options{Settle: 200 * time.Millisecond})
	time.Sleep(100 * time.Millisecond)
	f, err := os.Create(filepath.Join(r.root, "slow.txt"))
	if err != nil {
		t.Fatal(err)
	}
	content := ""
	for i := range 15 { // 1.5 s of writing, a chunk every 100 ms
		chunk := fmt.Sprintf("chunk %02d\n", i)
		f.WriteString(chunk)
		content += chunk
		time.Sleep(100 * time.Millisecond)
		if n := len(r.docs("slow.txt")); n != 0 {
			t.Fatalf("sent while still being written (after %d chunks)", i+1)
		}
	}
	f.Close()
	r.waitFor("the finished file", func() bool { return len(r.docs("slow.txt")) == 1 })
	if got := r.docs("slow.txt")[0]; got.SHA256 != sum(content) {
		t.Fatalf("sent content differs from the finished file")
	}
	r.quiet(1)
}

func TestWatchStopsCleanly(t *testing.T) {
	r := startRig(t, map[string]string{"a.md": "a"}, watch.Options{})
	r.waitFor("the initial sync", func() bool { return len(r.docs("a.md")) == 1 })
	close(r.stop)
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("Run returned %v", err)
		}
		r.done <- nil // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("the daemon did not stop")
	}
}

func newFolder(root string) (*dir.Source, error) { return dir.New(root, dir.Options{}) }
