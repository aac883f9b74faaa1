package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanyingim/lanying-ingest/cmd/lanying-ingest/internal/config"
	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/bucket"
	"github.com/lanyingim/lanying-ingest/ingest/dir"
	"github.com/lanyingim/lanying-ingest/ingest/rules"
	"github.com/lanyingim/lanying-ingest/ingest/state"
	"github.com/lanyingim/lanying-ingest/ingest/web"
)

// runOptions are the flags sync and watch share: the app, the state and
// the folder rules.
type runOptions struct {
	configPath      string
	statePath       string
	concurrency     int
	retries         int
	endpoint        string
	appID           string
	adminUserID     int64
	chatbotID       int64
	include         []string
	exclude         []string
	asText          []string
	followSymlinks  bool
	maxFileSize     string
	maxMetadataSize string
	metadata        []string
	apiRate         float64
	uploadBandwidth string
	caFile          string
	s3Region        string
	s3Endpoint      string
	s3PathStyle     bool
	urlsFile        string
	webMode         string
	maxDepth        int
}

func (o *runOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.configPath, "config", "c", "", "configuration file (YAML; see config.example.yaml)")
	f.StringVar(&o.statePath, "state", "", "state database (default: "+config.DefaultStatePath()+")")
	f.IntVar(&o.concurrency, "concurrency", 0, fmt.Sprintf("documents delivered at once (default %d)", ingest.DefaultConcurrency))
	f.IntVar(&o.retries, "retries", 0, "attempts per API step for transient failures (default 5)")
	f.StringVar(&o.endpoint, "endpoint", "", "API endpoint, e.g. https://s-1-3-s-api.maximtop.cn (env "+config.EnvEndpoint+")")
	f.StringVar(&o.appID, "app-id", "", "app id (env "+config.EnvAppID+")")
	f.Int64Var(&o.adminUserID, "admin-user-id", 0, "the chatbot's knowledge-base admin user id (env "+config.EnvAdmin+")")
	f.Int64Var(&o.chatbotID, "chatbot-id", 0, "the chatbot's user id (env "+config.EnvChatbot+")")
	f.StringArrayVar(&o.include, "include", nil, "send only files matching this glob (repeatable; ** allowed)")
	f.StringArrayVar(&o.exclude, "exclude", nil, "skip files and directories matching this glob (repeatable)")
	f.StringSliceVar(&o.asText, "as-text", nil, "also send files with these extensions, as text (e.g. .rst,.adoc)")
	f.BoolVar(&o.followSymlinks, "follow-symlinks", false, "follow symbolic links (loop-safe) instead of skipping them")
	f.StringVar(&o.maxFileSize, "max-file-size", "", "skip larger files (default 100MiB)")
	f.StringVar(&o.maxMetadataSize, "max-metadata-size", "", "largest metadata per document (default 8KiB)")
	f.StringArrayVar(&o.metadata, "metadata", nil, "static metadata for every document, key=value (repeatable)")
	f.Float64Var(&o.apiRate, "api-rate", 0, fmt.Sprintf("API requests per second, all workers together (default %d)", ingest.DefaultAPIRate))
	f.StringVar(&o.uploadBandwidth, "upload-bandwidth", "", "cap on upload bytes per second, all uploads together, e.g. 2MiB (default none)")
	f.StringVar(&o.caFile, "ca-file", "", "PEM file of extra CA certificates to trust (TLS verification is always on)")
	f.StringVar(&o.s3Region, "s3-region", "", "for s3:// PATHs: the bucket's region (default: the AWS configuration's)")
	f.StringVar(&o.s3Endpoint, "s3-endpoint", "", "for s3:// PATHs: an S3-compatible endpoint, e.g. https://minio.example:9000")
	f.BoolVar(&o.s3PathStyle, "s3-path-style", false, "for s3:// PATHs: path-style addressing (most S3-compatible stores)")
	f.StringVar(&o.urlsFile, "urls", "", "a file of page URLs to send, one a line (# comments)")
	f.StringVar(&o.webMode, "web-mode", "", "for web pages: link (the chatbot fetches them) or snapshot (uploaded as .html); default: link for public https pages")
	f.IntVar(&o.maxDepth, "max-depth", 0, "for https:// PATHs, crawled from: how many links deep (default 3)")
}

// session is what a run needs: the configuration, the folders, the app
// and the state database. close releases them.
type session struct {
	cfg       *config.Config
	folders   []folder
	app       *app
	store     *state.DB
	statePath string
	limiter   *ingest.RateLimiter // one API rate for every source and chatbot
}

// folder is one source (a folder, or a bucket prefix) and the chatbot it
// goes to.
type folder struct {
	src    ingest.Source
	dir    *dir.Source // nil for a bucket or a site
	spec   config.Source
	target ingest.Target
	memo   *memo // a web source's memory of the last run, for conditional requests
}

func (o *runOptions) open(ctx context.Context, g *globals, paths []string) (*session, error) {
	cfg, err := o.loadConfig(g)
	if err != nil {
		return nil, err
	}
	folders, err := o.sources(ctx, cfg, paths, g)
	if err != nil {
		return nil, err
	}
	statePath := firstNonEmpty(o.statePath, cfg.State, config.DefaultStatePath())
	store, err := state.Open(ctx, statePath)
	var locked *state.LockedError
	switch {
	case errors.As(err, &locked):
		return nil, locked
	case err != nil:
		return nil, usageErr(err, "choose another file with --state")
	}
	a, err := connect(ctx, cfg, g, folders)
	if err != nil {
		store.Close()
		return nil, err
	}
	for i := range folders {
		folders[i].target = a.targetFor(folders[i].spec)
		if m := folders[i].memo; m != nil {
			m.store, m.target = store, folders[i].target.ID
		}
	}
	return &session{cfg: cfg, folders: folders, app: a, store: store, statePath: statePath,
		limiter: ingest.NewRateLimiter(cfg.APIRate, cfg.APIBurst)}, nil
}

func (s *session) close() {
	s.store.Close()
	s.app.close()
}

// syncerOptions are the delivery settings of the configuration. giveUp
// is how long to wait out an API outage (<0: for ever).
func (s *session) syncerOptions(obs ingest.Observer, giveUp time.Duration) ingest.Options {
	if s.cfg.OutageTimeout > 0 && giveUp >= 0 {
		giveUp = time.Duration(s.cfg.OutageTimeout)
	}
	return ingest.Options{
		Concurrency:      s.cfg.Concurrency,
		Retry:            ingest.RetryPolicy{Attempts: s.cfg.Retries},
		MaxMetadataBytes: int(s.cfg.MaxMetadataSize),
		Observer:         obs,
		AllowDuplicates:  s.cfg.AllowDuplicates,
		Limiter:          s.limiter,
		Outage:           ingest.OutagePolicy{GiveUp: giveUp},
	}
}

// loadConfig reads the file (if any), then the environment, then the flags.
func (o *runOptions) loadConfig(g *globals) (*config.Config, error) {
	cfg := &config.Config{}
	if o.configPath != "" {
		var err error
		if cfg, err = config.Load(o.configPath); err != nil {
			return nil, usageErr(err, "")
		}
		if cfg.Lanying.AccessToken != "" && config.ReadableByOthers(o.configPath) {
			g.logger.Warn("the configuration file holds the access token and others can read it",
				"file", o.configPath, "hint", "chmod 600 "+o.configPath+", or move the token to LANYING_ACCESS_TOKEN")
		}
	}
	if err := cfg.ApplyEnv(g.getenv); err != nil {
		return nil, usageErr(err, "")
	}
	l := &cfg.Lanying
	l.APIEndpoint = firstNonEmpty(o.endpoint, l.APIEndpoint)
	l.AppID = firstNonEmpty(o.appID, l.AppID)
	if o.adminUserID != 0 {
		l.AdminUserID = o.adminUserID
	}
	if o.chatbotID != 0 {
		l.ChatbotID = o.chatbotID
	}
	if o.concurrency < 0 || o.retries < 0 {
		return nil, usageErr(errors.New("--concurrency and --retries must not be negative"), "")
	}
	if o.concurrency > 0 {
		cfg.Concurrency = o.concurrency
	}
	if o.retries > 0 {
		cfg.Retries = o.retries
	}
	if o.apiRate < 0 {
		return nil, usageErr(errors.New("--api-rate must not be negative"), "")
	}
	if o.apiRate > 0 {
		cfg.APIRate = o.apiRate
	}
	if o.uploadBandwidth != "" {
		n, err := config.ParseByteSize(o.uploadBandwidth)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--upload-bandwidth: %w", err), "")
		}
		cfg.UploadBandwidth = n
	}
	cfg.CAFile = firstNonEmpty(o.caFile, cfg.CAFile)
	if o.maxMetadataSize != "" {
		n, err := config.ParseByteSize(o.maxMetadataSize)
		if err != nil {
			return nil, usageErr(fmt.Errorf("--max-metadata-size: %w", err), "")
		}
		cfg.MaxMetadataSize = n
	}
	return cfg, nil
}

// sources builds the folder sources: the PATHs with the flags' rules, or
// else the configuration's sources.
func (o *runOptions) sources(ctx context.Context, cfg *config.Config, paths []string, g *globals) ([]folder, error) {
	static, err := parseMetadataFlags(o.metadata)
	if err != nil {
		return nil, err
	}
	var specs []config.Source
	if o.urlsFile != "" {
		specs = append(specs, config.Source{Type: "web", URLsFile: o.urlsFile, Mode: o.webMode})
	}
	for _, p := range paths {
		if strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
			specs = append(specs, config.Source{Type: "web", Seeds: []string{p}, Mode: o.webMode, MaxDepth: o.maxDepth})
			continue
		}
		if strings.HasPrefix(p, "s3://") {
			specs = append(specs, config.Source{Type: "s3", URL: p, Region: o.s3Region, Endpoint: o.s3Endpoint, PathStyle: o.s3PathStyle})
			continue
		}
		if _, err := os.Stat(p); err != nil {
			return nil, usageErr(err, "give an existing folder or file, or an s3://bucket/prefix")
		}
		specs = append(specs, config.Source{Path: p})
	}
	if len(specs) == 0 {
		specs = cfg.Sources
	}
	if len(specs) == 0 {
		return nil, usageErr(errors.New("nothing to sync: give a PATH or a configuration file with sources"), "lanying-ingest sync ./docs")
	}
	var out []folder
	hosts := web.NewHosts() // link files of every folder are polite together
	for _, s := range specs {
		opts, err := o.dirOptions(s, static)
		if err != nil {
			return nil, err
		}
		switch s.Type {
		case "s3":
			src, err := newBucket(ctx, s, opts, g)
			if err != nil {
				return nil, err
			}
			out = append(out, folder{src: src, spec: s})
			continue
		case "web":
			m := &memo{}
			src, err := newWeb(s, opts.Metadata, m)
			if err != nil {
				return nil, err
			}
			out = append(out, folder{src: src, spec: s, memo: m})
			continue
		}
		m := &memo{}
		opts.Links = linkExpander(m, opts.Metadata, hosts)
		src, err := dir.New(s.Path, opts)
		if err != nil {
			return nil, usageErr(err, "globs use * ? [..] and ** (any directories)")
		}
		m.source = src.ID()
		out = append(out, folder{src: src, dir: src, spec: s, memo: m})
	}
	return out, nil
}

// newBucket builds an s3 source. Credentials come from the variables the
// source names, or else from the standard AWS chain.
func newBucket(ctx context.Context, s config.Source, opts dir.Options, g *globals) (*bucket.Source, error) {
	bo := bucket.Options{
		Region: s.Region, Endpoint: s.Endpoint, PathStyle: s.PathStyle, Profile: s.Profile,
		Rules: opts.Options,
	}
	if s.AccessKeyIDEnv != "" {
		bo.AccessKeyID, bo.SecretAccessKey = g.getenv(s.AccessKeyIDEnv), g.getenv(s.SecretAccessKeyEnv)
		if bo.AccessKeyID == "" || bo.SecretAccessKey == "" {
			return nil, usageErr(fmt.Errorf("%s: %s or %s is not set", s.URL, s.AccessKeyIDEnv, s.SecretAccessKeyEnv),
				"export both variables, or leave access_key_id_env out to use the AWS chain")
		}
	}
	src, err := bucket.New(ctx, s.URL, bo)
	if err != nil {
		return nil, usageErr(err, "an s3 source is s3://bucket/prefix")
	}
	return src, nil
}

// dirOptions merges a configured source with the rule flags (flags add
// patterns and extensions, and override sizes and switches).
func (o *runOptions) dirOptions(s config.Source, static map[string]any) (dir.Options, error) {
	opts := dir.Options{Options: rules.Options{
		Include:     append(append([]string(nil), s.Include...), o.include...),
		Exclude:     append(append([]string(nil), s.Exclude...), o.exclude...),
		AsText:      append(append([]string(nil), s.AsText...), o.asText...),
		MaxFileSize: int64(s.MaxFileSize),
		Metadata:    map[string]any{},
	}, FollowSymlinks: s.FollowSymlinks || o.followSymlinks}
	for k, v := range s.Metadata {
		opts.Metadata[k] = v
	}
	for k, v := range static {
		opts.Metadata[k] = v
	}
	if o.maxFileSize != "" {
		n, err := config.ParseByteSize(o.maxFileSize)
		if err != nil {
			return opts, usageErr(fmt.Errorf("--max-file-size: %w", err), "")
		}
		opts.MaxFileSize = int64(n)
	}
	return opts, nil
}

func parseMetadataFlags(kvs []string) (map[string]any, error) {
	m := map[string]any{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageErr(fmt.Errorf("--metadata %q is not key=value", kv), "--metadata team=support")
		}
		m[k] = v
	}
	return m, nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
