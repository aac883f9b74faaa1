package emulator

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// slot is one upload slot handed out by /file/upload/chat.
type slot struct {
	id          string
	key         string // the object key, or its prefix when the form carries ${filename}
	downloadURL string
	expires     time.Time
	used        bool
	chatbot     int64
	dto         slotDTO
}

// object is an uploaded file (only its digest is kept, not its bytes).
type object struct {
	key         string
	fileName    string
	contentType string
	size        int64
	sha256      string
}

type slotDTO struct {
	UploadURL    string `json:"upload_url"`
	UploadMethod string `json:"upload_method"`
	OSSBodyParam fields `json:"oss_body_param"`
	DownloadURL  string `json:"download_url"`
}

// fields is an ordered JSON object of strings.
type fields [][2]string

func (f fields) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kv := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(kv[0])
		v, _ := json.Marshal(kv[1])
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// newSlot creates a slot: a signed PostObject form, or a presigned PUT URL.
func (e *Emulator) newSlot(r *http.Request, user, chatbot int64) *slot {
	base := baseURL(r)
	id := randomID()
	s := &slot{
		id:          id,
		downloadURL: base + "/_emulator/files/" + id,
		expires:     e.cfg.Now().Add(e.cfg.SlotTTL).UTC(),
		chatbot:     chatbot,
	}
	if e.cfg.UploadMethod == http.MethodPut {
		s.key = "kb/" + id + "/upload"
		s.dto = slotDTO{UploadMethod: http.MethodPut, OSSBodyParam: fields{}, DownloadURL: s.downloadURL,
			UploadURL: e.presignPut(base, s.key, s.expires)}
	} else {
		s.key = "kb/" + id + "/"
		s.dto = slotDTO{UploadMethod: http.MethodPost, DownloadURL: s.downloadURL,
			UploadURL: base + "/_oss/" + e.bucket, OSSBodyParam: e.postForm(base, s)}
	}
	e.mu.Lock()
	e.slots[s.key] = s
	e.prune()
	e.mu.Unlock()
	return s
}

// prune drops expired slots (they can only be refused anyway) and
// transaction ids past the de-duplication window, so that a long-running
// emulator stays small. Called with e.mu held.
func (e *Emulator) prune() {
	now := e.cfg.Now()
	if now.Sub(e.lastPrune) < e.cfg.SlotTTL || len(e.slots) < 1024 {
		return
	}
	e.lastPrune = now
	for k, s := range e.slots {
		if now.After(s.expires) {
			delete(e.slots, k)
		}
	}
	if e.cfg.DedupWindow > 0 {
		for id, t := range e.txids {
			if now.Sub(t) >= e.cfg.DedupWindow {
				delete(e.txids, id)
			}
		}
	}
}

// postForm renders the fields of a V1-signed PostObject form, in the order
// the platform hands them out.
func (e *Emulator) postForm(base string, s *slot) fields {
	cb, _ := json.Marshal(map[string]string{
		"callbackUrl":  base + "/_emulator/oss-callback",
		"callbackBody": "bucket=${bucket}&object=${object}&size=${size}",
	})
	callback := base64.StdEncoding.EncodeToString(cb)
	policy, _ := json.Marshal(map[string]any{
		"expiration": s.expires.Format("2006-01-02T15:04:05.000Z"),
		"conditions": []any{
			map[string]string{"bucket": e.bucket},
			[]any{"starts-with", "$key", s.key},
			[]any{"eq", "$callback", callback},
			[]any{"content-length-range", 1, e.cfg.MaxObject},
		},
	})
	p64 := base64.StdEncoding.EncodeToString(policy)
	return fields{
		{"OSSAccessKeyId", e.keyID},
		{"policy", p64},
		{"signature", e.sign(p64)},
		{"callback", callback},
		{"key", s.key + "${filename}"},
	}
}

// sign is OSS V1: base64(HMAC-SHA1(secret, text)).
func (e *Emulator) sign(text string) string {
	m := hmac.New(sha1.New, e.secret)
	m.Write([]byte(text))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// putStringToSign is OSS V1's canonical string for a presigned PUT.
func (e *Emulator) putStringToSign(contentMD5, contentType string, expires int64, key string) string {
	return strings.Join([]string{http.MethodPut, contentMD5, contentType,
		strconv.FormatInt(expires, 10), "/" + e.bucket + "/" + key}, "\n")
}

// presignPut signs a PUT without Content-MD5 and without Content-Type, so
// the uploader must send neither.
func (e *Emulator) presignPut(base, key string, expires time.Time) string {
	exp := expires.Unix()
	q := url.Values{}
	q.Set("OSSAccessKeyId", e.keyID)
	q.Set("Expires", strconv.FormatInt(exp, 10))
	q.Set("Signature", e.sign(e.putStringToSign("", "", exp, key)))
	return base + "/_oss/" + e.bucket + "/" + key + "?" + q.Encode()
}

// slotForKey finds the slot an object key belongs to.
func (e *Emulator) slotForKey(key string) *slot {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.slots[key]; ok {
		return s
	}
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return e.slots[key[:i+1]]
	}
	return nil
}

// store records an upload into s, once: a slot is single-use.
func (e *Emulator) store(s *slot, o *object) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s.used {
		return false
	}
	s.used = true
	e.objects[s.downloadURL] = o
	e.stats.Uploads++
	return true
}
