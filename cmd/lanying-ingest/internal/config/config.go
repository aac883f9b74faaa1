// Package config reads lanying-ingest's YAML configuration, applies the
// environment over it, and reports every problem with file, line and key.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration file.
type Config struct {
	Lanying         Lanying  `yaml:"lanying"`
	State           string   `yaml:"state"`
	Concurrency     int      `yaml:"concurrency"`
	Retries         int      `yaml:"retries"`
	MaxMetadataSize ByteSize `yaml:"max_metadata_size"`
	// APIRate and APIBurst pace API calls (requests per second, shared by
	// all workers); the rate halves on HTTP 429 and recovers gradually.
	APIRate  float64 `yaml:"api_rate"`
	APIBurst int     `yaml:"api_burst"`
	// UploadBandwidth caps the bytes per second of all uploads together.
	UploadBandwidth ByteSize `yaml:"upload_bandwidth"`
	// APITimeout bounds one API call (the slot or the message).
	APITimeout Duration `yaml:"api_timeout"`
	// OutageTimeout is how long sync waits for an API that keeps failing
	// before it stops (exit 1, resumable); watch waits for ever.
	OutageTimeout Duration `yaml:"outage_timeout"`
	// CAFile adds the certificates of a PEM file to the system's roots
	// (a company proxy). TLS verification cannot be turned off.
	CAFile string `yaml:"ca_file"`
	// AllowDuplicates sends content the chatbot already has under another
	// key; by default such a document is skipped as duplicate_content.
	AllowDuplicates bool     `yaml:"allow_duplicates"`
	Sources         []Source `yaml:"sources"`

	file string     // where it was read from ("" when there is no file)
	root *yaml.Node // for line numbers of later checks
}

// Lanying is the app and chatbot to feed.
type Lanying struct {
	APIEndpoint string `yaml:"api_endpoint"`
	AppID       string `yaml:"app_id"`
	AccessToken Secret `yaml:"access_token"`
	AdminUserID int64  `yaml:"admin_user_id"`
	ChatbotID   int64  `yaml:"chatbot_id"`
}

// Source is one folder or bucket prefix to sync.
type Source struct {
	Name           string         `yaml:"name"`
	Type           string         `yaml:"type"` // "dir" (the default) or "s3"
	Path           string         `yaml:"path"` // dir: the folder
	URL            string         `yaml:"url"`  // s3: s3://bucket/prefix
	Include        []string       `yaml:"include"`
	Exclude        []string       `yaml:"exclude"`
	AsText         []string       `yaml:"as_text"`
	FollowSymlinks bool           `yaml:"follow_symlinks"`
	MaxFileSize    ByteSize       `yaml:"max_file_size"`
	Metadata       map[string]any `yaml:"metadata"`
	// ChatbotID and AdminUserID send this source to another chatbot of
	// the same app than the lanying: section's.
	ChatbotID   int64 `yaml:"chatbot_id"`
	AdminUserID int64 `yaml:"admin_user_id"`
	// Interval is how often watch reads a web or s3 source again (default
	// 1h for sites, 5m for buckets); folders follow filesystem events.
	Interval Duration `yaml:"interval"`

	// s3 sources: where the bucket is and how to sign in. Without
	// access_key_id_env, credentials come from the standard AWS chain
	// (environment, shared config and profile, instance role).
	Region             string `yaml:"region"`
	Endpoint           string `yaml:"endpoint"`
	PathStyle          bool   `yaml:"path_style"`
	Profile            string `yaml:"profile"`
	AccessKeyIDEnv     string `yaml:"access_key_id_env"`
	SecretAccessKeyEnv string `yaml:"secret_access_key_env"`

	// web sources: what to read and how politely.
	URLs         []string          `yaml:"urls"`      // pages, as they are
	URLsFile     string            `yaml:"urls_file"` // a file of URLs, one a line, # comments
	Sitemaps     []string          `yaml:"sitemaps"`
	Seeds        []string          `yaml:"seeds"` // crawl from these
	MaxDepth     int               `yaml:"max_depth"`
	MaxPages     int               `yaml:"max_pages"`
	Scope        string            `yaml:"scope"`        // host, domain or prefix
	IncludeURLs  []string          `yaml:"include_urls"` // regular expressions
	ExcludeURLs  []string          `yaml:"exclude_urls"`
	Mode         string            `yaml:"mode"` // link or snapshot; default: link for public https pages
	UserAgent    string            `yaml:"user_agent"`
	Headers      map[string]Secret `yaml:"headers"` // e.g. Authorization: "Bearer ${INTRANET_TOKEN}"
	RatePerHost  float64           `yaml:"rate_per_host"`
	PerHost      int               `yaml:"per_host"`
	MaxPageSize  ByteSize          `yaml:"max_page_size"`
	IgnoreRobots bool              `yaml:"ignore_robots"`
}

// Error is a configuration problem, located when it can be.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
	Fix  string // what to do, shown as a hint
}

func (e *Error) Error() string {
	var b strings.Builder
	switch {
	case e.File != "" && e.Line > 0:
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	case e.File != "":
		fmt.Fprintf(&b, "%s: ", e.File)
	}
	if e.Key != "" {
		fmt.Fprintf(&b, "%s: ", e.Key)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Hint says how to fix it.
func (e *Error) Hint() string { return e.Fix }

// File is the path the configuration was read from, or "".
func (c *Config) File() string { return c.file }

// Load reads a configuration file. Unknown keys are errors.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: err.Error(), Fix: "pass an existing file with --config"}
	}
	return Parse(path, data)
}

var lineRE = regexp.MustCompile(`line (\d+): (.*)`)

// Parse decodes a configuration held in data, read from file, expanding
// ${VAR} in values from the environment.
func Parse(file string, data []byte) (*Config, error) {
	return ParseEnv(file, data, os.Getenv)
}

// ParseEnv is Parse with the environment given by getenv.
func ParseEnv(file string, data []byte, getenv func(string) string) (*Config, error) {
	c := &Config{file: file}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	c.root = &root
	if len(bytes.TrimSpace(data)) == 0 {
		return c, nil
	}
	if err := expand(file, &root, getenv); err != nil {
		return nil, err
	}
	// Unknown keys are found on the text as written (a Node cannot be
	// decoded strictly); the values are decoded from the expanded tree,
	// whose nodes keep their line numbers.
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&Config{}); err != nil && strings.Contains(err.Error(), "not found in type") {
		return nil, yamlError(file, err)
	}
	if err := root.Decode(c); err != nil {
		return nil, yamlError(file, err)
	}
	return c, c.validate()
}

// expand replaces ${VAR} (and $VAR) in every scalar value with the
// environment's value; $$ stands for a literal $. An unset variable is an
// error, so that a typo does not send documents with an empty setting.
func expand(file string, n *yaml.Node, getenv func(string) string) error {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "$") {
		var missing string
		v := os.Expand(strings.ReplaceAll(n.Value, "$$", "\x00"), func(name string) string {
			val := getenv(name)
			if val == "" && missing == "" {
				missing = name
			}
			return val
		})
		if missing != "" {
			return &Error{File: file, Line: n.Line, Msg: fmt.Sprintf("${%s} is not set in the environment", missing),
				Fix: "export " + missing + "=..., or write $$ for a literal $"}
		}
		n.Value = strings.ReplaceAll(v, "\x00", "$")
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
			n.Tag = "" // resolve the expanded value's type afresh: ${N} may be a number
		}
		return nil
	}
	for _, child := range n.Content {
		if err := expand(file, child, getenv); err != nil {
			return err
		}
	}
	return nil
}

// yamlError turns yaml.v3's messages into file:line: errors.
func yamlError(file string, err error) error {
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	e := &Error{File: file, Msg: msg, Fix: "see config.example.yaml for every key"}
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Msg = m[2]
	}
	if strings.Contains(e.Msg, "not found in type") {
		field := strings.Fields(e.Msg)[1]
		e.Msg = fmt.Sprintf("unknown key %q", field)
		if s := suggest(field); s != "" {
			e.Fix = fmt.Sprintf("did you mean %q? see config.example.yaml for every key", s)
		}
	}
	return e
}

// validate checks values that decode but make no sense.
func (c *Config) validate() error {
	switch {
	case c.Concurrency < 0:
		return c.errAt("must be at least 1", "", "concurrency")
	case c.Retries < 0:
		return c.errAt("must be 0 or more", "", "retries")
	case c.APIRate < 0 || c.APIBurst < 0:
		return c.errAt("must be 0 (the default) or more", "", "api_rate")
	case c.Lanying.APIEndpoint != "" && !strings.HasPrefix(c.Lanying.APIEndpoint, "https://") && !strings.HasPrefix(c.Lanying.APIEndpoint, "http://"):
		return c.errAt("must be an http(s) URL such as https://s-1-3-s-api.maximtop.cn", "", "lanying", "api_endpoint")
	}
	for i, s := range c.Sources {
		idx := strconv.Itoa(i)
		switch s.Type {
		case "", "dir":
			if s.Path == "" {
				return c.errAt("a folder source needs a path", "add path: /the/folder", "sources", idx)
			}
		case "s3":
			if !strings.HasPrefix(s.URL, "s3://") {
				return c.errAt("an s3 source needs url: s3://bucket/prefix", "", "sources", idx, "url")
			}
			if (s.AccessKeyIDEnv == "") != (s.SecretAccessKeyEnv == "") {
				return c.errAt("give both access_key_id_env and secret_access_key_env, or neither", "", "sources", idx)
			}
		case "web":
			if len(s.URLs)+len(s.Sitemaps)+len(s.Seeds) == 0 && s.URLsFile == "" {
				return c.errAt("a web source needs urls, urls_file, sitemaps or seeds", "", "sources", idx)
			}
			for j, re := range append(append([]string(nil), s.IncludeURLs...), s.ExcludeURLs...) {
				if _, err := regexp.Compile(re); err != nil {
					return c.errAt(fmt.Sprintf("pattern %d is not a regular expression: %v", j, err), "", "sources", idx)
				}
			}
			switch s.Scope {
			case "", "host", "domain", "prefix":
			default:
				return c.errAt(fmt.Sprintf("scope %q: want host, domain or prefix", s.Scope), "", "sources", idx, "scope")
			}
			if s.Mode != "" && s.Mode != "link" && s.Mode != "snapshot" {
				return c.errAt(fmt.Sprintf("mode %q: want link or snapshot", s.Mode), "", "sources", idx, "mode")
			}
		default:
			return c.errAt(fmt.Sprintf("unknown source type %q (dir, s3 or web)", s.Type), "", "sources", idx, "type")
		}
		if s.ChatbotID < 0 || s.AdminUserID < 0 {
			return c.errAt("user ids are positive numbers", "", "sources", idx, "chatbot_id")
		}
	}
	return nil
}

// Line is the line of the value at keys (map keys or sequence indexes),
// or 0.
func (c *Config) Line(keys ...string) int {
	if n := lookup(c.root, keys...); n != nil {
		return n.Line
	}
	return 0
}

// errAt builds an Error at the node found by following keys (map keys or
// sequence indexes) from the document root.
func (c *Config) errAt(msg, hint string, keys ...string) error {
	line := 0
	if n := lookup(c.root, keys...); n != nil {
		line = n.Line
	}
	return &Error{File: c.file, Line: line, Key: strings.Join(keys, "."), Msg: msg, Fix: hint}
}

func lookup(n *yaml.Node, keys ...string) *yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for _, k := range keys {
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == k {
					next = n.Content[i+1]
				}
			}
			if next == nil {
				return n
			}
			n = next
		case yaml.SequenceNode:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(n.Content) {
				return n
			}
			n = n.Content[i]
		default:
			return n
		}
	}
	return n
}
