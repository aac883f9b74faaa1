package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest"
)

// report is the end-of-run summary, for people (text) and machines (JSON).
type report struct {
	DryRun   bool
	Emulator bool
	Endpoint string
	State    string
	Started  time.Time
	Elapsed  time.Duration
	Summary  *ingest.Summary
	Error    string // the error that stopped the run, if any

	EmulatorDocs int // documents the built-in emulator received
}

type jsonItem struct {
	Source   string `json:"source"`
	Key      string `json:"key"`
	Reason   string `json:"reason"`
	Detail   string `json:"detail,omitempty"`
	Error    string `json:"error,omitempty"`
	Hint     string `json:"hint,omitempty"`
	Attempts int    `json:"attempts,omitempty"`
}

type jsonReport struct {
	DryRun   bool          `json:"dry_run,omitempty"`
	Emulator bool          `json:"emulator"`
	Endpoint string        `json:"endpoint"`
	State    string        `json:"state"`
	Started  time.Time     `json:"started_at"`
	Elapsed  float64       `json:"elapsed_seconds"`
	Counts   ingest.Counts `json:"counts"`
	Bytes    int64         `json:"bytes_sent"`
	Failed   []jsonItem    `json:"failed"`
	Skipped  []jsonItem    `json:"skipped"`
	Send     []jsonItem    `json:"would_send,omitempty"` // a dry run's plan
	Error    string        `json:"error,omitempty"`
}

func items(rs []ingest.Result) []jsonItem {
	out := make([]jsonItem, 0, len(rs))
	for _, r := range rs {
		out = append(out, jsonItem{Source: r.Source, Key: r.Key, Reason: string(r.Reason), Detail: r.Detail,
			Error: errString(r.Err), Hint: ingest.Hint(r.Err), Attempts: r.Attempts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func (r *report) print(g *globals, asJSON bool) error {
	if asJSON {
		return r.writeJSON(g.stdout)
	}
	r.writeText(g.stdout)
	return nil
}

func (r *report) writeJSON(w io.Writer) error {
	counts, bytes := r.Summary.Snapshot()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonReport{
		DryRun: r.DryRun, Send: items(r.Summary.Sent),
		Emulator: r.Emulator, Endpoint: r.Endpoint, State: r.State, Started: r.Started.UTC(),
		Elapsed: r.Elapsed.Seconds(), Counts: counts, Bytes: bytes,
		Failed: items(r.Summary.Failed), Skipped: items(r.Summary.Skipped), Error: r.Error,
	})
}

// maxSkippedPerReason bounds the text listing; --json lists all.
const maxSkippedPerReason = 50

func (r *report) writeText(w io.Writer) {
	c, bytes := r.Summary.Snapshot()
	where := r.Endpoint
	if r.Emulator {
		where = "the built-in emulator (nothing left this machine)"
	}
	sent := "sent      "
	if r.DryRun {
		fmt.Fprintf(w, "\ndry run against %s: nothing was sent or recorded (%s)\n", where, r.Elapsed.Round(time.Millisecond))
		sent = "would send"
	} else {
		fmt.Fprintf(w, "\nsync to %s finished in %s\n", where, r.Elapsed.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "  %s %6d  (%s)\n  unchanged  %6d\n  skipped    %6d\n  failed     %6d\n",
		sent, c.Sent, humanBytes(bytes), c.Unchanged, c.Skipped, c.Failed)
	if r.DryRun && len(r.Summary.Sent) > 0 {
		fmt.Fprintln(w, "would send:")
		for _, it := range items(r.Summary.Sent) {
			fmt.Fprintf(w, "  %-40s %s\n", it.Key, it.Reason)
		}
	}
	if r.Emulator && !r.DryRun {
		fmt.Fprintf(w, "  the emulator's chatbot received %d documents; point api_endpoint at your app to send them for real\n", r.EmulatorDocs)
	}
	if len(r.Summary.Skipped) > 0 {
		fmt.Fprintln(w, "skipped:")
		shown := map[string]int{}
		for _, it := range items(r.Summary.Skipped) {
			if shown[it.Reason]++; shown[it.Reason] > maxSkippedPerReason {
				continue
			}
			fmt.Fprintf(w, "  %-40s %s: %s\n", it.Key, it.Reason, it.Detail)
		}
		for reason, n := range shown {
			if n > maxSkippedPerReason {
				fmt.Fprintf(w, "  ... and %d more %s (--json lists all)\n", n-maxSkippedPerReason, reason)
			}
		}
	}
	if len(r.Summary.Failed) > 0 {
		fmt.Fprintln(w, "failed:")
		for _, it := range items(r.Summary.Failed) {
			fmt.Fprintf(w, "  %-40s %s: %s\n", it.Key, it.Reason, it.Error)
			if it.Hint != "" {
				fmt.Fprintf(w, "  %-40s hint: %s\n", "", it.Hint)
			}
		}
	}
}
