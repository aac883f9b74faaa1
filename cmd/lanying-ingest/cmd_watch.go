package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanyingim/lanying-ingest/cmd/lanying-ingest/internal/config"
	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/watch"
)

// watchOptions are the flags of watch.
type watchOptions struct {
	runOptions
	settle time.Duration
	rescan time.Duration
	grace  time.Duration
	listen string
}

func (o *watchOptions) register(cmd *cobra.Command) {
	o.runOptions.register(cmd)
	f := cmd.Flags()
	f.DurationVar(&o.settle, "settle", watch.DefaultSettle, "a changed file is sent once its size and mtime have not moved for this long")
	f.DurationVar(&o.rescan, "rescan", watch.DefaultRescan, "period of the full pass that catches what events missed")
	f.DurationVar(&o.grace, "grace", 30*time.Second, "on SIGINT/SIGTERM, how long deliveries in flight may take to finish")
	f.StringVar(&o.listen, "listen", "", "serve /healthz and Prometheus /metrics on this address, e.g. 127.0.0.1:9090 (off by default)")
}

func newWatchCommand(g *globals) *cobra.Command {
	o := &watchOptions{}
	cmd := &cobra.Command{
		Use:   "watch [flags] [PATH ...]",
		Short: "Sync folders, then keep them in sync as files change",
		Long: `watch syncs each PATH (or the configuration's sources) like sync, then follows
the folders through filesystem events, and reads websites and buckets again
every interval (a source's interval:, by default 1h for sites and 5m for
buckets): a file saved, replaced, renamed, moved
in or deleted reaches the chatbot (or the state) within about a second. A
file is sent once its size and modification time have been stable for
--settle, so a file still being written is never sent early. A full pass
every --rescan catches what events missed (network filesystems, overflowed
event queues). Failed documents are retried with a growing delay.

SIGINT or SIGTERM stops taking new work, lets deliveries in flight finish
(up to --grace) and exits 0; a second signal exits at once.`,
		Example: `  # try it on the emulator, then drop files into ./docs
  lanying-ingest watch ./docs

  # as a service, with health and metrics for Prometheus
  lanying-ingest watch --config /etc/lanying-ingest.yaml --listen 127.0.0.1:9090`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWatch(cmd.Context(), o, g, args)
		},
	}
	o.register(cmd)
	return cmd
}

func runWatch(ctx context.Context, o *watchOptions, g *globals, paths []string) error {
	sess, err := o.open(context.WithoutCancel(ctx), g, paths)
	if err != nil {
		return err
	}
	defer sess.close()
	m := newMetrics()
	ui := newProgress(g, false)
	a := sess.app
	// One daemon (one pool of workers) per chatbot; all share the API rate.
	var daemons []*watch.Daemon
	for _, group := range byTarget(sess.folders) {
		var folders []watch.Folder
		var pollers []watch.Poller
		for _, f := range group {
			if f.dir != nil {
				folders = append(folders, f.dir)
				continue
			}
			pollers = append(pollers, watch.Poller{Source: f.src, Interval: pollInterval(f.spec)})
		}
		target := group[0].target
		daemons = append(daemons, watch.New(folders, pollers, a.api, a.up, sess.store, target, sess.syncerOptions(nil, -1), watch.Options{
			Settle: o.settle, Rescan: o.rescan, Logger: g.logger, Observer: observers{ui, m},
			OnPoll: func(p watch.Poll) {
				m.polled(p)
				errText := ""
				if p.Err != nil {
					errText = p.Err.Error()
				}
				if err := sess.store.RecordPoll(context.Background(), target.ID, p.Source, p.Started, p.Ended, p.Next, errText); err != nil {
					g.logger.Warn("recording a poll failed", "source", p.Source, "error", err)
				}
			},
		}))
	}
	m.depth(func() int {
		n := 0
		for _, d := range daemons {
			n += d.Depth()
		}
		return n
	})
	if o.listen != "" {
		stopHTTP, err := serveMetrics(o.listen, m, g)
		if err != nil {
			return err
		}
		defer stopHTTP()
	}
	g.logger.Info("watching", "folders", len(sess.folders), "chatbots", len(daemons), "state", sess.statePath, "settle", o.settle, "rescan", o.rescan)
	// stop ends at the first signal (or a fatal error): stop taking work.
	// Deliveries in flight get the grace period, then their context ends.
	stop, stopAll := context.WithCancel(ctx)
	defer stopAll()
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	go func() {
		<-stop.Done()
		g.logger.Info("stopping: no new work; letting deliveries in flight finish", "grace", o.grace)
		time.AfterFunc(o.grace, cancelWork)
	}()
	sum := &ingest.Summary{Limit: 1000}
	errs := make(chan error, len(daemons))
	for _, d := range daemons {
		go func() {
			err := d.Run(work, stop.Done(), sum)
			if err != nil {
				stopAll() // a fatal error stops every daemon
			}
			errs <- err
		}()
	}
	for range daemons {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	if errors.Is(err, context.Canceled) {
		err = nil // the grace period ran out; what did not finish is resent later
	}
	c, bytes := sum.Snapshot()
	g.logger.Info("stopped", "sent", c.Sent, "unchanged", c.Unchanged, "skipped", c.Skipped, "failed", c.Failed,
		"deleted", c.Deleted, "bytes", bytes)
	return err
}

// Default polling intervals of sources without filesystem events.
const (
	defaultWebInterval = time.Hour
	defaultS3Interval  = 5 * time.Minute
)

func pollInterval(s config.Source) time.Duration {
	switch {
	case s.Interval > 0:
		return time.Duration(s.Interval)
	case s.Type == "web":
		return defaultWebInterval
	default:
		return defaultS3Interval
	}
}

// byTarget groups folders by the chatbot they go to, in their order.
func byTarget(folders []folder) [][]folder {
	var groups [][]folder
	index := map[string]int{}
	for _, f := range folders {
		i, ok := index[f.target.ID]
		if !ok {
			i = len(groups)
			index[f.target.ID] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], f)
	}
	return groups
}

// observers passes every event to each of its members.
type observers []ingest.Observer

func (os observers) Found(d *ingest.Document) {
	for _, o := range os {
		o.Found(d)
	}
}

func (os observers) Done(r ingest.Result) {
	for _, o := range os {
		o.Done(r)
	}
}

// serveMetrics serves /healthz and /metrics until the returned func is called.
func serveMetrics(addr string, m *metrics, g *globals) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--listen %s: %w", addr, err), "choose another address")
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.handler())
	mux.HandleFunc("GET /healthz", m.healthz)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	g.logger.Info("serving health and metrics", "addr", "http://"+ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}
