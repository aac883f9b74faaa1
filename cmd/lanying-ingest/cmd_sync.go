package main

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanyingim/lanying-ingest/ingest"
)

// syncOptions are the flags of sync.
type syncOptions struct {
	runOptions
	jsonOut     bool
	noProgress  bool
	dryRun      bool
	retryFailed bool
	force       bool
}

func (o *syncOptions) register(cmd *cobra.Command) {
	o.runOptions.register(cmd)
	f := cmd.Flags()
	f.BoolVar(&o.jsonOut, "json", false, "print the summary as one JSON object on stdout")
	f.BoolVar(&o.noProgress, "no-progress", false, "no progress bar, even on a terminal")
	f.BoolVar(&o.dryRun, "dry-run", false, "show what would be sent and why, send nothing, change nothing")
	f.BoolVar(&o.retryFailed, "retry-failed", false, "send only the documents whose last delivery failed")
	f.BoolVar(&o.force, "force", false, "send every document again, changed or not, as new messages")
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

Exit codes: 0 all sent, unchanged or skipped by a rule; 1 some failed (or the
API stayed down); 2 usage or configuration error, or a fatal API error (bad
token, unknown app); 3 another run holds the state database.`,
		Example: `  # try it: no configuration, the built-in emulator
  lanying-ingest sync ./docs

  # what would a run against the real app send, and why?
  lanying-ingest sync --config /etc/lanying-ingest.yaml --dry-run

  # your app, credentials from the environment
  export LANYING_API_ENDPOINT=https://s-1-3-s-api.maximtop.cn LANYING_APP_ID=... \
         LANYING_ACCESS_TOKEN=... LANYING_ADMIN_USER_ID=... LANYING_CHATBOT_ID=...
  lanying-ingest sync --exclude 'drafts/**' --as-text .rst ./handbook

  # after fixing what status showed: only the failed documents
  lanying-ingest sync --config /etc/lanying-ingest.yaml --retry-failed`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.force && o.retryFailed {
				return usageErr(errors.New("--force and --retry-failed do not go together"), "")
			}
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
	sum := &ingest.Summary{KeepSent: o.dryRun}
	ui := newProgress(g, !o.noProgress && !g.quiet)
	start := time.Now()
	var runErr error
	for _, f := range sess.folders {
		if runErr = o.syncFolder(ctx, sess, f, ui, start, sum); runErr != nil {
			break
		}
	}
	ui.finish()
	a := sess.app
	rep := report{Emulator: a.emu != nil, DryRun: o.dryRun, Endpoint: a.endpoint, State: sess.statePath,
		Started: start, Elapsed: time.Since(start), Summary: sum}
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

// syncFolder runs one folder into its chatbot and records the run.
func (o *syncOptions) syncFolder(ctx context.Context, sess *session, f folder, ui *progress, start time.Time, sum *ingest.Summary) error {
	opts := sess.syncerOptions(ui, ingest.DefaultOutageGiveUp)
	opts.Force, opts.ForceNonce = o.force, strconv.FormatInt(start.UnixNano(), 10)
	a := sess.app
	api, up, store := ingest.API(a.api), ingest.Uploader(a.up), ingest.Store(sess.store)
	if o.dryRun {
		api, up, store = ingest.DryRun(api, up, store)
	}
	var src ingest.Source = f.src
	if o.retryFailed {
		src = ingest.OnlyFailed(src, sess.store, f.target.ID)
	}
	per := &ingest.Summary{KeepSent: o.dryRun}
	var runID int64
	if !o.dryRun {
		var err error
		if runID, err = sess.store.StartRun(ctx, f.target.ID, src.ID(), "sync"); err != nil {
			return err
		}
	}
	err := ingest.NewSyncer(api, up, store, f.target, opts).Run(ctx, src, per)
	sum.Merge(per)
	if o.dryRun {
		return err
	}
	outcome, errText := "ok", ""
	switch {
	case err != nil:
		outcome, errText = "stopped", err.Error()
	case per.Counts.Failed > 0:
		outcome = "failed"
	}
	if rerr := sess.store.EndRun(context.WithoutCancel(ctx), runID, outcome, per.Counts, errText); rerr != nil && err == nil {
		err = rerr
	}
	return err
}
