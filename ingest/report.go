package ingest

import (
	"sync"
	"time"
)

// Result is how one document ended.
type Result struct {
	Source   string
	Key      string
	Name     string
	Outcome  Outcome
	Reason   Reason // why skipped or failed ("" when sent)
	Detail   string // words for a skip
	Err      error  // the failure
	Bytes    int64  // bytes uploaded (0 for links and unsent documents)
	Attempts int    // API attempts spent on the document
	Elapsed  time.Duration
}

// Observer sees a run as it happens (progress bars, log lines, metrics).
// Its methods are called from several goroutines.
type Observer interface {
	// Found is called when the source yields a document.
	Found(doc *Document)
	// Done is called once per document when it has ended.
	Done(r Result)
}

// Counts are documents by outcome.
type Counts struct {
	Sent      int `json:"sent"`
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"`
	Failed    int `json:"failed"`
	Deleted   int `json:"deleted"`
}

// Summary is what a run did. Safe for concurrent use while the run goes on.
type Summary struct {
	mu      sync.Mutex
	Counts  Counts
	Bytes   int64
	Failed  []Result
	Skipped []Result
	Sent    []Result // only with KeepSent (a dry run's plan)
	// KeepSent keeps the results of sent documents too.
	KeepSent bool
	// Limit, when above 0, keeps only the latest Limit failed and skipped
	// results (a daemon must not grow with its events).
	Limit int
}

// Add counts a result.
func (s *Summary) Add(r Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch r.Outcome {
	case Sent:
		s.Counts.Sent++
		s.Bytes += r.Bytes
		if s.KeepSent {
			s.Sent = s.keep(s.Sent, r)
		}
	case Unchanged:
		s.Counts.Unchanged++
	case Skipped:
		s.Counts.Skipped++
		s.Skipped = s.keep(s.Skipped, r)
	case Failed:
		s.Counts.Failed++
		s.Failed = s.keep(s.Failed, r)
	case Deleted:
		s.Counts.Deleted++
	}
}

func (s *Summary) keep(list []Result, r Result) []Result {
	list = append(list, r)
	if s.Limit > 0 && len(list) > s.Limit {
		n := copy(list, list[len(list)-s.Limit:])
		list = list[:n]
	}
	return list
}

// Merge adds another summary's counts and results to s.
func (s *Summary) Merge(o *Summary) {
	o.mu.Lock()
	counts, bytes := o.Counts, o.Bytes
	failed, skipped, sent := append([]Result(nil), o.Failed...), append([]Result(nil), o.Skipped...), append([]Result(nil), o.Sent...)
	o.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Counts.Sent += counts.Sent
	s.Counts.Unchanged += counts.Unchanged
	s.Counts.Skipped += counts.Skipped
	s.Counts.Failed += counts.Failed
	s.Counts.Deleted += counts.Deleted
	s.Bytes += bytes
	s.Failed = append(s.Failed, failed...)
	s.Skipped = append(s.Skipped, skipped...)
	s.Sent = append(s.Sent, sent...)
}

// Snapshot returns a copy of the counts and bytes so far.
func (s *Summary) Snapshot() (Counts, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Counts, s.Bytes
}
