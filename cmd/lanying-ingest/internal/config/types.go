package config

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Secret is a value that never prints: not with %v, %#v, in JSON or in
// a log record.
type Secret string

const redacted = "[redacted]"

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString hides the value from %#v.
func (s Secret) GoString() string { return s.String() }

// MarshalJSON hides the value.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(s.String())), nil }

// MarshalYAML hides the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// LogValue hides the value from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Reveal returns the value, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// ByteSize is a size in bytes, written as a number or with a unit:
// 8KiB, 100MiB, 1.5GB.
type ByteSize int64

var units = map[string]float64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1e3, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1e6, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1e9, "gib": 1 << 30,
	"t": 1 << 40, "tb": 1e12, "tib": 1 << 40,
}

// ParseByteSize reads "100MiB", "8 KiB", "1.5GB" or "4096".
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	}
	f, err := strconv.ParseFloat(num, 64)
	mult, ok := units[unit]
	if err != nil || !ok || f < 0 || f*mult > math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a size (examples: 4096, 8KiB, 100MiB, 2GiB)", s)
	}
	return ByteSize(f * mult), nil
}

// UnmarshalYAML accepts a number or a string with a unit.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseByteSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*b = v
	return nil
}

// Duration is a time span written as Go does: 30s, 5m, 1h30m.
type Duration time.Duration

// UnmarshalYAML parses the span.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration (examples: 30s, 5m, 1h)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// knownKeys are every key of the file, for "did you mean" hints.
var knownKeys = []string{
	"lanying", "api_endpoint", "app_id", "access_token", "admin_user_id", "chatbot_id",
	"state", "concurrency", "retries", "max_metadata_size", "sources", "api_rate", "api_burst",
	"upload_bandwidth", "api_timeout", "outage_timeout", "ca_file", "allow_duplicates",
	"name", "type", "path", "url", "region", "endpoint", "path_style", "profile", "access_key_id_env",
	"secret_access_key_env", "urls", "urls_file", "sitemaps", "seeds", "max_depth", "max_pages", "scope",
	"include_urls", "exclude_urls", "mode", "user_agent", "headers", "rate_per_host", "per_host",
	"max_page_size", "ignore_robots", "interval", "include", "exclude", "as_text", "follow_symlinks", "max_file_size", "metadata",
}

// suggest returns the known key closest to an unknown one, if close.
func suggest(key string) string {
	best, bestD := "", 3
	for _, k := range knownKeys {
		if d := distance(strings.ToLower(key), k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// distance is the Levenshtein edit distance.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
