package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
)

// Environment variables that override the file.
const (
	EnvEndpoint = "LANYING_API_ENDPOINT"
	EnvAppID    = "LANYING_APP_ID"
	EnvToken    = "LANYING_ACCESS_TOKEN"
	EnvAdmin    = "LANYING_ADMIN_USER_ID"
	EnvChatbot  = "LANYING_CHATBOT_ID"
)

// ApplyEnv overrides the app settings with the LANYING_* variables that
// are set (getenv is os.Getenv outside tests).
func (c *Config) ApplyEnv(getenv func(string) string) error {
	if v := getenv(EnvEndpoint); v != "" {
		c.Lanying.APIEndpoint = v
	}
	if v := getenv(EnvAppID); v != "" {
		c.Lanying.AppID = v
	}
	if v := getenv(EnvToken); v != "" {
		c.Lanying.AccessToken = Secret(v)
	}
	for _, e := range []struct {
		name string
		dst  *int64
	}{{EnvAdmin, &c.Lanying.AdminUserID}, {EnvChatbot, &c.Lanying.ChatbotID}} {
		v := getenv(e.name)
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return &Error{Key: e.name, Msg: strconv.Quote(v) + " is not a user id", Fix: "user ids are positive numbers, as shown in the Lanying console"}
		}
		*e.dst = n
	}
	return nil
}

// DefaultStatePath is where the state database lives when neither --state
// nor the file says: $XDG_STATE_HOME/lanying-ingest/state.db, else
// ~/.local/state/... on Linux and the user config directory elsewhere.
func DefaultStatePath() string {
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "lanying-ingest", "state.db")
	}
	if home, err := os.UserHomeDir(); err == nil && runtime.GOOS == "linux" {
		return filepath.Join(home, ".local", "state", "lanying-ingest", "state.db")
	}
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "lanying-ingest", "state.db")
	}
	return "lanying-ingest-state.db"
}

// ReadableByOthers reports whether a file may be read by users other
// than its owner (group or world bits).
func ReadableByOthers(path string) bool {
	info, err := os.Stat(path)
	return err == nil && runtime.GOOS != "windows" && info.Mode().Perm()&0o044 != 0
}
