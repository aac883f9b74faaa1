package main_test

import (
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func linkSite(t *testing.T, tls bool) *httptest.Server {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, "<html><head><title>%s</title></head><body><main>page %s</main></body></html>", r.URL.Path, r.URL.Path)
	})
	var s *httptest.Server
	if tls {
		s = httptest.NewTLSServer(h)
	} else {
		s = httptest.NewServer(h)
	}
	t.Cleanup(s.Close)
	return s
}

// TestWatchLinkFiles drops .url, .webloc and .urls files into a watched
// folder: http:// pages arrive as .html snapshots, https:// ones as links,
// a malformed link file is skipped with a reason, and an edited list sends
// only its new URLs and records the removed one as gone.
func TestWatchLinkFiles(t *testing.T) {
	plain, secure := linkSite(t, false), linkSite(t, true)
	certFile := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: secure.Certificate().Raw}), 0o644)
	srv, env := startEmulator(t)
	env = append(env, "SSL_CERT_FILE="+certFile)
	root := t.TempDir()
	state := filepath.Join(t.TempDir(), "s.db")
	cmd := exec.Command(binary, "watch", "-v", "--settle", "100ms", "--state", state, root)
	cmd.Env = append([]string{"HOME=" + t.TempDir()}, env...)
	var errb syncBuffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	kinds := func() map[string]string {
		m := map[string]string{}
		for _, d := range srv.Documents() {
			m[fmt.Sprint(d.Metadata["source"])] = d.Kind + " " + fmt.Sprint(d.Metadata["link_file"])
		}
		return m
	}
	wait := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s: %v\n%s", what, kinds(), tail(errb.String()))
			}
		}
	}
	time.Sleep(300 * time.Millisecond)
	os.WriteFile(filepath.Join(root, "intranet.url"), []byte("[InternetShortcut]\r\nURL="+plain.URL+"/wiki\r\n"), 0o644)
	os.WriteFile(filepath.Join(root, "public.webloc"), []byte(`<?xml version="1.0"?><plist version="1.0"><dict><key>URL</key><string>`+secure.URL+`/docs</string></dict></plist>`), 0o644)
	os.WriteFile(filepath.Join(root, "reading.urls"), []byte("# to read\n"+plain.URL+"/one\n"+plain.URL+"/two\n"), 0o644)
	os.WriteFile(filepath.Join(root, "broken.url"), []byte("[InternetShortcut]\nno url here\n"), 0o644)
	wait("four pages", func() bool { return len(srv.Documents()) == 4 })
	k := kinds()
	if k[plain.URL+"/wiki"] != "file intranet.url" || k[secure.URL+"/docs"] != "link public.webloc" ||
		k[plain.URL+"/one"] != "file reading.urls" || k[plain.URL+"/two"] != "file reading.urls" {
		t.Fatalf("deliveries: %v", k)
	}
	wait("the malformed link file to be skipped", func() bool { return strings.Contains(errb.String(), "bad_link_file") })

	os.WriteFile(filepath.Join(root, "reading.urls"), []byte(plain.URL+"/two\n"+plain.URL+"/three\n"), 0o644)
	wait("the new URL", func() bool { return len(srv.Documents()) == 5 })
	time.Sleep(500 * time.Millisecond)
	if n := len(srv.Documents()); n != 5 {
		t.Fatalf("the edited list sent %d documents, want only the new one", n-4)
	}
	r := runBinary(t, nil, "status", "--json", "--state", state)
	if !strings.Contains(r.stdout, `"deleted": 1`) {
		t.Fatalf("the removed URL is not recorded as gone:\n%s", r.stdout)
	}
}
