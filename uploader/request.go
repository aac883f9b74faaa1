package uploader

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
)

// FileField is the form field name of the file part, as object storage
// and the platform's own connector use it.
const FileField = "file"

// newPostRequest builds a multipart/form-data POST: every field in order,
// then the file part last. The body is prefix + file + suffix, so its
// length is known exactly and only the prefix and suffix are in memory.
func newPostRequest(ctx context.Context, t Target, c Content, state *sourceState) (*http.Request, error) {
	prefix, suffix, contentType, err := multipartFrame(t.Fields, c)
	if err != nil {
		return nil, fmt.Errorf("upload %s: %w", c.Name, err)
	}
	open := func() (io.ReadCloser, error) {
		f, err := openExact(c, state)
		if err != nil {
			return nil, err
		}
		return readCloser{io.MultiReader(bytes.NewReader(prefix), f, bytes.NewReader(suffix)), f}, nil
	}
	body, err := open()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, body)
	if err != nil {
		body.Close()
		return nil, fmt.Errorf("upload %s: %w", c.Name, err)
	}
	req.ContentLength = int64(len(prefix)) + c.Size + int64(len(suffix))
	req.GetBody = open
	req.Header.Set("Content-Type", contentType)
	return req, nil
}

// multipartFrame renders the form around the file: the fields and the file
// part's header (prefix), and the closing boundary (suffix).
func multipartFrame(fields []Field, c Content) (prefix, suffix []byte, contentType string, err error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, f := range fields {
		if strings.EqualFold(f.Name, FileField) {
			return nil, nil, "", fmt.Errorf("slot field %q clashes with the file part", f.Name)
		}
		if err := w.WriteField(f.Name, f.Value); err != nil {
			return nil, nil, "", err
		}
	}
	typ := c.Type
	if typ == "" {
		typ = "application/octet-stream"
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="%s"`, FileField, escapeQuotes(c.Name)))
	h.Set("Content-Type", typ)
	if _, err := w.CreatePart(h); err != nil {
		return nil, nil, "", err
	}
	n := buf.Len()
	if err := w.Close(); err != nil {
		return nil, nil, "", err
	}
	all := buf.Bytes()
	return all[:n], all[n:], w.FormDataContentType(), nil
}

var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"", "\r", "", "\n", "")

func escapeQuotes(s string) string { return quoteEscaper.Replace(s) }

// newPutRequest builds a presigned PUT of the raw bytes. The slot's fields,
// if any, are sent as headers; no Content-Type is added, because a URL
// signed without one refuses a request that has one.
func newPutRequest(ctx context.Context, t Target, c Content, state *sourceState) (*http.Request, error) {
	open := func() (io.ReadCloser, error) { return openExact(c, state) }
	body, err := open()
	if err != nil {
		return nil, err
	}
	var rc io.ReadCloser = body
	if c.Size == 0 {
		// A zero ContentLength with a non-nil body goes out chunked.
		body.Close()
		rc = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, t.URL, rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("upload %s: %w", c.Name, err)
	}
	req.ContentLength = c.Size
	if c.Size > 0 {
		req.GetBody = open
	}
	for _, f := range t.Fields {
		req.Header.Set(f.Name, f.Value)
	}
	return req, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}
