package main_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func TestSyncBucketFromFlagsAndConfig(t *testing.T) {
	backend := s3mem.New()
	backend.CreateBucket("kb")
	put := func(key, body string) {
		backend.PutObject("kb", key, map[string]string{"X-Amz-Meta-Owner": "ops"}, strings.NewReader(body), int64(len(body)), nil)
	}
	put("handbook/intro.md", "# Intro")
	put("handbook/sub/faq.txt", "faq")
	put("handbook/image.png", "png")
	put("elsewhere/x.md", "x")
	s3srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer s3srv.Close()
	srv, env := startEmulator(t)
	env = append(env, "AWS_ACCESS_KEY_ID=AKIDTEST", "AWS_SECRET_ACCESS_KEY=aws-secret-value-1", "AWS_REGION=us-east-1")
	state := filepath.Join(t.TempDir(), "s.db")

	r := runBinary(t, env, "sync", "--json", "--state", state, "--s3-endpoint", s3srv.URL, "--s3-path-style", "s3://kb/handbook")
	s := parseSummary(t, r)
	if r.code != 0 || s.Counts.Sent != 2 || s.Counts.Skipped != 1 {
		t.Fatalf("exit %d %+v\n%s", r.code, s, tail(r.stderr))
	}
	for _, d := range srv.Documents() {
		if !strings.HasPrefix(d.Metadata["source"].(string), "s3://kb/handbook/") || d.Metadata["owner"] != "ops" {
			t.Errorf("metadata %v", d.Metadata)
		}
	}
	if strings.Contains(r.stdout+r.stderr, "aws-secret-value-1") {
		t.Fatal("the secret key was printed")
	}

	// The same bucket from a configuration, with credentials from named
	// variables: nothing changed, nothing sent.
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte(`sources:
  - type: s3
    url: s3://kb/handbook
    endpoint: `+s3srv.URL+`
    path_style: true
    region: us-east-1
    access_key_id_env: KB_KEY
    secret_access_key_env: KB_SECRET
`), 0o600)
	env2 := append(env[:5:5], "KB_KEY=AKIDTEST", "KB_SECRET=other-secret-2")
	r = runBinary(t, env2, "sync", "--json", "--config", cfg, "--state", state)
	if s := parseSummary(t, r); r.code != 0 || s.Counts.Unchanged != 2 || s.Counts.Sent != 0 {
		t.Fatalf("exit %d %+v\n%s", r.code, s, tail(r.stderr))
	}
	r = runBinary(t, env, "sync", "--state", state, "--s3-endpoint", s3srv.URL, "--s3-path-style", "s3://missing-bucket/x")
	if r.code != 2 || !strings.Contains(r.stderr, "bucket missing-bucket") || !strings.Contains(r.stderr, "hint:") {
		t.Fatalf("missing bucket: exit %d %s", r.code, r.stderr)
	}
}
