// Package uploader streams a file's bytes to an upload slot of object
// storage: a multipart POST (OSS PostObject, S3 POST Object) or a presigned
// PUT. Bodies have an exact Content-Length (storage refuses chunked
// uploads), use constant memory whatever the file size, and can be rebuilt
// from the start (GetBody) for redirects and retries.
package uploader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/time/rate"
)

// Field is one form field (POST) or header (PUT) required by the slot.
type Field struct {
	Name  string
	Value string
}

// Target is where the bytes go.
type Target struct {
	URL    string
	Method string  // http.MethodPost (multipart form) or http.MethodPut (raw bytes)
	Fields []Field // sent in this order, unchanged
}

// Content is the file to send. Open must return a fresh reader positioned
// at the start on every call; it is called once per request attempt.
type Content struct {
	Name string // the file name given in the file part
	Type string // the content type of the file part; "" means application/octet-stream
	Size int64  // the exact number of bytes Open's reader yields
	Open func() (io.ReadCloser, error)
}

// Result describes a successful upload.
type Result struct {
	Status  int    // the storage's 2xx status
	Warning string // set when the object was stored but something failed (203 CallbackFailed)
}

// Uploader sends contents to targets with one HTTP client.
type Uploader struct {
	hc  *http.Client
	lim *rate.Limiter // shared upload bandwidth; nil for none
}

// Option configures an Uploader.
type Option func(*Uploader)

// WithBandwidth limits the bytes per second of all uploads together.
func WithBandwidth(bytesPerSecond int64) Option {
	return func(u *Uploader) {
		if bytesPerSecond > 0 {
			burst := int(max(bytesPerSecond/10, 32<<10))
			u.lim = rate.NewLimiter(rate.Limit(bytesPerSecond), burst)
		}
	}
}

// New returns an uploader that uses hc (http.DefaultClient when nil).
func New(hc *http.Client, opts ...Option) *Uploader {
	if hc == nil {
		hc = http.DefaultClient
	}
	u := &Uploader{hc: hc}
	for _, o := range opts {
		o(u)
	}
	return u
}

// Upload sends c to t once. Errors are *StorageError (the storage answered
// with an error), *SourceError (the content could not be read whole) or
// *TransferError (no answer).
func (u *Uploader) Upload(ctx context.Context, t Target, c Content) (Result, error) {
	if c.Size < 0 || c.Open == nil {
		return Result{}, errors.New("upload: content needs a size and an Open function")
	}
	if u.lim != nil {
		open := c.Open
		c.Open = func() (io.ReadCloser, error) {
			rc, err := open()
			if err != nil {
				return nil, err
			}
			return &throttled{rc: rc, lim: u.lim, ctx: ctx}, nil
		}
	}
	var req *http.Request
	var err error
	src := &sourceState{}
	switch strings.ToUpper(t.Method) {
	case http.MethodPost, "":
		req, err = newPostRequest(ctx, t, c, src)
	case http.MethodPut:
		req, err = newPutRequest(ctx, t, c, src)
	default:
		return Result{}, fmt.Errorf("upload: unsupported upload method %q", t.Method)
	}
	if err != nil {
		return Result{}, err
	}
	return u.do(req, c.Name, src)
}

func (u *Uploader) do(req *http.Request, name string, src *sourceState) (Result, error) {
	resp, err := u.hc.Do(req)
	if err != nil {
		// A failure to read the content is the document's fault, not the
		// network's, whatever the transport made of it.
		if serr := src.get(); serr != nil {
			return Result{}, serr
		}
		if req.Context().Err() != nil {
			return Result{}, fmt.Errorf("upload %s: %w", name, req.Context().Err())
		}
		return Result{}, &TransferError{Name: name, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return Result{}, parseStorageError(resp)
	}
	res := Result{Status: resp.StatusCode}
	if resp.StatusCode == http.StatusNonAuthoritativeInfo {
		se := parseStorageError(resp)
		res.Warning = "stored, but the storage's callback failed: " + se.Error()
	} else {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	}
	return res, nil
}

// sourceState keeps the first error met while reading the content, so that
// it can be told apart from a network failure.
type sourceState struct {
	mu  sync.Mutex
	err *SourceError
}

func (s *sourceState) set(e *SourceError) *SourceError {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		s.err = e
	}
	return e
}

func (s *sourceState) get() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err == nil {
		return nil
	}
	return s.err
}

// exactReader yields exactly n bytes of r, or a *SourceError.
type exactReader struct {
	r     io.ReadCloser
	name  string
	left  int64
	state *sourceState
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.left {
		p = p[:e.left]
	}
	n, err := e.r.Read(p)
	e.left -= int64(n)
	switch {
	case err == io.EOF && e.left > 0:
		return n, e.state.set(&SourceError{Name: e.name, Err: fmt.Errorf("content ended %d bytes early: it shrank while being sent", e.left)})
	case err != nil && err != io.EOF:
		return n, e.state.set(&SourceError{Name: e.name, Err: err})
	case e.left == 0:
		return n, io.EOF
	}
	return n, nil
}

func (e *exactReader) Close() error { return e.r.Close() }

// throttled paces reads to the shared bandwidth limit.
type throttled struct {
	rc  io.ReadCloser
	lim *rate.Limiter
	ctx context.Context
}

func (t *throttled) Read(p []byte) (int, error) {
	if len(p) > t.lim.Burst() {
		p = p[:t.lim.Burst()]
	}
	n, err := t.rc.Read(p)
	if n > 0 {
		if werr := t.lim.WaitN(t.ctx, n); werr != nil && err == nil {
			err = werr
		}
	}
	return n, err
}

func (t *throttled) Close() error { return t.rc.Close() }

func openExact(c Content, state *sourceState) (*exactReader, error) {
	rc, err := c.Open()
	if err != nil {
		return nil, state.set(&SourceError{Name: c.Name, Err: err})
	}
	return &exactReader{r: rc, name: c.Name, left: c.Size, state: state}, nil
}
