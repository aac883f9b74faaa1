package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanyingim/lanying-ingest/cmd/lanying-ingest/internal/config"
	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/state"
)

type statusOptions struct {
	configPath string
	statePath  string
	jsonOut    bool
}

func newStatusCommand(g *globals) *cobra.Command {
	o := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status [flags]",
		Short: "Show what the state database knows: documents, last runs, failures",
		Long: `status reads the state database (without locking it: it works while a sync or
watch runs) and shows, per source and chatbot: documents sent, failed, pending
(in flight when a run stopped) and deleted; the last run's start, end, outcome
and counts; and each failed document with its reason, attempts and last error.`,
		Example: `  lanying-ingest status
  lanying-ingest status --state /var/lib/lanying-ingest/state.db --json | jq '.sources[].failed'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStatus(cmd.Context(), o, g)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.configPath, "config", "c", "", "configuration file (for its state: path)")
	f.StringVar(&o.statePath, "state", "", "state database (default: "+config.DefaultStatePath()+")")
	f.BoolVar(&o.jsonOut, "json", false, "print the status as one JSON object")
	return cmd
}

type statusRun struct {
	Command string        `json:"command"`
	Started time.Time     `json:"started_at"`
	Ended   *time.Time    `json:"ended_at"`
	Outcome string        `json:"outcome"`
	Counts  ingest.Counts `json:"counts"`
	Error   string        `json:"error,omitempty"`
	Next    *time.Time    `json:"next_poll,omitempty"` // a polled source under watch
}

type statusFailed struct {
	Key       string    `json:"key"`
	Reason    string    `json:"reason"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	UpdatedAt time.Time `json:"updated_at"`
}

type statusSource struct {
	Target    string         `json:"target"`
	Source    string         `json:"source"`
	Documents map[string]int `json:"documents"`
	LastRun   *statusRun     `json:"last_run"`
	Failed    []statusFailed `json:"failed"`
}

func runStatus(ctx context.Context, o *statusOptions, g *globals) error {
	path := o.statePath
	if path == "" && o.configPath != "" {
		cfg, err := config.Load(o.configPath)
		if err != nil {
			return usageErr(err, "")
		}
		path = cfg.State
	}
	path = firstNonEmpty(path, config.DefaultStatePath())
	db, err := state.OpenReadOnly(ctx, path)
	if err != nil {
		return usageErr(err, "give the state database with --state (or --config); a first sync creates it")
	}
	defer db.Close()
	sources, err := collectStatus(ctx, db)
	if err != nil {
		return err
	}
	if o.jsonOut {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"state": path, "sources": sources})
	}
	writeStatus(g.stdout, path, sources)
	return nil
}

func collectStatus(ctx context.Context, db *state.DB) ([]statusSource, error) {
	scopes, err := db.Scopes(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]statusSource, 0, len(scopes))
	for _, sc := range scopes {
		s := statusSource{Target: sc.Target, Source: sc.Source, Failed: []statusFailed{}, Documents: map[string]int{
			"sent": sc.States[ingest.StateSent], "failed": sc.States[ingest.StateFailed],
			"pending": sc.States[ingest.StateSending], "deleted": sc.States[ingest.StateDeleted],
		}}
		if run, ok, err := db.LastRun(ctx, sc.Target, sc.Source); err != nil {
			return nil, err
		} else if ok {
			s.LastRun = &statusRun{Command: run.Command, Started: run.Started.UTC(), Outcome: run.Outcome, Counts: run.Counts, Error: run.Error}
			if !run.Ended.IsZero() {
				ended := run.Ended.UTC()
				s.LastRun.Ended = &ended
			}
			if !run.Next.IsZero() {
				next := run.Next.UTC()
				s.LastRun.Next = &next
			}
		}
		failed, err := db.Failed(ctx, sc.Target, sc.Source)
		if err != nil {
			return nil, err
		}
		for _, r := range failed {
			s.Failed = append(s.Failed, statusFailed{Key: r.Key, Reason: string(r.Reason), Attempts: r.Attempts,
				LastError: r.LastError, UpdatedAt: r.UpdatedAt.UTC()})
		}
		out = append(out, s)
	}
	return out, nil
}

func writeStatus(w io.Writer, path string, sources []statusSource) {
	fmt.Fprintf(w, "state: %s\n", path)
	if len(sources) == 0 {
		fmt.Fprintln(w, "\nnothing synced yet")
		return
	}
	for _, s := range sources {
		d := s.Documents
		fmt.Fprintf(w, "\n%s\n  to:        %s\n  documents: %d sent, %d failed, %d pending, %d deleted\n",
			strings.TrimPrefix(s.Source, "dir:"), s.Target, d["sent"], d["failed"], d["pending"], d["deleted"])
		if r := s.LastRun; r != nil {
			end := "still running, or killed"
			if r.Ended != nil {
				end = r.Ended.Local().Format("15:04:05") + fmt.Sprintf(" (%s)", r.Ended.Sub(r.Started).Round(time.Second))
			}
			counts := fmt.Sprintf("; sent %d, unchanged %d, skipped %d, failed %d",
				r.Counts.Sent, r.Counts.Unchanged, r.Counts.Skipped, r.Counts.Failed)
			if r.Command == "poll" { // watch reads the source; documents are counted one by one
				counts = ""
			}
			fmt.Fprintf(w, "  last run:  %s %s → %s: %s%s\n",
				r.Command, r.Started.Local().Format("2006-01-02 15:04:05"), end, r.Outcome, counts)
			if r.Error != "" {
				fmt.Fprintf(w, "             error: %s\n", r.Error)
			}
			if r.Next != nil {
				fmt.Fprintf(w, "             next poll: %s\n", r.Next.Local().Format("2006-01-02 15:04:05"))
			}
		}
		if len(s.Failed) > 0 {
			fmt.Fprintln(w, "  failed:")
			for _, f := range s.Failed {
				fmt.Fprintf(w, "    %-36s %s, %d attempt(s): %s\n", f.Key, f.Reason, f.Attempts, f.LastError)
			}
			fmt.Fprintln(w, "  hint: fix the cause, then: lanying-ingest sync --retry-failed")
		}
	}
}
