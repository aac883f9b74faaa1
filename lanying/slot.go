package lanying

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Field is one form field of an upload slot, in the order the platform gave it.
type Field struct {
	Name  string
	Value string
}

// Fields is the ordered content of oss_body_param. The storage service checks
// the fields as the policy names them; their order is kept as received.
type Fields []Field

// UnmarshalJSON decodes a JSON object keeping its keys in order. Values
// that are not strings are kept as their JSON text.
func (f *Fields) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*f = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("oss_body_param is not a JSON object")
	}
	var out Fields
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("oss_body_param: %w", err)
		}
		name, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("oss_body_param %q: %w", name, err)
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		out = append(out, Field{Name: name, Value: s})
	}
	*f = out
	return nil
}

// UploadSlot is where one file's bytes go (FileUploadDto). A slot is
// single-use and its signed policy expires within minutes.
type UploadSlot struct {
	UploadURL    string `json:"upload_url"`
	UploadMethod string `json:"upload_method"`  // POST (multipart form) or PUT (presigned URL)
	Fields       Fields `json:"oss_body_param"` // form fields for POST, headers for PUT
	DownloadURL  string `json:"download_url"`   // goes into the file message
}

// SlotRequest names who uploads and to whom the file will be sent.
type SlotRequest struct {
	AdminUserID int64 // the knowledge-base admin, sent as the user_id header
	ChatbotID   int64 // the chatbot's user id (to_id)
}

// UploadSlot asks for a fresh slot for a chat file to the chatbot:
// GET /file/upload/chat?file_type=100&to_type=1&to_id={chatbot}.
func (c *Client) UploadSlot(ctx context.Context, r SlotRequest) (*UploadSlot, error) {
	const op = "upload slot"
	q := url.Values{}
	q.Set("file_type", "100") // a plain chat file
	q.Set("to_type", "1")     // to a user: the chatbot is a user
	q.Set("to_id", strconv.FormatInt(r.ChatbotID, 10))
	var slot UploadSlot
	if err := c.call(ctx, op, http.MethodGet, "/file/upload/chat", q, r.AdminUserID, nil, &slot); err != nil {
		return nil, err
	}
	if err := slot.validate(); err != nil {
		return nil, &APIError{Op: op, HTTPStatus: http.StatusOK, Message: err.Error()}
	}
	return &slot, nil
}

func (s *UploadSlot) validate() error {
	if s.UploadMethod == "" {
		s.UploadMethod = http.MethodPost
	}
	switch {
	case s.UploadMethod != http.MethodPost && s.UploadMethod != http.MethodPut:
		return fmt.Errorf("slot has upload_method %q, want POST or PUT", s.UploadMethod)
	case !isHTTPURL(s.UploadURL):
		return fmt.Errorf("slot has no usable upload_url (%q)", s.UploadURL)
	case !isHTTPURL(s.DownloadURL):
		return fmt.Errorf("slot has no usable download_url (%q)", s.DownloadURL)
	}
	return nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
