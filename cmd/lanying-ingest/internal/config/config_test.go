package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/lanyingim/lanying-ingest/cmd/lanying-ingest/internal/config"
)

func TestExampleConfigIsValid(t *testing.T) {
	c, err := config.Load("../../../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Sources) != 3 || c.Sources[1].Type != "s3" || c.Sources[2].Type != "web" || c.Sources[0].MaxFileSize != 100<<20 || c.MaxMetadataSize != 8<<10 || c.Concurrency != 8 {
		t.Fatalf("example decoded to %+v", c)
	}
}

func TestParseErrorsAreLocated(t *testing.T) {
	cases := []struct{ yaml, want, hint string }{
		{"lanying:\n  app_idd: x\n", `f.yaml:2: unknown key "app_idd"`, `did you mean "app_id"`},
		{"max_metadata_size: lots\n", "f.yaml:1:", "config.example.yaml"},
		{"concurrency: -2\n", "f.yaml:1: concurrency: must be at least 1", ""},
		{"sources:\n  - path: ./a\n    type: ftp\n", `f.yaml:3: sources.0.type: unknown source type "ftp"`, ""},
		{"sources:\n  - type: s3\n    url: bucket/x\n", `f.yaml:3: sources.0.url: an s3 source needs url`, ""},
		{"lanying:\n  api_endpoint: ftp://x\n", "f.yaml:2: lanying.api_endpoint", ""},
		{"\tbad: [", "f.yaml: ", ""},
		{"a: 1\nb: [\n", "f.yaml:", ""},
	}
	for _, tc := range cases {
		_, err := config.Parse("f.yaml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
			continue
		}
		var ce *config.Error
		if h := err.(interface{ Hint() string }).Hint(); tc.hint != "" && !strings.Contains(h, tc.hint) {
			t.Errorf("%q: hint %q, want %q (%T)", tc.yaml, h, tc.hint, ce)
		}
	}
}

func TestEnvOverridesFile(t *testing.T) {
	c, err := config.Parse("f.yaml", []byte("lanying:\n  app_id: file-app\n  chatbot_id: 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{config.EnvAppID: "env-app", config.EnvToken: "s3cret", config.EnvAdmin: "77"}
	if err := c.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if c.Lanying.AppID != "env-app" || c.Lanying.ChatbotID != 5 || c.Lanying.AdminUserID != 77 || c.Lanying.AccessToken.Reveal() != "s3cret" {
		t.Fatalf("%+v", c.Lanying)
	}
	env[config.EnvChatbot] = "abc"
	if err := c.ApplyEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), config.EnvChatbot) {
		t.Fatalf("bad id accepted: %v", err)
	}
}

func TestSecretNeverPrints(t *testing.T) {
	c := config.Lanying{AppID: "a", AccessToken: config.Secret("tok-XYZ-123")}
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("config", "lanying", c, "token", c.AccessToken)
	js, _ := json.Marshal(c)
	outputs := []string{fmt.Sprintf("%v %+v %#v %s", c, c, c, c.AccessToken), string(js), logBuf.String()}
	for _, out := range outputs {
		if strings.Contains(out, "tok-XYZ-123") {
			t.Fatalf("secret printed: %s", out)
		}
	}
}

func TestByteSize(t *testing.T) {
	good := map[string]config.ByteSize{"4096": 4096, "8KiB": 8192, "100MiB": 100 << 20, "1.5GB": 1.5e9, "2 gib": 2 << 30, "10k": 10240}
	for in, want := range good {
		if got, err := config.ParseByteSize(in); err != nil || got != want {
			t.Errorf("%q = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MB", "-1", "12 parsecs", "1e400GB"} {
		if _, err := config.ParseByteSize(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestEnvExpansion(t *testing.T) {
	env := map[string]string{"TOKEN": "tok-123456", "N": "4", "TEAM": "ops"}
	getenv := func(k string) string { return env[k] }
	c, err := config.ParseEnv("f.yaml", []byte("lanying:\n  access_token: ${TOKEN}\nconcurrency: ${N}\nsources:\n  - path: /d\n    metadata: {team: $TEAM, price: \"$$5\"}\n"), getenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Lanying.AccessToken.Reveal() != "tok-123456" || c.Concurrency != 4 || c.Sources[0].Metadata["team"] != "ops" || c.Sources[0].Metadata["price"] != "$5" {
		t.Fatalf("%+v %+v", c, c.Sources[0].Metadata)
	}
	_, err = config.ParseEnv("f.yaml", []byte("state: /x\nlanying:\n  app_id: ${MISSING_APP}\n"), getenv)
	if err == nil || !strings.Contains(err.Error(), "f.yaml:3: ${MISSING_APP} is not set") {
		t.Fatalf("err = %v", err)
	}
}
