package ingest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Errors classify themselves through these methods (lanying.APIError,
// lanying.TransportError, uploader.StorageError, uploader.TransferError).
type (
	transient interface{ Transient() bool }
	fatal     interface{ Fatal() bool }
	hinted    interface{ Hint() string }
	delayed   interface{ RetryDelay() time.Duration }
)

// IsFatal reports whether err must stop the whole run (bad token, unknown
// app, missing permission).
func IsFatal(err error) bool {
	var f fatal
	return errors.As(err, &f) && f.Fatal()
}

// IsTransient reports whether a new attempt may succeed.
func IsTransient(err error) bool {
	var t transient
	return errors.As(err, &t) && t.Transient()
}

// Hint returns what a person can do about err, or "".
func Hint(err error) string {
	var h hinted
	if errors.As(err, &h) {
		return h.Hint()
	}
	return ""
}

// DefaultAttempts is the number of tries per step for transient failures.
// With a fifth of all calls failing, ten tries leave one step in ten
// million failed; a real outage is caught by the breaker long before.
const DefaultAttempts = 10

// RetryPolicy bounds the retries of transient failures: exponential
// backoff with full jitter, at least the server's Retry-After.
type RetryPolicy struct {
	Attempts int           // tries in all, including the first (default 10)
	Base     time.Duration // first backoff ceiling (default 500 ms)
	Max      time.Duration // backoff ceiling (default 30 s)
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = DefaultAttempts
	}
	if p.Base <= 0 {
		p.Base = 500 * time.Millisecond
	}
	if p.Max <= 0 {
		p.Max = 30 * time.Second
	}
	return p
}

// ErrRetriesExhausted wraps the last error of an operation whose transient
// failures did not clear.
var ErrRetriesExhausted = errors.New("retries exhausted")

type exhaustedError struct {
	attempts int
	err      error
}

func (e *exhaustedError) Error() string {
	return fmt.Sprintf("%v (gave up after %d attempts)", e.err, e.attempts)
}
func (e *exhaustedError) Unwrap() []error {
	return []error{ErrRetriesExhausted, e.err}
}

// Do runs op until it succeeds, fails with an error that is not transient,
// runs out of attempts or ctx ends. Each attempt must start afresh (a new
// body, a new upload slot). It returns the number of attempts made.
func (p RetryPolicy) Do(ctx context.Context, op func(ctx context.Context) error) (int, error) {
	p = p.withDefaults()
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil || !IsTransient(err) || ctx.Err() != nil {
			return attempt, err
		}
		if attempt >= p.Attempts {
			return attempt, &exhaustedError{attempts: attempt, err: err}
		}
		t := time.NewTimer(p.delay(attempt, err))
		select {
		case <-ctx.Done():
			t.Stop()
			return attempt, err
		case <-t.C:
		}
	}
}

// delay is a full-jitter backoff for the attempt that just failed, but no
// less than the server asked for.
func (p RetryPolicy) delay(attempt int, err error) time.Duration {
	ceiling := p.Base << min(attempt-1, 20)
	if ceiling > p.Max || ceiling <= 0 {
		ceiling = p.Max
	}
	d := rand.N(ceiling) + 1
	var dl delayed
	if errors.As(err, &dl) && dl.RetryDelay() > d {
		d = min(dl.RetryDelay(), 5*p.Max)
	}
	return d
}
