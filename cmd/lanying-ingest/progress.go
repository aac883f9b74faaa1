package main

import (
	"fmt"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/lanyingim/lanying-ingest/ingest"
)

// progress shows a run as it happens: a progress bar on a terminal, log
// lines otherwise. It implements ingest.Observer.
type progress struct {
	g   *globals
	bar *progressbar.ProgressBar

	mu     sync.Mutex
	found  int64
	counts ingest.Counts
	bytes  int64
	stop   chan struct{} // ends the periodic progress lines
}

var _ ingest.Observer = (*progress)(nil)

func newProgress(g *globals, allowBar bool) *progress {
	p := &progress{g: g}
	if allowBar && g.stderrIsTTY {
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(g.stderr),
			progressbar.OptionSetDescription("documents"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100_000_000),
			progressbar.OptionClearOnFinish(),
		)
	} else if allowBar && g.progressEvery > 0 {
		// Long runs under cron or systemd: a line now and then.
		p.stop = make(chan struct{})
		go p.lines(g.progressEvery)
	}
	return p
}

func (p *progress) lines(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			c, found, bytes := p.counts, p.found, p.bytes
			p.mu.Unlock()
			p.g.logger.Info("progress", "found", found, "sent", c.Sent, "unchanged", c.Unchanged,
				"skipped", c.Skipped, "failed", c.Failed, "bytes", bytes)
		}
	}
}

// Found counts a document the source yielded.
func (p *progress) Found(d *ingest.Document) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.found++
	if p.bar != nil {
		p.bar.ChangeMax64(p.found)
	}
}

// Done shows a document's outcome.
func (p *progress) Done(r ingest.Result) {
	p.mu.Lock()
	switch r.Outcome {
	case ingest.Sent:
		p.counts.Sent++
		p.bytes += r.Bytes
	case ingest.Unchanged:
		p.counts.Unchanged++
	case ingest.Skipped:
		p.counts.Skipped++
	case ingest.Failed:
		p.counts.Failed++
	}
	if p.bar != nil {
		c := p.counts
		p.bar.Describe(fmt.Sprintf("sent %d (%s) · unchanged %d · skipped %d · failed %d",
			c.Sent, humanBytes(p.bytes), c.Unchanged, c.Skipped, c.Failed))
		_ = p.bar.Add(1)
	}
	p.mu.Unlock()
	if p.bar == nil {
		p.log(r)
	}
}

func (p *progress) log(r ingest.Result) {
	l := p.g.logger
	switch r.Outcome {
	case ingest.Sent:
		l.Info("sent", "doc", r.Key, "bytes", r.Bytes, "attempts", r.Attempts, "ms", r.Elapsed.Milliseconds())
	case ingest.Failed:
		args := []any{"doc", r.Key, "reason", string(r.Reason), "error", errString(r.Err)}
		if h := ingest.Hint(r.Err); h != "" {
			args = append(args, "hint", h)
		}
		l.Warn("failed", args...)
	case ingest.Skipped:
		l.Debug("skipped", "doc", r.Key, "reason", string(r.Reason), "detail", r.Detail)
	case ingest.Unchanged:
		l.Debug("unchanged", "doc", r.Key)
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
	if p.stop != nil {
		close(p.stop)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// humanBytes renders a size with a binary unit.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
