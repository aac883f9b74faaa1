package emulator_test

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lanyingim/lanying-ingest/lanying/emulator"
)

func fieldsOf(t *testing.T, e *env) ([][2]string, string) {
	t.Helper()
	s := e.slot(t)
	var fs [][2]string
	for _, f := range s.Fields {
		fs = append(fs, [2]string{f.Name, f.Value})
	}
	return fs, s.UploadURL
}

func set(fs [][2]string, name, value string) [][2]string {
	out := append([][2]string(nil), fs...)
	for i := range out {
		if strings.EqualFold(out[i][0], name) {
			out[i][1] = value
		}
	}
	return out
}

func without(fs [][2]string, name string) ([][2]string, [2]string) {
	var out [][2]string
	var gone [2]string
	for _, f := range fs {
		if strings.EqualFold(f[0], name) {
			gone = f
			continue
		}
		out = append(out, f)
	}
	return out, gone
}

type storageReply struct {
	status int
	code   string
	msg    string
}

func do(t *testing.T, req *http.Request) storageReply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var x struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	body, _ := io.ReadAll(resp.Body)
	_ = xml.Unmarshal(body, &x)
	return storageReply{resp.StatusCode, x.Code, x.Message}
}

func post(t *testing.T, url string, body *bytes.Buffer, ctype string) storageReply {
	req, _ := http.NewRequest("POST", url, body)
	req.Header.Set("Content-Type", ctype)
	return do(t, req)
}

func TestPostObjectRejections(t *testing.T) {
	e := newEnv(t, emulator.Config{MaxObject: 10})
	file := []byte("12345")
	cases := []struct {
		name   string
		build  func(fs [][2]string) (*bytes.Buffer, string)
		status int
		code   string
		msg    string
	}{
		{"bad signature", func(fs [][2]string) (*bytes.Buffer, string) {
			return form(set(fs, "signature", "AAAA"), "a.md", file, nil)
		}, 403, "SignatureDoesNotMatch", ""},
		{"unknown key id", func(fs [][2]string) (*bytes.Buffer, string) {
			return form(set(fs, "OSSAccessKeyId", "LTAIother"), "a.md", file, nil)
		}, 403, "InvalidAccessKeyId", ""},
		{"policy not base64", func(fs [][2]string) (*bytes.Buffer, string) {
			return form(set(fs, "policy", "%%%"), "a.md", file, nil)
		}, 400, "InvalidPolicyDocument", ""},
		{"policy wrong shape", func(fs [][2]string) (*bytes.Buffer, string) {
			return form(set(fs, "policy", base64.StdEncoding.EncodeToString([]byte(`{"expires":"x"}`))), "a.md", file, nil)
		}, 400, "InvalidPolicyDocument", ""},
		{"condition fails", func(fs [][2]string) (*bytes.Buffer, string) {
			return form(set(fs, "key", "elsewhere/${filename}"), "a.md", file, nil)
		}, 403, "AccessDenied", "Policy Condition failed"},
		{"required field after the file", func(fs [][2]string) (*bytes.Buffer, string) {
			rest, cb := without(fs, "callback")
			return form(rest, "a.md", file, [][2]string{cb})
		}, 403, "AccessDenied", "field missing"},
		{"too small", func(fs [][2]string) (*bytes.Buffer, string) {
			return form(fs, "a.md", nil, nil)
		}, 400, "EntityTooSmall", ""},
		{"too large", func(fs [][2]string) (*bytes.Buffer, string) {
			return form(fs, "a.md", bytes.Repeat([]byte("x"), 11), nil)
		}, 400, "EntityTooLarge", ""},
		{"no file part", func(fs [][2]string) (*bytes.Buffer, string) {
			return form(fs, "", nil, nil)
		}, 400, "MalformedPOSTRequest", ""},
		{"not multipart", func(fs [][2]string) (*bytes.Buffer, string) {
			return bytes.NewBufferString("key=x"), "application/x-www-form-urlencoded"
		}, 400, "MalformedPOSTRequest", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs, url := fieldsOf(t, e)
			body, ctype := tc.build(fs)
			got := post(t, url, body, ctype)
			if got.status != tc.status || got.code != tc.code || !strings.Contains(got.msg, tc.msg) {
				t.Fatalf("got %+v, want %d %s %q", got, tc.status, tc.code, tc.msg)
			}
		})
	}
}

func TestPostObjectExpiredPolicy(t *testing.T) {
	e := newEnv(t, emulator.Config{SlotTTL: time.Minute})
	fs, url := fieldsOf(t, e)
	*e.clock = e.clock.Add(2 * time.Minute)
	body, ctype := form(fs, "a.md", []byte("x"), nil)
	if got := post(t, url, body, ctype); got.status != 403 || got.code != "AccessDenied" || !strings.Contains(got.msg, "Policy expired") {
		t.Fatalf("got %+v", got)
	}
}

func TestPostObjectChunkedIs411(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	fs, url := fieldsOf(t, e)
	body, ctype := form(fs, "a.md", []byte("x"), nil)
	// An io.Reader of unknown length makes Go send the body chunked.
	req, _ := http.NewRequest("POST", url, io.MultiReader(body))
	req.Header.Set("Content-Type", ctype)
	if got := do(t, req); got.status != 411 || got.code != "MissingContentLength" {
		t.Fatalf("got %+v", got)
	}
}

func TestPostObjectFieldNamesCaseInsensitive(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	fs, url := fieldsOf(t, e)
	for i := range fs {
		fs[i][0] = strings.ToUpper(fs[i][0])
	}
	body, ctype := form(fs, "a.md", []byte("x"), nil)
	if got := post(t, url, body, ctype); got.status != 200 {
		t.Fatalf("got %+v", got)
	}
}

func TestPutRejections(t *testing.T) {
	e := newEnv(t, emulator.Config{UploadMethod: "PUT", SlotTTL: time.Minute})
	put := func(url string, body io.Reader, ctype string) storageReply {
		req, _ := http.NewRequest("PUT", url, body)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		return do(t, req)
	}
	s := e.slot(t)
	if got := put(s.UploadURL, strings.NewReader("abc"), "text/plain"); got.code != "SignatureDoesNotMatch" {
		t.Errorf("signed without a content type, sent with one: %+v", got)
	}
	if got := put(s.UploadURL, io.MultiReader(strings.NewReader("abc")), ""); got.status != 411 {
		t.Errorf("chunked: %+v", got)
	}
	if got := put(strings.Replace(s.UploadURL, "Signature=", "Signature=x", 1), strings.NewReader("abc"), ""); got.code != "SignatureDoesNotMatch" {
		t.Errorf("bad signature: %+v", got)
	}
	*e.clock = e.clock.Add(2 * time.Minute)
	if got := put(s.UploadURL, strings.NewReader("abc"), ""); got.code != "AccessDenied" || !strings.Contains(got.msg, "expired") {
		t.Errorf("expired: %+v", got)
	}
}
