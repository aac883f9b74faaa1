package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"time"
)

// unchanged: a big tree in which nothing changed, against a bare walk.
func (h *harness) unchanged() (row, error) {
	n := h.c.tree
	dir, err := corpus(filepath.Join(h.c.data, fmt.Sprintf("tree-%d", n)), func(dir string) error {
		for i := range n {
			p := filepath.Join(dir, fmt.Sprintf("d%04d", i%1000), fmt.Sprintf("f%06d.txt", i))
			if i < 1000 {
				os.MkdirAll(filepath.Dir(p), 0o755)
			}
			if err := os.WriteFile(p, []byte(fmt.Sprintf("file %d\n", i)), 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return row{}, err
	}
	state := filepath.Join(h.c.data, "state", fmt.Sprintf("tree-%d.db", n))
	log.Printf("unchanged tree: %d files (the first sync fills the state; later runs reuse it)", n)
	// The setup is not measured: it may go as fast as the emulator allows.
	if _, err := h.sync(h.fast, state, dir, "--api-rate", "100000", "--concurrency", "32"); err != nil {
		return row{}, err
	}
	var find, ours time.Duration
	var rss int64
	for range 3 { // best of three each, interleaved, warm cache
		f, err := run(os.Environ(), "find", dir, "-type", "f", "-printf", `%s %T@\n`)
		if err != nil {
			return row{}, err
		}
		m, err := h.sync(h.fast, state, dir, "--json")
		if err != nil {
			return row{}, err
		}
		if err := checkUnchanged(m.out, n); err != nil {
			return row{}, err
		}
		if find == 0 || f.wall < find {
			find = f.wall
		}
		if ours == 0 || m.wall < ours {
			ours = m.wall
		}
		rss = max(rss, m.maxRSS)
	}
	ratio := ours.Seconds() / find.Seconds()
	return row{
		name:       fmt.Sprintf("re-sync, nothing changed: %d files", n),
		ours:       fmt.Sprintf("%s (peak RSS %.0f MiB)", ours.Round(10*time.Millisecond), mib(rss)),
		comparator: fmt.Sprintf("find -printf '%%s %%T@': %s", find.Round(10*time.Millisecond)),
		ratio:      fmt.Sprintf("%.2f×", ratio),
		target:     "≤ 1.5× find, no content read, RSS < 128 MiB",
		ok:         ratio <= 1.5 && rss < 128<<20,
	}, nil
}

// checkUnchanged reads the JSON summary: every file unchanged, none sent.
func checkUnchanged(out string, n int) error {
	var s struct {
		Counts struct{ Sent, Unchanged int } `json:"counts"`
	}
	dec := json.NewDecoder(stringsReader(out))
	for {
		if err := dec.Decode(&s); err == nil {
			break
		} else if errors.Is(err, io.EOF) {
			return fmt.Errorf("no JSON summary in the output: %s", tail(out))
		}
	}
	if s.Counts.Unchanged != n || s.Counts.Sent != 0 {
		return fmt.Errorf("re-sync was not a no-op: %+v", s.Counts)
	}
	return nil
}

func (h *harness) cpuRow() row {
	if h.bulkDocs == 0 {
		return row{name: "CPU per small document"}
	}
	per := h.bulkCPU / time.Duration(h.bulkDocs)
	return row{
		name:   "CPU per small document (bulk import, worker process)",
		ours:   fmt.Sprintf("%s user+system", per.Round(time.Microsecond)),
		target: "reported",
		ok:     true,
	}
}
