package watch

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/meta"
)

// Folder is what the daemon needs of a folder source.
type Folder interface {
	ingest.Source
	// Document is the document at key as it is now (Gone if nothing is there).
	Document(key string) ingest.Document
	// Documents yields the documents at key: one, or a link file's pages.
	Documents(ctx context.Context, key string, yield func(ingest.Document) error) error
	// WalkTree walks the directory at key ("" for all) once, calling onDir
	// for every directory entered and yield for every document; either
	// may be nil.
	WalkTree(ctx context.Context, key string, onDir func(abs, key string) error, yield func(ingest.Document) error) error
}

// Defaults of Options.
const (
	DefaultSettle    = 300 * time.Millisecond
	DefaultRescan    = 10 * time.Minute
	DefaultRetryBase = 30 * time.Second
	DefaultRetryMax  = 30 * time.Minute
)

// Options tune a Daemon.
type Options struct {
	Settle    time.Duration   // quiet period before a changed file is sent
	Rescan    time.Duration   // period of the full pass (backstop for missed events)
	RetryBase time.Duration   // first delay before a failed document is tried again
	RetryMax  time.Duration   // longest such delay
	Logger    *slog.Logger    // events worth a person's attention
	Observer  ingest.Observer // every result, for logs and metrics; may be nil
	OnPoll    func(Poll)      // after each reading of a polled source; may be nil
}

// Daemon keeps folders (by events) and polled sources (by interval) in
// sync with one Syncer.
type Daemon struct {
	folders []Folder
	pollers []Poller
	syncer  *ingest.Syncer
	store   ingest.Store
	target  string
	opts    Options

	feed    *feed
	tree    *tree
	settler *settler
	rescanC chan struct{}

	mu      sync.Mutex
	retries map[string]int // failed runs in a row, by feed id
}

// New returns a daemon that delivers the folders' documents to target
// through one Syncer (one pool of workers); sopts.Observer is replaced
// by the daemon, which passes every result on to opts.Observer.
func New(folders []Folder, pollers []Poller, api ingest.API, up ingest.Uploader, store ingest.Store, target ingest.Target, sopts ingest.Options, opts Options) *Daemon {
	if opts.Settle <= 0 {
		opts.Settle = DefaultSettle
	}
	if opts.Rescan <= 0 {
		opts.Rescan = DefaultRescan
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = DefaultRetryBase
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = DefaultRetryMax
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Daemon{folders: folders, pollers: pollers, store: store, target: target.ID, opts: opts,
		rescanC: make(chan struct{}, 1), retries: map[string]int{}}
	sopts.Observer = d
	sopts.PrehashNew = true // renames are common here: they should cost no upload
	d.syncer = ingest.NewSyncer(api, up, store, target, sopts)
	return d
}

// Depth is the number of documents waiting for a worker and paths
// waiting to settle.
func (d *Daemon) Depth() int {
	n := 0
	if d.feed != nil {
		n += d.feed.depth()
	}
	if d.settler != nil {
		n += d.settler.size()
	}
	return n
}

// Run syncs, then follows changes until stop is closed; in-flight
// deliveries then finish unless ctx ends first. sum collects results. It
// returns a *ingest.FatalError when the run had to stop.
func (d *Daemon) Run(ctx context.Context, stop <-chan struct{}, sum *ingest.Summary) error {
	parts := make([]ingest.Source, 0, len(d.folders)+len(d.pollers))
	for _, f := range d.folders {
		parts = append(parts, f)
	}
	for _, p := range d.pollers {
		parts = append(parts, p.Source)
	}
	d.feed = newFeed(parts, stop)
	t, err := newTree(d.opts.Logger)
	if err != nil {
		return err
	}
	d.tree = t
	defer t.close()
	d.settler = newSettler(d.opts.Settle, d.settled)
	defer d.settler.close()
	// Watch first, then walk: nothing changed in between is missed.
	for i, f := range d.folders {
		if err := f.WalkTree(ctx, "", func(abs, key string) error { t.add(i, abs, key); return nil }, nil); err != nil {
			return &ingest.FatalError{Err: err}
		}
	}
	done := make(chan error, 1)
	go func() { done <- d.syncer.Run(ctx, d.feed, sum) }()
	go d.pass(ctx, stop)
	for _, p := range d.pollers {
		go d.poll(ctx, stop, p)
	}
	return d.loop(ctx, stop, done)
}

func (d *Daemon) loop(ctx context.Context, stop <-chan struct{}, done <-chan error) error {
	ticker := time.NewTicker(d.opts.Rescan)
	defer ticker.Stop()
	for {
		select {
		case ev, ok := <-d.tree.w.Events:
			if ok {
				d.event(ev)
			}
		case err, ok := <-d.tree.w.Errors:
			if ok {
				d.watchError(err)
			}
		case <-ticker.C:
			go d.pass(ctx, stop)
		case <-d.rescanC:
			go d.pass(ctx, stop)
		case err := <-done:
			return err
		case <-stop:
			d.settler.close()
			return <-done // in-flight deliveries finish
		}
	}
}

func (d *Daemon) event(ev fsnotify.Event) {
	if strings.HasPrefix(filepath.Base(ev.Name), ".") || ev.Op == fsnotify.Chmod {
		return // hidden files (editors' swap files) and attribute changes
	}
	d.settler.touch(ev.Name)
}

func (d *Daemon) watchError(err error) {
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		d.opts.Logger.Warn("filesystem events were lost (the kernel's queue overflowed); a full pass runs now",
			"hint", "raise it: sysctl fs.inotify.max_queued_events=65536")
		select {
		case d.rescanC <- struct{}{}:
		default:
		}
		return
	}
	d.opts.Logger.Warn("filesystem watch error; the periodic pass covers it", "error", err)
}

// settled handles a path whose events have stopped.
func (d *Daemon) settled(abs string, sig signature) {
	ref, isDir, ok := d.tree.locate(abs)
	if !ok {
		return
	}
	f := d.folders[ref.src]
	key := ref.key
	switch {
	case sig.exists && sig.dir && !isDir:
		d.dirAppeared(ref.src, key) // created or moved in
	case !sig.exists && isDir:
		if key == "" {
			d.opts.Logger.Error("the watched folder itself is gone", "folder", abs)
			return
		}
		d.tree.forget(abs)
		d.later(abs, ref, true)
	case sig.dir:
	default:
		key = strings.TrimSuffix(key, meta.SidecarSuffix) // a sidecar changes its document
		if doc := f.Document(key); doc.Gone {
			d.later(abs, dirRef{src: ref.src, key: key}, false)
		} else {
			d.pushAll(f, key)
		}
	}
}

// later looks at a vanished path again after one more quiet period, so
// that the other half of a rename (the new name, which settles at the
// same time) moves the record first, and a path that came back is sent
// rather than recorded as deleted.
func (d *Daemon) later(abs string, ref dirRef, wasDir bool) {
	f := d.folders[ref.src]
	time.AfterFunc(d.opts.Settle, func() {
		switch sig := look(abs); {
		case wasDir && sig.exists && sig.dir:
			d.dirAppeared(ref.src, ref.key)
		case wasDir:
			d.feed.push(f.ID(), ingest.Document{Key: ref.key + "/", Gone: true})
		default:
			d.pushAll(f, ref.key)
		}
	})
}

// pushAll queues the documents at key: one, or a link file's pages.
func (d *Daemon) pushAll(f Folder, key string) {
	_ = f.Documents(context.Background(), key, func(doc ingest.Document) error {
		d.feed.push(f.ID(), doc)
		return nil
	})
}

// dirAppeared watches a new directory and sends what is in it.
func (d *Daemon) dirAppeared(src int, key string) {
	f := d.folders[src]
	ctx := context.Background()
	_ = f.WalkTree(ctx, key, func(abs, k string) error { d.tree.add(src, abs, k); return nil },
		func(doc ingest.Document) error { d.feed.push(f.ID(), doc); return nil })
}

// pass walks every folder (the initial sync and the periodic backstop)
// and records what left them while nobody was looking.
func (d *Daemon) pass(ctx context.Context, stop <-chan struct{}) {
	for i, f := range d.folders {
		// One walk: directories missed by events get watched, documents queued.
		err := f.WalkTree(ctx, "", func(abs, key string) error { d.tree.add(i, abs, key); return nil }, func(doc ingest.Document) error {
			select {
			case <-stop:
				return context.Canceled
			default:
			}
			d.feed.push(f.ID(), doc)
			return nil
		})
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				d.opts.Logger.Error("full pass failed", "folder", f.ID(), "error", err, "hint", ingest.Hint(err))
			}
			continue
		}
		d.sweep(ctx, f)
	}
}

// sweep records documents of f's state that are no longer in the folder.
func (d *Daemon) sweep(ctx context.Context, f Folder) {
	ex, ok := f.(ingest.Exister)
	if !ok {
		return
	}
	_ = d.store.List(ctx, d.target, f.ID(), "", func(rec ingest.Record) error {
		if rec.State == ingest.StateDeleted {
			return nil
		}
		if exists, err := ex.Exists(ctx, rec.Key); err == nil && !exists {
			d.feed.push(f.ID(), ingest.Document{Key: rec.Key, Gone: true})
		}
		return nil
	})
}

// Found passes to the observer.
func (d *Daemon) Found(doc *ingest.Document) {
	if d.opts.Observer != nil {
		d.opts.Observer.Found(doc)
	}
}

// Done ends the document's flight, schedules a retry of a failure, and
// passes the result on.
func (d *Daemon) Done(r ingest.Result) {
	d.feed.done(r.Source, r.Key)
	d.scheduleRetry(r)
	if d.opts.Observer != nil {
		d.opts.Observer.Done(r)
	}
}

// scheduleRetry tries a failed document again after a growing delay
// (exponential with jitter, up to RetryMax): never a hot loop, and an
// outage of any length loses nothing (the periodic pass retries too).
func (d *Daemon) scheduleRetry(r ingest.Result) {
	k := id(r.Source, r.Key)
	d.mu.Lock()
	defer d.mu.Unlock()
	if r.Outcome != ingest.Failed || ingest.IsFatal(r.Err) {
		delete(d.retries, k)
		return
	}
	d.retries[k]++
	delay := d.opts.RetryBase << min(d.retries[k]-1, 16)
	if delay > d.opts.RetryMax || delay <= 0 {
		delay = d.opts.RetryMax
	}
	delay = delay/2 + rand.N(delay/2+1)
	for _, f := range d.folders {
		if f.ID() == r.Source {
			key, _, _ := strings.Cut(r.Key, "#") // a link file's page comes back with its file
			time.AfterFunc(delay, func() { d.pushAll(f, key) })
		}
	}
	// A polled source's failed document comes back with its next poll.
}
