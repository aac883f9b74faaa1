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
	"github.com/lanyingim/lanying-ingest/ingest/dir"
	"github.com/lanyingim/lanying-ingest/ingest/state"
)

// syncOptions are the flags of sync.
type syncOptions struct {
	configPath      string
	statePath       string
	concurrency     int
	retries         int
	jsonOut         bool
	noProgress      bool
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
}

func (o *syncOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVarP(&o.configPath, "config", "c", "", "configuration file (YAML; see config.example.yaml)")
	f.StringVar(&o.statePath, "state", "", "state database (default: "+config.DefaultStatePath()+")")
	f.IntVar(&o.concurrency, "concurrency", 0, fmt.Sprintf("documents delivered at once (default %d)", ingest.DefaultConcurrency))
	f.IntVar(&o.retries, "retries", 0, "attempts per API step for transient failures (default 5)")
	f.BoolVar(&o.jsonOut, "json", false, "print the summary as one JSON object on stdout")
	f.BoolVar(&o.noProgress, "no-progress", false, "no progress bar, even on a terminal")
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
}

func newSyncCommand(g *globals) *cobra.Command {
	o := &syncOptions{}
	cmd := &cobra.Command{
		Use:   "sync [flags] [PATH ...]",
		Short: "Send new and changed documents to the chatbot",
		Long: `sync sends every supported document under each PATH (or under the sources of
the configuration file) to the chatbot, once. Documents already sent and not
changed since cost one state lookup and no read.

The app comes from the configuration file, then the LANYING_* environment
variables, then the flags. With no api_endpoint at all, sync runs against a
built-in emulator and says so: nothing leaves the machine.

Exit codes: 0 all sent, unchanged or skipped by a rule; 1 some failed;
2 usage or configuration error, or a fatal API error (bad token, unknown app).`,
		Example: `  # try it: no configuration, the built-in emulator
  lanying-ingest sync ./docs

  # your app, credentials from the environment
  export LANYING_API_ENDPOINT=https://s-1-3-s-api.maximtop.cn LANYING_APP_ID=... \
         LANYING_ACCESS_TOKEN=... LANYING_ADMIN_USER_ID=... LANYING_CHATBOT_ID=...
  lanying-ingest sync --exclude 'drafts/**' --as-text .rst ./handbook

  # everything from a configuration file, summary as JSON for a script
  lanying-ingest sync --config /etc/lanying-ingest.yaml --json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSync(cmd.Context(), o, g, args)
		},
	}
	o.register(cmd)
	return cmd
}

func runSync(ctx context.Context, o *syncOptions, g *globals, paths []string) error {
	cfg, err := o.loadConfig(g)
	if err != nil {
		return err
	}
	sources, err := o.sources(cfg, paths)
	if err != nil {
		return err
	}
	a, err := connect(ctx, cfg, g)
	if err != nil {
		return err
	}
	defer a.close()
	statePath := firstNonEmpty(o.statePath, cfg.State, config.DefaultStatePath())
	store, err := state.Open(ctx, statePath)
	if err != nil {
		return usageErr(err, "choose another file with --state")
	}
	defer store.Close()

	sum := &ingest.Summary{}
	ui := newProgress(g, !o.noProgress && !g.quiet)
	opts := ingest.Options{
		Concurrency:      cfg.Concurrency,
		Retry:            ingest.RetryPolicy{Attempts: cfg.Retries},
		MaxMetadataBytes: int(cfg.MaxMetadataSize),
		Observer:         ui,
	}
	syncer := ingest.NewSyncer(a.api, a.up, store, a.target, opts)
	start := time.Now()
	var runErr error
	for _, src := range sources {
		if runErr = syncer.Run(ctx, src, sum); runErr != nil {
			break
		}
	}
	ui.finish()
	rep := report{Emulator: a.emu != nil, Endpoint: a.endpoint, State: statePath, Started: start, Elapsed: time.Since(start), Summary: sum}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		rep.Error = runErr.Error()
	}
	if a.emu != nil {
		rep.EmulatorDocs = len(a.emu.Documents())
	}
	// A run stopped before any document ended has nothing to summarise
	// in words; JSON readers always get their object.
	if counts, _ := sum.Snapshot(); o.jsonOut || runErr == nil || counts != (ingest.Counts{}) {
		if err := rep.print(g, o.jsonOut); err != nil {
			return err
		}
	}
	if runErr != nil {
		return runErr
	}
	if sum.Counts.Failed > 0 {
		return errDocumentsFailed
	}
	return nil
}

// loadConfig reads the file (if any), then the environment, then the flags.
func (o *syncOptions) loadConfig(g *globals) (*config.Config, error) {
	cfg := &config.Config{}
	if o.configPath != "" {
		var err error
		if cfg, err = config.Load(o.configPath); err != nil {
			return nil, usageErr(err, "")
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
func (o *syncOptions) sources(cfg *config.Config, paths []string) ([]ingest.Source, error) {
	static, err := parseMetadataFlags(o.metadata)
	if err != nil {
		return nil, err
	}
	var specs []config.Source
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return nil, usageErr(err, "give an existing folder or file")
		}
		specs = append(specs, config.Source{Path: p})
	}
	if len(paths) == 0 {
		specs = cfg.Sources
	}
	if len(specs) == 0 {
		return nil, usageErr(errors.New("nothing to sync: give a PATH or a configuration file with sources"), "lanying-ingest sync ./docs")
	}
	var out []ingest.Source
	for _, s := range specs {
		opts, err := o.dirOptions(s, static)
		if err != nil {
			return nil, err
		}
		src, err := dir.New(s.Path, opts)
		if err != nil {
			return nil, usageErr(err, "globs use * ? [..] and ** (any directories)")
		}
		out = append(out, src)
	}
	return out, nil
}

// dirOptions merges a configured source with the rule flags (flags add
// patterns and extensions, and override sizes and switches).
func (o *syncOptions) dirOptions(s config.Source, static map[string]any) (dir.Options, error) {
	opts := dir.Options{
		Include: append(append([]string(nil), s.Include...), o.include...),
		Exclude: append(append([]string(nil), s.Exclude...), o.exclude...),
		AsText:  append(append([]string(nil), s.AsText...), o.asText...),

		FollowSymlinks: s.FollowSymlinks || o.followSymlinks,
		MaxFileSize:    int64(s.MaxFileSize),
		Metadata:       map[string]any{},
	}
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
