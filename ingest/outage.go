package ingest

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lanyingim/lanying-ingest/lanying"
	"github.com/lanyingim/lanying-ingest/uploader"
)

// Outage handling defaults. The threshold stays below DefaultAttempts: a
// document's own failures then open the breaker before its retries run
// out, so an outage never fails documents one by one.
const (
	DefaultOutageThreshold = 8               // transient failures in a row, across all workers
	DefaultOutageGiveUp    = 5 * time.Minute // how long sync waits for the API to come back
	maxProbeInterval       = 30 * time.Second
)

// OutagePolicy says when the API counts as down and how long to wait.
type OutagePolicy struct {
	Threshold int           // transient failures in a row that mean an outage (default 8)
	GiveUp    time.Duration // stop the run after this long down; <0 waits for ever (watch)
}

// OutageError stops a run that waited too long for the API to come back.
// Everything not sent is sent by the next run.
type OutageError struct {
	Since time.Time
	Last  error
}

func (e *OutageError) Error() string {
	return fmt.Sprintf("the API has been failing for %s (last error: %v); stopping, everything not sent is sent by the next run",
		time.Since(e.Since).Round(time.Second), e.Last)
}
func (e *OutageError) Unwrap() error { return e.Last }

// Hint says what to check.
func (e *OutageError) Hint() string {
	return "check the network and the app's status; run again later (nothing is lost)"
}

// StopsRun reports true: other documents would meet the same outage.
func (e *OutageError) StopsRun() bool { return true }

// breaker notices an outage (many transient failures in a row) and then
// stops every worker from spending its retries: one caller probes, with a
// growing interval, while the others wait; the first success lets them all
// go on.
type breaker struct {
	policy OutagePolicy

	mu       sync.Mutex
	fails    int
	down     bool
	since    time.Time
	last     error
	probing  bool
	interval time.Duration
	up       chan struct{} // closed when the outage ends
}

func newBreaker(p OutagePolicy) *breaker {
	if p.Threshold <= 0 {
		p.Threshold = DefaultOutageThreshold
	}
	if p.GiveUp == 0 {
		p.GiveUp = DefaultOutageGiveUp
	}
	return &breaker{policy: p}
}

// do runs fn, or waits out an outage first.
func (b *breaker) do(ctx context.Context, fn func() error) error {
	for {
		b.mu.Lock()
		if !b.down {
			b.mu.Unlock()
			err := fn()
			b.record(err)
			return err
		}
		if b.policy.GiveUp > 0 && time.Since(b.since) > b.policy.GiveUp {
			err := &OutageError{Since: b.since, Last: b.last}
			b.mu.Unlock()
			return err
		}
		if !b.probing {
			b.probing = true
			wait := b.interval
			b.mu.Unlock()
			if err := sleep(ctx, wait); err != nil {
				b.endProbe(false, err)
				return err
			}
			err := fn()
			b.record(err)
			b.endProbe(err == nil || !IsTransient(err), err)
			if err == nil || !IsTransient(err) {
				return err
			}
			continue
		}
		up := b.up
		b.mu.Unlock()
		select {
		case <-up:
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second): // to check the give-up time
		}
	}
}

// record counts consecutive transient failures; enough of them open an outage.
func (b *breaker) record(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err == nil || !IsTransient(err) {
		b.fails = 0
		return
	}
	b.fails++
	b.last = err
	if !b.down && b.fails >= b.policy.Threshold {
		b.down, b.since, b.interval, b.up = true, time.Now(), time.Second, make(chan struct{})
	}
}

func (b *breaker) endProbe(ok bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	if ok && b.down {
		b.down, b.fails = false, 0
		close(b.up)
		return
	}
	b.interval = min(b.interval*2, maxProbeInterval)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// guardedAPI sends every API call through the breaker.
type guardedAPI struct {
	api API
	b   *breaker
}

func (g *guardedAPI) UploadSlot(ctx context.Context, r lanying.SlotRequest) (s *lanying.UploadSlot, err error) {
	err = g.b.do(ctx, func() error { s, err = g.api.UploadSlot(ctx, r); return err })
	return s, err
}

func (g *guardedAPI) SendFile(ctx context.Context, m lanying.FileMessage) error {
	return g.b.do(ctx, func() error { return g.api.SendFile(ctx, m) })
}

func (g *guardedAPI) SendLink(ctx context.Context, m lanying.LinkMessage) error {
	return g.b.do(ctx, func() error { return g.api.SendLink(ctx, m) })
}

// guardedUploader sends every upload through the breaker.
type guardedUploader struct {
	up Uploader
	b  *breaker
}

func (g *guardedUploader) Upload(ctx context.Context, t uploader.Target, c uploader.Content) (r uploader.Result, err error) {
	err = g.b.do(ctx, func() error { r, err = g.up.Upload(ctx, t, c); return err })
	return r, err
}
