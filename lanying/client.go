// Package lanying is a client for the parts of the Lanying IM server API
// that feed a chatbot's knowledge base: upload slots (/file/upload/chat),
// file messages and link messages (/message/send).
//
// Every call returns either its result or an error that is an *APIError (the
// platform answered, but not with success) or a *TransportError (no usable
// answer). Both classify themselves as transient, fatal or per-document.
// The access token is sent as a header and never appears in any error.
package lanying

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// minRedact is the shortest token that redact removes from text.
const minRedact = 6

// maxResponse bounds how much of a reply is read: API replies are small.
const maxResponse = 1 << 20

// Client talks to one Lanying app as its admin.
type Client struct {
	endpoint  *url.URL
	appID     string
	token     string
	hc        *http.Client
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (transport, timeouts, TLS roots).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// NewClient returns a client for the app appID at endpoint (for example
// https://s-1-3-s-api.maximtop.cn), authenticated with an admin token.
func NewClient(endpoint, appID, token string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(endpoint, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("api endpoint %q is not an http(s) URL", endpoint)
	}
	if appID == "" {
		return nil, errors.New("app_id is empty")
	}
	c := &Client{endpoint: u, appID: appID, token: token, hc: http.DefaultClient, userAgent: "lanying-ingest"}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// envelope is the shape of every API reply.
type envelope struct {
	Code    *int            `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// call does one request and decodes the reply's data into out (if not nil).
// userID, when not 0, is sent as the user_id header.
func (c *Client) call(ctx context.Context, op, method, path string, query url.Values, userID int64, body, out any) error {
	req, err := c.newRequest(ctx, method, path, query, body)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if userID != 0 {
		req.Header.Set("user_id", strconv.FormatInt(userID, 10))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", op, ctx.Err())
		}
		return &TransportError{Op: op, Err: c.redactErr(err)}
	}
	defer resp.Body.Close()
	data, err := c.CheckResponse(op, resp)
	if err != nil {
		return err
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return &APIError{Op: op, HTTPStatus: resp.StatusCode, Message: "reply data does not decode: " + err.Error()}
		}
	}
	return nil
}

func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body any) (*http.Request, error) {
	u := *c.endpoint
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawQuery = query.Encode()
	var rd io.Reader
	var buf []byte
	if body != nil {
		var err error
		if buf, err = json.Marshal(body); err != nil {
			return nil, err
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("app_id", c.appID)
	req.Header.Set("access-token", c.token)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// CheckResponse turns a reply into its data, or into an *APIError: an HTTP
// status other than 2xx, a body that is not the API's JSON envelope, or a
// business code other than 200. The reply body is read (up to 1 MiB) but
// not closed.
func (c *Client) CheckResponse(op string, resp *http.Response) (json.RawMessage, error) {
	raw, readErr := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	apiErr := &APIError{Op: op, HTTPStatus: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"))}
	var env envelope
	jsonErr := json.Unmarshal(raw, &env)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if jsonErr == nil && env.Code != nil && *env.Code != CodeOK {
			apiErr.Code = *env.Code
			apiErr.Message = c.redact(env.Message)
		} else {
			apiErr.Message = c.redact(snippet(raw))
		}
		return nil, apiErr
	}
	switch {
	case readErr != nil:
		apiErr.Message = "reply cut short: " + readErr.Error()
	case jsonErr != nil || env.Code == nil:
		apiErr.Message = "reply is not the API's JSON: " + c.redact(snippet(raw))
	case *env.Code != CodeOK:
		apiErr.Code = *env.Code
		apiErr.Message = c.redact(env.Message)
	default:
		return env.Data, nil
	}
	return nil, apiErr
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// snippet summarises a body for an error message: one line, at most 200 bytes.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// redact removes the token from text that came from elsewhere (a reply
// that echoes the request, an error from the transport). Tokens shorter
// than minRedact are not searched for: they would garble every message
// and no real token is that short.
func (c *Client) redact(s string) string {
	if len(c.token) < minRedact {
		return s
	}
	return strings.ReplaceAll(s, c.token, "[redacted]")
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

func (c *Client) redactErr(err error) error {
	if msg := c.redact(err.Error()); msg != err.Error() {
		return &redactedError{msg: msg, err: err}
	}
	return err
}
