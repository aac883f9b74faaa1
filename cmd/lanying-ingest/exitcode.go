package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/state"
)

// Exit codes.
const (
	exitOK     = 0 // every document sent, unchanged or skipped by a rule
	exitFailed = 1 // at least one document failed, or the run was interrupted
	exitConfig = 2 // usage or configuration error, or a fatal API error
	exitLocked = 3 // another run holds the state database
)

// errDocumentsFailed ends a run in which some documents failed; their
// errors are in the summary already.
var errDocumentsFailed = errors.New("some documents failed")

// usageError is a mistake on the command line or in the configuration.
type usageError struct {
	err  error
	hint string
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }
func (e *usageError) Hint() string {
	if e.hint != "" {
		return e.hint
	}
	return ingest.Hint(e.err)
}

func usageErr(err error, hint string) error { return &usageError{err: err, hint: hint} }

// exitCode maps the error a command returned to the process's exit code.
// It is the only place that does.
func exitCode(err error) int {
	var ue *usageError
	var locked *state.LockedError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &locked):
		return exitLocked
	case errors.As(err, &ue), ingest.IsFatal(err):
		return exitConfig
	default:
		return exitFailed
	}
}

// printError writes the error a command ended with, and its hint.
func printError(w io.Writer, err error) {
	if errors.Is(err, errDocumentsFailed) {
		return // the summary has said which and why
	}
	msg := err.Error()
	if errors.Is(err, context.Canceled) {
		msg = "interrupted: run the same command again to resume"
	}
	fmt.Fprintf(w, "lanying-ingest: %s\n", strings.TrimPrefix(msg, "lanying-ingest: "))
	if h := ingest.Hint(err); h != "" {
		fmt.Fprintf(w, "hint: %s\n", h)
	}
}
