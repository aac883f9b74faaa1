package lanying_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lanyingim/lanying-ingest/lanying"
)

const testToken = "tok-SECRET-123"

// setup starts an httptest server with a mux and a client pointed at it.
func setup(t *testing.T) (*lanying.Client, *http.ServeMux) {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := lanying.NewClient(srv.URL, "app1", testToken)
	if err != nil {
		t.Fatal(err)
	}
	return c, mux
}

func TestUploadSlotRequestAndFieldOrder(t *testing.T) {
	c, mux := setup(t)
	mux.HandleFunc("GET /file/upload/chat", func(w http.ResponseWriter, r *http.Request) {
		checks := map[string]string{
			"app_id": r.Header.Get("app_id"), "access-token": r.Header.Get("access-token"),
			"user_id": r.Header.Get("user_id"), "file_type": r.URL.Query().Get("file_type"),
			"to_type": r.URL.Query().Get("to_type"), "to_id": r.URL.Query().Get("to_id"),
		}
		want := map[string]string{"app_id": "app1", "access-token": testToken, "user_id": "11",
			"file_type": "100", "to_type": "1", "to_id": "22"}
		for k, v := range want {
			if checks[k] != v {
				t.Errorf("%s = %q, want %q", k, checks[k], v)
			}
		}
		fmt.Fprint(w, `{"code":200,"message":"ok","data":{"upload_url":"https://oss.example/b","upload_method":"POST",
			"oss_body_param":{"zeta":"1","OSSAccessKeyId":"k","policy":"p","n":5,"signature":"s","callback":"c","key":"x/${filename}"},
			"download_url":"https://dl.example/x"}}`)
	})
	slot, err := c.UploadSlot(context.Background(), lanying.SlotRequest{AdminUserID: 11, ChatbotID: 22})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range slot.Fields {
		names = append(names, f.Name+"="+f.Value)
	}
	if got, want := strings.Join(names, ","), "zeta=1,OSSAccessKeyId=k,policy=p,n=5,signature=s,callback=c,key=x/${filename}"; got != want {
		t.Errorf("fields = %s, want %s", got, want)
	}
	if slot.DownloadURL != "https://dl.example/x" || slot.UploadMethod != "POST" {
		t.Errorf("slot = %+v", slot)
	}
}

func TestSendFileBody(t *testing.T) {
	c, mux := setup(t)
	var got map[string]any
	mux.HandleFunc("POST /message/send", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("content type %q", r.Header.Get("Content-Type"))
		}
		_ = json.NewDecoder(r.Body).Decode(&got)
		fmt.Fprint(w, `{"code":200,"data":true}`)
	})
	err := c.SendFile(context.Background(), lanying.FileMessage{From: 11, To: 22, Name: "a.md", URL: "https://dl/x",
		Size: 42, Metadata: json.RawMessage(`{"title":"A"}`), TransactionID: 77})
	if err != nil {
		t.Fatal(err)
	}
	att, _ := got["attachment"].(string)
	ext, _ := got["ext"].(string)
	if att != `{"dName":"a.md","url":"https://dl/x","fLen":42}` {
		t.Errorf("attachment = %q", att)
	}
	if ext != `{"ai":{"metadata":{"title":"A"}}}` {
		t.Errorf("ext = %q", ext)
	}
	if got["content_type"] != 4.0 || got["type"] != 1.0 || got["from_user_id"] != 11.0 || got["transaction_id"] != 77.0 || got["content"] != "" {
		t.Errorf("body = %v", got)
	}
	if targets, _ := got["targets"].([]any); len(targets) != 1 || targets[0] != 22.0 {
		t.Errorf("targets = %v", got["targets"])
	}
}

func TestSendLinkRequiresHTTPS(t *testing.T) {
	c, mux := setup(t)
	var content string
	mux.HandleFunc("POST /message/send", func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		_ = json.NewDecoder(r.Body).Decode(&m)
		content, _ = m["content"].(string)
		fmt.Fprint(w, `{"code":200,"data":true}`)
	})
	if err := c.SendLink(context.Background(), lanying.LinkMessage{From: 1, To: 2, URL: "https://ex.com/a"}); err != nil || content != "https://ex.com/a" {
		t.Fatalf("err=%v content=%q", err, content)
	}
	err := c.SendLink(context.Background(), lanying.LinkMessage{From: 1, To: 2, URL: "http://ex.com/a"})
	if lanying.ClassOf(err) != lanying.ClassDocument {
		t.Fatalf("http link: %v (%v)", err, lanying.ClassOf(err))
	}
}

func TestErrorClasses(t *testing.T) {
	cases := []struct {
		status int
		body   string
		header string
		want   lanying.Class
	}{
		{200, `{"code":10002,"message":"bad"}`, "", lanying.ClassDocument},
		{200, `{"code":10003,"message":"no token"}`, "", lanying.ClassFatal},
		{200, `{"code":10008,"message":"invalid"}`, "", lanying.ClassFatal},
		{200, `{"code":10009,"message":"oss"}`, "", lanying.ClassTransient},
		{200, `{"code":10010,"message":"perm"}`, "", lanying.ClassFatal},
		{200, `{"code":10000,"message":"user"}`, "", lanying.ClassFatal},
		{200, `{"code":20000,"message":"db"}`, "", lanying.ClassTransient},
		{200, `{"code":30021}`, "", lanying.ClassFatal},
		{200, `{"code":30022}`, "", lanying.ClassFatal},
		{200, `{"code":30023}`, "", lanying.ClassFatal},
		{200, `{"code":40000,"message":"app"}`, "", lanying.ClassFatal},
		{200, `{"code":12345,"message":"other"}`, "", lanying.ClassDocument},
		{500, `oops`, "", lanying.ClassTransient},
		{503, ``, "", lanying.ClassTransient},
		{429, `slow down`, "7", lanying.ClassTransient},
		{200, `<html>login</html>`, "", lanying.ClassTransient},
		{200, `{"code":200`, "", lanying.ClassTransient},
		{404, `not found`, "", lanying.ClassFatal},
		{400, `bad`, "", lanying.ClassDocument},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d %s", tc.status, tc.body), func(t *testing.T) {
			c, mux := setup(t)
			mux.HandleFunc("POST /message/send", func(w http.ResponseWriter, r *http.Request) {
				if tc.header != "" {
					w.Header().Set("Retry-After", tc.header)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			})
			err := c.SendLink(context.Background(), lanying.LinkMessage{From: 1, To: 2, URL: "https://x/"})
			var api *lanying.APIError
			if !errors.As(err, &api) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if api.Class() != tc.want || lanying.ClassOf(err) != tc.want {
				t.Errorf("class = %v, want %v (%v)", api.Class(), tc.want, err)
			}
			if tc.header != "" && api.RetryAfter != 7*time.Second {
				t.Errorf("RetryAfter = %v", api.RetryAfter)
			}
			if api.Fatal() && api.Hint() == "" {
				t.Errorf("fatal error without a hint: %v", err)
			}
		})
	}
}

func TestTokenNeverInErrors(t *testing.T) {
	c, mux := setup(t)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// A misbehaving proxy that echoes the request headers.
		w.WriteHeader(502)
		fmt.Fprintf(w, "bad gateway for token %s", r.Header.Get("access-token"))
	})
	_, err := c.UploadSlot(context.Background(), lanying.SlotRequest{AdminUserID: 1, ChatbotID: 2})
	if err == nil || strings.Contains(err.Error(), testToken) || fmt.Sprintf("%+v %#v", err, err) == "" {
		t.Fatalf("error leaks the token or is nil: %v", err)
	}
	if s := fmt.Sprintf("%#v", err); strings.Contains(s, testToken) {
		t.Fatalf("error value leaks the token: %s", s)
	}
}

func TestTransportErrorIsTransient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	c, _ := lanying.NewClient(srv.URL, "app", testToken)
	_, err := c.UploadSlot(context.Background(), lanying.SlotRequest{AdminUserID: 1, ChatbotID: 2})
	var tr *lanying.TransportError
	if !errors.As(err, &tr) || lanying.ClassOf(err) != lanying.ClassTransient {
		t.Fatalf("err = %v", err)
	}
}

func TestSlotValidation(t *testing.T) {
	c, mux := setup(t)
	mux.HandleFunc("GET /file/upload/chat", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"code":200,"data":{"upload_url":"","upload_method":"POST","oss_body_param":{},"download_url":"https://d/x"}}`)
	})
	_, err := c.UploadSlot(context.Background(), lanying.SlotRequest{AdminUserID: 1, ChatbotID: 2})
	if err == nil || !strings.Contains(err.Error(), "upload_url") {
		t.Fatalf("err = %v", err)
	}
}

func TestTransactionIDDeterministic(t *testing.T) {
	a := lanying.TransactionID("bot", "docs/a.md", "abc")
	if a != lanying.TransactionID("bot", "docs/a.md", "abc") || a <= 0 || a >= 1<<53 {
		t.Fatalf("id %d not stable or out of range", a)
	}
	if a == lanying.TransactionID("bot", "docs/a.md", "abd") || lanying.TransactionID("ab", "c") == lanying.TransactionID("a", "bc") {
		t.Fatal("different parts gave the same id")
	}
}
