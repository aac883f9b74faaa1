package watch

import (
	"context"
	"errors"
	"time"

	"github.com/lanyingim/lanying-ingest/ingest"
)

// Poller is a source without filesystem events (a website, a bucket): the
// daemon reads it again every Interval, through the same delivery pool.
type Poller struct {
	Source   ingest.Source
	Interval time.Duration
}

// Poll is what one reading of a polled source did, for status and metrics.
type Poll struct {
	Source  string
	Started time.Time
	Ended   time.Time
	Err     error     // the listing failed (the documents' own results are reported one by one)
	Next    time.Time // when it is read again
}

// maxPollBackoff bounds the wait after failed polls.
const maxPollBackoff = time.Hour

// poll reads p now and then every Interval until stop; after a failure it
// tries again sooner (a minute, doubling up to the interval or an hour),
// and a failing source never stops the others.
func (d *Daemon) poll(ctx context.Context, stop <-chan struct{}, p Poller) {
	failures := 0
	for {
		start := time.Now()
		err := p.Source.Walk(ctx, func(doc ingest.Document) error {
			select {
			case <-stop:
				return context.Canceled
			default:
			}
			d.feed.push(p.Source.ID(), doc)
			return nil
		})
		if errors.Is(err, context.Canceled) && ctx.Err() == nil {
			return // stopping
		}
		wait := p.Interval
		if err != nil {
			failures++
			wait = min(time.Minute<<min(failures-1, 10), max(p.Interval, time.Minute), maxPollBackoff)
			d.opts.Logger.Warn("source failed; trying again later", "source", p.Source.ID(), "error", err,
				"hint", ingest.Hint(err), "retry_in", wait.Round(time.Second))
		} else {
			failures = 0
		}
		if d.opts.OnPoll != nil {
			d.opts.OnPoll(Poll{Source: p.Source.ID(), Started: start, Ended: time.Now(), Err: err, Next: time.Now().Add(wait)})
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-stop:
			t.Stop()
			return
		}
	}
}
