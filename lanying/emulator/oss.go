package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// ossError is a storage error answer.
type ossError struct {
	status  int
	code    string
	message string
}

func (e *ossError) Error() string { return e.code + ": " + e.message }

func denied(msg string) *ossError {
	return &ossError{http.StatusForbidden, "AccessDenied", msg}
}

func (e *Emulator) writeOSSError(w http.ResponseWriter, oe *ossError) {
	e.count(&e.stats.UploadsRefused)
	type xmlErr struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		RequestID string   `xml:"RequestId"`
		HostID    string   `xml:"HostId"`
	}
	body, _ := xml.MarshalIndent(xmlErr{Code: oe.code, Message: oe.message, RequestID: randomID(), HostID: "emulator"}, "", "  ")
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("Connection", "close") // the rest of the body is not read
	w.WriteHeader(oe.status)
	_, _ = w.Write(append([]byte(xml.Header), body...))
}

// handlePostObject serves a multipart PostObject upload.
func (e *Emulator) handlePostObject(w http.ResponseWriter, r *http.Request) {
	e.count(&e.stats.StorageRequests)
	if oe := e.postObject(r); oe != nil {
		e.writeOSSError(w, oe)
		return
	}
	// The form always carries a callback: success is 200 with its body.
	writeJSON(w, http.StatusOK, map[string]string{"Status": "OK"})
}

func (e *Emulator) postObject(r *http.Request) *ossError {
	if r.ContentLength < 0 {
		return &ossError{http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header."}
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return &ossError{http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data."}
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return &ossError{http.StatusBadRequest, "MalformedPOSTRequest", err.Error()}
	}
	form := map[string]string{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return &ossError{http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request has no file part."}
		}
		if err != nil {
			return &ossError{http.StatusBadRequest, "MalformedPOSTRequest", err.Error()}
		}
		name := strings.ToLower(part.FormName())
		if name != "file" {
			v, err := io.ReadAll(io.LimitReader(part, 64<<10))
			if err != nil {
				return &ossError{http.StatusBadRequest, "MalformedPOSTRequest", err.Error()}
			}
			if _, dup := form[name]; !dup {
				form[name] = string(v)
			}
			continue
		}
		// The storage stops at the file part: what follows is ignored.
		s, p, oe := e.checkForm(form)
		if oe != nil {
			return oe
		}
		key := strings.ReplaceAll(form["key"], "${filename}", part.FileName())
		return e.receive(s, key, part.FileName(), part.Header.Get("Content-Type"), part, p.minSize, p.maxSize)
	}
}

// checkForm verifies the signed form before the file is read.
func (e *Emulator) checkForm(form map[string]string) (*slot, *policy, *ossError) {
	switch {
	case form["ossaccesskeyid"] == "":
		return nil, nil, denied("Invalid according to Policy: Policy Condition failed: OSSAccessKeyId is missing.")
	case form["ossaccesskeyid"] != e.keyID:
		return nil, nil, &ossError{http.StatusForbidden, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records."}
	case form["policy"] == "":
		return nil, nil, &ossError{http.StatusBadRequest, "InvalidPolicyDocument", "The policy field is missing."}
	}
	p, oe := parsePolicy(form["policy"])
	if oe != nil {
		return nil, nil, oe
	}
	if !hmac.Equal([]byte(form["signature"]), []byte(e.sign(form["policy"]))) {
		return nil, nil, &ossError{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."}
	}
	if !e.cfg.Now().Before(p.expiration) {
		return nil, nil, denied("Invalid according to Policy: Policy expired.")
	}
	if oe := p.checkFields(form, e.bucket); oe != nil {
		return nil, nil, oe
	}
	s := e.slotForKey(form["key"])
	if s == nil {
		return nil, nil, denied("Invalid according to Policy: no upload slot has this key.")
	}
	return s, p, nil
}

// receive streams the file, checks its size window and stores it.
func (e *Emulator) receive(s *slot, key, fileName, contentType string, body io.Reader, minSize, maxSize int64) *ossError {
	h := sha256.New()
	n, err := io.Copy(h, body)
	if err != nil {
		return &ossError{http.StatusBadRequest, "IncompleteBody", "The request body ended before the announced length: " + err.Error()}
	}
	if n < minSize {
		return &ossError{http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size."}
	}
	if n > maxSize {
		return &ossError{http.StatusBadRequest, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size."}
	}
	o := &object{key: key, fileName: fileName, contentType: contentType, size: n, sha256: hex.EncodeToString(h.Sum(nil))}
	if !e.store(s, o) {
		return denied("Invalid according to Policy: the upload slot was already used (slots are single-use).")
	}
	return nil
}

// handlePutObject serves a presigned PUT of raw bytes.
func (e *Emulator) handlePutObject(w http.ResponseWriter, r *http.Request) {
	e.count(&e.stats.StorageRequests)
	if oe := e.putObject(r); oe != nil {
		e.writeOSSError(w, oe)
		return
	}
	w.Header().Set("ETag", `"emulator"`)
	w.WriteHeader(http.StatusOK)
}

func (e *Emulator) putObject(r *http.Request) *ossError {
	if r.ContentLength < 0 {
		return &ossError{http.StatusLengthRequired, "MissingContentLength", "You must provide the Content-Length HTTP header."}
	}
	key := r.PathValue("key")
	q := r.URL.Query()
	exp, err := strconv.ParseInt(q.Get("Expires"), 10, 64)
	switch {
	case r.PathValue("bucket") != e.bucket:
		return &ossError{http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist."}
	case q.Get("OSSAccessKeyId") != e.keyID:
		return &ossError{http.StatusForbidden, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records."}
	case err != nil:
		return denied("Expires is missing or not a number.")
	}
	want := e.sign(e.putStringToSign(r.Header.Get("Content-MD5"), r.Header.Get("Content-Type"), exp, key))
	if !hmac.Equal([]byte(want), []byte(q.Get("Signature"))) {
		return &ossError{http.StatusForbidden, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided (signed headers such as Content-Type must match)."}
	}
	if e.cfg.Now().Unix() > exp {
		return denied("Request has expired.")
	}
	s := e.slotForKey(key)
	if s == nil || s.key != key {
		return denied("No upload slot has this key.")
	}
	return e.receive(s, key, "", r.Header.Get("Content-Type"), r.Body, 0, DefaultMaxObject)
}
