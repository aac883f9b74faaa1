package emulator_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lanyingim/lanying-ingest/lanying"
	"github.com/lanyingim/lanying-ingest/lanying/emulator"
	"github.com/lanyingim/lanying-ingest/uploader"
)

type env struct {
	emu    *emulator.Emulator
	url    string
	client *lanying.Client
	clock  *time.Time
}

func newEnv(t *testing.T, cfg emulator.Config) *env {
	t.Helper()
	now := time.Now()
	e := &env{clock: &now}
	cfg.Now = func() time.Time { return *e.clock }
	e.emu = emulator.New(cfg)
	srv := httptest.NewServer(e.emu)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	c := e.emu.Config()
	var err error
	e.client, err = lanying.NewClient(srv.URL, c.AppID, c.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) slot(t *testing.T) *lanying.UploadSlot {
	t.Helper()
	c := e.emu.Config()
	s, err := e.client.UploadSlot(context.Background(), lanying.SlotRequest{AdminUserID: c.AdminUserID, ChatbotID: c.ChatbotID})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func upload(ctx context.Context, s *lanying.UploadSlot, name string, body []byte) error {
	var fields []uploader.Field
	for _, f := range s.Fields {
		fields = append(fields, uploader.Field{Name: f.Name, Value: f.Value})
	}
	_, err := uploader.New(nil).Upload(ctx, uploader.Target{URL: s.UploadURL, Method: s.UploadMethod, Fields: fields},
		uploader.Content{Name: name, Type: "text/plain", Size: int64(len(body)),
			Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }})
	return err
}

func (e *env) sendFile(name, url string, size int64, txid int64) error {
	c := e.emu.Config()
	return e.client.SendFile(context.Background(), lanying.FileMessage{From: c.AdminUserID, To: c.ChatbotID,
		Name: name, URL: url, Size: size, Metadata: json.RawMessage(`{"source":"` + name + `"}`), TransactionID: txid})
}

func TestFullFlowPostAndPut(t *testing.T) {
	for _, method := range []string{"POST", "PUT"} {
		t.Run(method, func(t *testing.T) {
			e := newEnv(t, emulator.Config{UploadMethod: method})
			body := []byte("hello knowledge base")
			s := e.slot(t)
			if s.UploadMethod != method {
				t.Fatalf("method %s", s.UploadMethod)
			}
			if err := upload(context.Background(), s, "notes.txt", body); err != nil {
				t.Fatal(err)
			}
			if err := e.sendFile("notes.txt", s.DownloadURL, int64(len(body)), 5); err != nil {
				t.Fatal(err)
			}
			docs := e.emu.Documents()
			sum := sha256.Sum256(body)
			if len(docs) != 1 || docs[0].SHA256 != hex.EncodeToString(sum[:]) || !docs[0].Accepted || docs[0].Metadata["source"] != "notes.txt" {
				t.Fatalf("documents = %+v", docs)
			}
			// A slot is single-use.
			err := upload(context.Background(), s, "notes.txt", body)
			var se *uploader.StorageError
			if !errors.As(err, &se) || se.Status != 403 {
				t.Fatalf("reused slot: %v", err)
			}
		})
	}
}

func TestDeduplicatesTransactionID(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	for i := 0; i < 3; i++ {
		s := e.slot(t)
		if err := upload(context.Background(), s, "a.md", []byte("x")); err != nil {
			t.Fatal(err)
		}
		if err := e.sendFile("a.md", s.DownloadURL, 1, 99); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.emu.Documents()); n != 1 || e.emu.Stats().Duplicates != 2 {
		t.Fatalf("documents %d, stats %+v", n, e.emu.Stats())
	}
}

func TestUnsupportedExtensionIsRefusedByTheChatbot(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	s := e.slot(t)
	if err := upload(context.Background(), s, "x.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if err := e.sendFile("x.json", s.DownloadURL, 2, 1); err != nil {
		t.Fatal(err)
	}
	if d := e.emu.Documents(); len(d) != 1 || d[0].Accepted || d[0].Refusal == "" {
		t.Fatalf("documents = %+v", d)
	}
}

func TestAPIHeaderAndUserErrors(t *testing.T) {
	cfg := emulator.Config{OtherUsers: []int64{3003}}
	e := newEnv(t, cfg)
	c := e.emu.Config()
	cases := []struct {
		name, app, token string
		admin, bot       int64
		code             int
	}{
		{"unknown app", "nope", c.AccessToken, c.AdminUserID, c.ChatbotID, 40000},
		{"missing token", c.AppID, "", c.AdminUserID, c.ChatbotID, 10003},
		{"bad token", c.AppID, "wrong", c.AdminUserID, c.ChatbotID, 10008},
		{"unknown admin", c.AppID, c.AccessToken, 5, c.ChatbotID, 10000},
		{"unknown chatbot", c.AppID, c.AccessToken, c.AdminUserID, 6, 10000},
		{"not an admin", c.AppID, c.AccessToken, 3003, c.ChatbotID, 10010},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl, _ := lanying.NewClient(e.url, tc.app, tc.token)
			_, err := cl.UploadSlot(context.Background(), lanying.SlotRequest{AdminUserID: tc.admin, ChatbotID: tc.bot})
			var api *lanying.APIError
			if !errors.As(err, &api) || api.Code != tc.code || api.HTTPStatus != 200 || !api.Fatal() {
				t.Fatalf("slot: %v, want code %d", err, tc.code)
			}
			err = cl.SendLink(context.Background(), lanying.LinkMessage{From: tc.admin, To: tc.bot, URL: "https://example.com/"})
			if !errors.As(err, &api) || api.Code != tc.code {
				t.Fatalf("send: %v, want code %d", err, tc.code)
			}
		})
	}
}

// rawSend posts a hand-made /message/send body.
func (e *env) rawSend(t *testing.T, body string) (int, string) {
	t.Helper()
	c := e.emu.Config()
	req, _ := http.NewRequest("POST", e.url+"/message/send", strings.NewReader(body))
	req.Header.Set("app_id", c.AppID)
	req.Header.Set("access-token", c.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&r)
	return r.Code, r.Message
}

func TestSendValidation(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	s := e.slot(t)
	if err := upload(context.Background(), s, "a.md", []byte("12345")); err != nil {
		t.Fatal(err)
	}
	att := func(name, url string, n int) string {
		b, _ := json.Marshal(fmt.Sprintf(`{"dName":%q,"url":%q,"fLen":%d}`, name, url, n))
		return string(b)
	}
	head := `"from_user_id":1001,"targets":[2001],"type":1`
	cases := []struct{ name, body, want string }{
		{"not json", `{"from_user_id":`, "not a JSON"},
		{"no content type", `{` + head + `}`, "content_type"},
		{"wrong type", `{"from_user_id":1001,"targets":[2001],"type":2,"content_type":4}`, "type must be 1"},
		{"attachment object", `{` + head + `,"content_type":4,"attachment":{"dName":"a.md"}}`, "attachment must be a string"},
		{"not uploaded", `{` + head + `,"content_type":4,"attachment":` + att("a.md", "http://x/none", 5) + `}`, "not an uploaded file"},
		{"fLen mismatch", `{` + head + `,"content_type":4,"attachment":` + att("a.md", s.DownloadURL, 4) + `}`, "fLen"},
		{"ext object", `{` + head + `,"content_type":4,"attachment":` + att("a.md", s.DownloadURL, 5) + `,"ext":{"ai":{}}}`, "ext must be a string"},
		{"metadata not object", `{` + head + `,"content_type":0,"content":"https://x/","ext":"{\"ai\":{\"metadata\":[1]}}"}`, "metadata must be a JSON object"},
		{"bad content type", `{` + head + `,"content_type":7}`, "content_type 7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, msg := e.rawSend(t, tc.body)
			if code != 10002 || !strings.Contains(msg, tc.want) {
				t.Fatalf("code %d message %q, want 10002 with %q", code, msg, tc.want)
			}
		})
	}
	if code, msg := e.rawSend(t, `{`+head+`,"content_type":4,"attachment":`+att("a.md", s.DownloadURL, 5)+`,"ext":"{\"ai\":{\"metadata\":{}}}"}`); code != 200 {
		t.Fatalf("valid message refused: %d %s", code, msg)
	}
}

func TestLinkMessages(t *testing.T) {
	e := newEnv(t, emulator.Config{})
	c := e.emu.Config()
	if err := e.client.SendLink(context.Background(), lanying.LinkMessage{From: c.AdminUserID, To: c.ChatbotID, URL: "https://docs.example.com/a", TransactionID: 3}); err != nil {
		t.Fatal(err)
	}
	code, _ := e.rawSend(t, `{"from_user_id":1001,"targets":[2001],"type":1,"content_type":0,"content":"see http://plain.example/ ok"}`)
	d := e.emu.Documents()
	if code != 200 || len(d) != 2 || d[0].Kind != "link" || !d[0].Accepted || d[1].Accepted {
		t.Fatalf("code %d documents %+v", code, d)
	}
}

// form builds a PostObject body by hand so that tests can break it.
func form(fields [][2]string, fileName string, file []byte, after [][2]string) (*bytes.Buffer, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	if fileName != "" {
		p, _ := w.CreateFormFile("file", fileName)
		p.Write(file)
	}
	for _, f := range after {
		w.WriteField(f[0], f[1])
	}
	w.Close()
	return &b, w.FormDataContentType()
}
