package main

import (
	"context"
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanyingim/lanying-ingest/ingest"
)

// syncOptions are the flags of sync.
type syncOptions struct {
	runOptions
	jsonOut    bool
	noProgress bool
}

func (o *syncOptions) register(cmd *cobra.Command) {
	o.runOptions.register(cmd)
	f := cmd.Flags()
	f.BoolVar(&o.jsonOut, "json", false, "print the summary as one JSON object on stdout")
	f.BoolVar(&o.noProgress, "no-progress", false, "no progress bar, even on a terminal")
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
	sess, err := o.open(ctx, g, paths)
	if err != nil {
		return err
	}
	defer sess.close()
	sum := &ingest.Summary{}
	ui := newProgress(g, !o.noProgress && !g.quiet)
	a := sess.app
	syncer := ingest.NewSyncer(a.api, a.up, sess.store, a.target, sess.syncerOptions(ui, ingest.DefaultOutageGiveUp))
	start := time.Now()
	var runErr error
	for _, src := range sess.folders {
		if runErr = syncer.Run(ctx, src, sum); runErr != nil {
			break
		}
	}
	ui.finish()
	rep := report{Emulator: a.emu != nil, Endpoint: a.endpoint, State: sess.statePath, Started: start, Elapsed: time.Since(start), Summary: sum}
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
