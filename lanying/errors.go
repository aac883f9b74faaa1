package lanying

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Class says what a run should do with a failed call.
type Class int

const (
	// ClassDocument: this document fails; the run goes on with the others.
	ClassDocument Class = iota
	// ClassTransient: the call may succeed later; retry with backoff.
	ClassTransient
	// ClassFatal: configuration is wrong (token, app, user); stop the run.
	ClassFatal
)

func (c Class) String() string {
	switch c {
	case ClassTransient:
		return "transient"
	case ClassFatal:
		return "fatal"
	default:
		return "document"
	}
}

// Business error codes the platform returns with HTTP 200 (the full table
// is in the server API guide; these are the ones that change what a run does).
const (
	CodeOK                = 200
	CodeUserNotFound      = 10000
	CodeBadParameter      = 10002
	CodeTokenMissing      = 10003
	CodeTokenInvalid      = 10008
	CodeOSSException      = 10009
	CodeNoPermission      = 10010
	CodeDatabaseException = 20000
	CodeLicenceInvalid    = 30021
	CodeLicenceExpired    = 30022
	CodeLicenceExceeded   = 30023
	CodeAppNotFound       = 40000
)

type codeInfo struct {
	class Class
	text  string
	hint  string
}

// codes is the one place that maps a business code to its meaning for a run.
var codes = map[int]codeInfo{
	CodeUserNotFound: {ClassFatal, "user does not exist",
		"check admin_user_id (LANYING_ADMIN_USER_ID) and chatbot_id (LANYING_CHATBOT_ID): both must be user ids of this app"},
	CodeBadParameter: {ClassDocument, "bad request parameter", ""},
	CodeTokenMissing: {ClassFatal, "access-token missing",
		"set LANYING_ACCESS_TOKEN or lanying.access_token in the config to an app admin token"},
	CodeTokenInvalid: {ClassFatal, "access-token invalid",
		"the admin access token is wrong or has expired: create one in the Lanying console and set LANYING_ACCESS_TOKEN"},
	CodeOSSException: {ClassTransient, "object storage exception", ""},
	CodeNoPermission: {ClassFatal, "user has no permission",
		"admin_user_id must be a knowledge-base admin of the chatbot and the token an app admin token"},
	CodeDatabaseException: {ClassTransient, "server database exception", ""},
	CodeLicenceInvalid:    {ClassFatal, "licence invalid", "the app's licence is invalid: check it in the Lanying console"},
	CodeLicenceExpired:    {ClassFatal, "licence expired", "the app's licence has expired: renew it in the Lanying console"},
	CodeLicenceExceeded:   {ClassFatal, "licence limit exceeded", "the app has exceeded its licence: upgrade it in the Lanying console"},
	CodeAppNotFound: {ClassFatal, "app_id does not exist",
		"check app_id (LANYING_APP_ID) and that api_endpoint is this app's endpoint"},
}

// APIError is a failed Lanying API call: a business error (HTTP 200 with a
// code other than 200), an HTTP error status, or a response that is not the
// API's JSON. It never holds request headers, so it never holds the token.
type APIError struct {
	Op         string        // what was being done, e.g. "upload slot"
	HTTPStatus int           // the HTTP status of the response
	Code       int           // the business code; 0 when there was none
	Message    string        // the platform's message, or a summary of the body
	RetryAfter time.Duration // from a Retry-After header, when present
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	b.WriteString(": ")
	switch {
	case e.Code != 0:
		fmt.Fprintf(&b, "code %d", e.Code)
		if info, ok := codes[e.Code]; ok && !strings.EqualFold(info.text, e.Message) {
			fmt.Fprintf(&b, " (%s)", info.text)
		}
	default:
		fmt.Fprintf(&b, "HTTP %d", e.HTTPStatus)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Class tells whether the error is transient, fatal or limited to one document.
func (e *APIError) Class() Class {
	if e.Code != 0 {
		if info, ok := codes[e.Code]; ok {
			return info.class
		}
		return ClassDocument
	}
	switch s := e.HTTPStatus; {
	case s == http.StatusTooManyRequests, s == http.StatusRequestTimeout, s >= 500:
		return ClassTransient
	case s == http.StatusUnauthorized, s == http.StatusForbidden, s == http.StatusNotFound:
		return ClassFatal
	case s >= 200 && s < 300:
		// A 2xx whose body is not the API's JSON: a proxy or a cut reply.
		return ClassTransient
	default:
		return ClassDocument
	}
}

// Transient reports whether retrying the call may succeed.
func (e *APIError) Transient() bool { return e.Class() == ClassTransient }

// Fatal reports whether the run must stop: retrying or going on with other
// documents cannot succeed.
func (e *APIError) Fatal() bool { return e.Class() == ClassFatal }

// RetryDelay is the server's requested wait (Retry-After), or 0.
func (e *APIError) RetryDelay() time.Duration { return e.RetryAfter }

// Hint says what a person can do about the error, or "".
func (e *APIError) Hint() string {
	if info, ok := codes[e.Code]; ok && info.hint != "" {
		return info.hint
	}
	switch s := e.HTTPStatus; {
	case e.Code != 0:
		return ""
	case s == http.StatusNotFound:
		return "api_endpoint does not serve the Lanying API: use the endpoint shown for the app in the Lanying console"
	case s == http.StatusUnauthorized, s == http.StatusForbidden:
		return "the endpoint refused the credentials: check app_id and the access token"
	case s >= 200 && s < 300:
		return "the reply was not the API's JSON: check that api_endpoint is the app's API endpoint and not a web page or proxy"
	}
	return ""
}

// TransportError is a call that got no usable HTTP response (connection
// refused or reset, timeout, TLS failure).
type TransportError struct {
	Op  string
	Err error
}

func (e *TransportError) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *TransportError) Unwrap() error { return e.Err }

// Transient reports whether the failure may go away: everything but a
// certificate that does not verify.
func (e *TransportError) Transient() bool { return !e.Fatal() }

// Fatal reports a TLS verification failure, which no retry can fix.
func (e *TransportError) Fatal() bool {
	var verify *tls.CertificateVerificationError
	var authority x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(e.Err, &verify) || errors.As(e.Err, &authority) ||
		errors.As(e.Err, &host) || errors.As(e.Err, &invalid)
}

// Hint says what to do about a transport failure.
func (e *TransportError) Hint() string {
	if e.Fatal() {
		return "the endpoint's TLS certificate does not verify: check api_endpoint, or add your CA to the system's trust store"
	}
	return "check the network and that api_endpoint is reachable from this machine"
}

// ClassOf classifies any error returned by this package.
func ClassOf(err error) Class {
	var api *APIError
	if errors.As(err, &api) {
		return api.Class()
	}
	var tr *TransportError
	if errors.As(err, &tr) {
		if tr.Fatal() {
			return ClassFatal
		}
		return ClassTransient
	}
	return ClassDocument
}
