// Command bench measures lanying-ingest against the emulator on this
// machine, with a comparator for each figure in the same run, and prints
// a table:
//
//	go run ./cmd/bench                 # the full run (about 5 minutes, 2 GiB of disk)
//	go run ./cmd/bench -quick          # smaller corpora, for a first look
//
// It builds lanying-ingest, generates the corpora under -data (outside
// the repository; kept between runs), starts the emulator as a process of
// its own with the requested latency, and measures the wall time, CPU
// time and peak resident memory of the worker process only.
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"
	"time"
)

type config struct {
	data     string
	files    int
	tree     int
	big      int64
	latency  time.Duration
	flow     string
	flowN    int
	markdown bool
	only     string
}

func main() {
	var c config
	quick := flag.Bool("quick", false, "small corpora: 2,000 files, a 256 MiB file, a 20,000-file tree")
	flag.StringVar(&c.data, "data", filepath.Join(os.TempDir(), "lanying-ingest-bench"), "where the corpora and state go (kept between runs)")
	flag.IntVar(&c.files, "files", 10_000, "small files in the bulk import")
	flag.IntVar(&c.tree, "tree", 100_000, "files in the unchanged tree")
	flag.Int64Var(&c.big, "big", 1<<30, "bytes of the large file")
	flag.DurationVar(&c.latency, "latency", 20*time.Millisecond, "latency the emulator adds to every API and storage call in the bulk import")
	flag.StringVar(&c.flow, "flow", "../shared/bench/documented-flow.sh", "the documented flow script (slot, upload, send with curl, one file at a time)")
	flag.IntVar(&c.flowN, "flow-files", 200, "files the documented flow sends (its rate is measured on these)")
	flag.BoolVar(&c.markdown, "markdown", false, "print the table as Markdown")
	flag.StringVar(&c.only, "only", "", "run one scenario: bulk, large or tree")
	flag.Parse()
	if *quick {
		c.files, c.big, c.tree, c.flowN = 2_000, 256<<20, 20_000, 100
	}
	log.SetFlags(0)
	log.SetPrefix("bench: ")
	if err := runBench(c); err != nil {
		log.Fatal(err)
	}
}

func runBench(c config) error {
	if err := os.MkdirAll(c.data, 0o755); err != nil {
		return err
	}
	h, err := newHarness(c)
	if err != nil {
		return err
	}
	defer h.close()
	var rows []row
	for _, sc := range []struct {
		name string
		run  func() (row, error)
	}{{"bulk", h.bulk}, {"large", h.large}, {"tree", h.unchanged}} {
		if c.only != "" && c.only != sc.name {
			continue
		}
		r, err := sc.run()
		if err != nil {
			return err
		}
		rows = append(rows, r)
		log.Printf("%s: %s", r.name, r.ours)
	}
	if h.bulkDocs > 0 {
		rows = append(rows, h.cpuRow())
	}
	printTable(os.Stdout, h.machine(), rows, c.markdown)
	return nil
}
