package uploader

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// StorageError is an error answer from object storage
// (<Error><Code>…</Code><Message>…</Message></Error>).
type StorageError struct {
	Status    int
	Code      string // e.g. AccessDenied, SignatureDoesNotMatch, EntityTooLarge
	Message   string
	RequestID string
}

func (e *StorageError) Error() string {
	s := fmt.Sprintf("upload: storage answered HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

// SlotRejected reports an error that resending the same form cannot fix but
// a fresh slot can: an expired policy, a failed condition, a bad signature.
func (e *StorageError) SlotRejected() bool {
	switch e.Code {
	case "AccessDenied", "SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidPolicyDocument", "RequestTimeTooSkewed":
		return true
	}
	return e.Status == http.StatusForbidden
}

// Transient reports whether a new attempt (with a fresh slot) may succeed.
func (e *StorageError) Transient() bool {
	switch {
	case e.Status >= 500, e.Status == http.StatusTooManyRequests, e.Status == http.StatusRequestTimeout:
		return true
	}
	return e.SlotRejected()
}

// Hint says what to do about the error.
func (e *StorageError) Hint() string {
	switch e.Code {
	case "EntityTooLarge":
		return "the file is larger than the upload slot allows: lower max_file_size or split the file"
	case "EntityTooSmall":
		return "the file is smaller than the upload slot allows"
	case "MissingContentLength":
		return "the request had no Content-Length: this is a bug in lanying-ingest, please report it"
	}
	if e.SlotRejected() {
		return "the upload slot was refused (expired or invalid); a fresh slot is requested on retry: check the machine's clock if this persists"
	}
	return ""
}

type xmlError struct {
	Code      string `xml:"Code"`
	Message   string `xml:"Message"`
	RequestID string `xml:"RequestId"`
}

func parseStorageError(resp *http.Response) *StorageError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &StorageError{Status: resp.StatusCode}
	var x xmlError
	if xml.Unmarshal(body, &x) == nil && x.Code != "" {
		e.Code, e.Message, e.RequestID = x.Code, x.Message, x.RequestID
		return e
	}
	e.Message = strings.Join(strings.Fields(string(body)), " ")
	if len(e.Message) > 200 {
		e.Message = e.Message[:200] + "…"
	}
	return e
}

// SourceError means the content could not be read as announced: the file
// vanished, could not be opened, or changed size while being sent.
type SourceError struct {
	Name string
	Err  error
}

func (e *SourceError) Error() string { return fmt.Sprintf("reading %s: %v", e.Name, e.Err) }
func (e *SourceError) Unwrap() error { return e.Err }

// TransferError is an upload that got no answer (connection refused or
// reset, timeout). It is transient.
type TransferError struct {
	Name string
	Err  error
}

func (e *TransferError) Error() string   { return fmt.Sprintf("upload %s: %v", e.Name, e.Err) }
func (e *TransferError) Unwrap() error   { return e.Err }
func (e *TransferError) Transient() bool { return true }
