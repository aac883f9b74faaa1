package uploader_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lanyingim/lanying-ingest/uploader"
)

func bytesContent(name string, b []byte) uploader.Content {
	return uploader.Content{Name: name, Type: "text/markdown", Size: int64(len(b)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }}
}

type seenPart struct{ name, filename, ctype, value string }

// formServer records the parts of each multipart request, in order.
func formServer(t *testing.T, status int) (*httptest.Server, *[]seenPart, *[]int64) {
	t.Helper()
	var parts []seenPart
	var lengths []int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TransferEncoding) > 0 {
			t.Errorf("request was sent with Transfer-Encoding %v", r.TransferEncoding)
		}
		lengths = append(lengths, r.ContentLength)
		mr, err := r.MultipartReader()
		if err != nil {
			t.Errorf("multipart: %v", err)
			return
		}
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			v, _ := io.ReadAll(p)
			parts = append(parts, seenPart{p.FormName(), p.FileName(), p.Header.Get("Content-Type"), string(v)})
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &parts, &lengths
}

func TestPostFieldOrderFileLastExactLength(t *testing.T) {
	srv, parts, lengths := formServer(t, http.StatusNoContent)
	fields := []uploader.Field{{"OSSAccessKeyId", "k"}, {"policy", "p"}, {"Signature", "s"}, {"callback", "c"}, {"key", "a/${filename}"}, {"x-extra", "1"}}
	body := []byte("# hello\nworld\n")
	res, err := uploader.New(nil).Upload(context.Background(), uploader.Target{URL: srv.URL, Method: "POST", Fields: fields}, bytesContent("Guide.md", body))
	if err != nil || res.Status != http.StatusNoContent {
		t.Fatalf("upload: %v %+v", err, res)
	}
	if len(*parts) != len(fields)+1 {
		t.Fatalf("got %d parts, want %d", len(*parts), len(fields)+1)
	}
	for i, f := range fields {
		if p := (*parts)[i]; p.name != f.Name || p.value != f.Value {
			t.Errorf("part %d = %s=%s, want %s=%s", i, p.name, p.value, f.Name, f.Value)
		}
	}
	last := (*parts)[len(fields)]
	if last.name != "file" || last.filename != "Guide.md" || last.ctype != "text/markdown" || last.value != string(body) {
		t.Errorf("file part = %+v", last)
	}
	if (*lengths)[0] <= int64(len(body)) {
		t.Errorf("Content-Length %d not set", (*lengths)[0])
	}
}

func TestRedirectRebuildsBody(t *testing.T) {
	srv, parts, _ := formServer(t, http.StatusOK)
	opens := 0
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		http.Redirect(w, r, srv.URL, http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	c := bytesContent("a.txt", []byte("abc"))
	inner := c.Open
	c.Open = func() (io.ReadCloser, error) { opens++; return inner() }
	if _, err := uploader.New(nil).Upload(context.Background(), uploader.Target{URL: redirect.URL, Method: "POST"}, c); err != nil {
		t.Fatal(err)
	}
	if opens != 2 || len(*parts) != 1 || (*parts)[0].value != "abc" {
		t.Fatalf("opens=%d parts=%+v", opens, *parts)
	}
}

func TestPutSendsRawBytesWithoutContentType(t *testing.T) {
	var got []byte
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		hdr = r.Header
		if r.ContentLength != 5 || r.Method != http.MethodPut {
			t.Errorf("method %s length %d", r.Method, r.ContentLength)
		}
	}))
	defer srv.Close()
	target := uploader.Target{URL: srv.URL + "/k?Signature=x", Method: "PUT", Fields: []uploader.Field{{"x-oss-meta-a", "1"}}}
	if _, err := uploader.New(nil).Upload(context.Background(), target, bytesContent("a.txt", []byte("hello"))); err != nil {
		t.Fatal(err)
	}
	if string(got) != "hello" || hdr.Get("Content-Type") != "" || hdr.Get("X-Oss-Meta-A") != "1" {
		t.Fatalf("body %q headers %v", got, hdr)
	}
}

func TestStorageErrorIsParsed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(403)
		io.WriteString(w, `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Invalid according to Policy: Policy expired.</Message><RequestId>R1</RequestId></Error>`)
	}))
	defer srv.Close()
	_, err := uploader.New(nil).Upload(context.Background(), uploader.Target{URL: srv.URL}, bytesContent("a.md", []byte("x")))
	var se *uploader.StorageError
	if !errors.As(err, &se) || se.Code != "AccessDenied" || !strings.Contains(se.Message, "Policy expired") || !se.SlotRejected() || !se.Transient() {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), "R1") {
		t.Errorf("message %q lacks code or request id", err)
	}
}

func TestShrinkingSourceIsASourceError(t *testing.T) {
	srv, _, _ := formServer(t, 200)
	c := bytesContent("a.md", []byte("short"))
	c.Size = 100 // the file shrank since it was listed
	_, err := uploader.New(nil).Upload(context.Background(), uploader.Target{URL: srv.URL}, c)
	var se *uploader.SourceError
	if !errors.As(err, &se) {
		t.Fatalf("err = %#v, want *SourceError", err)
	}
}

func TestMissingFileIsASourceError(t *testing.T) {
	c := uploader.Content{Name: "gone.pdf", Size: 3, Open: func() (io.ReadCloser, error) { return os.Open("/nonexistent/gone.pdf") }}
	_, err := uploader.New(nil).Upload(context.Background(), uploader.Target{URL: "http://127.0.0.1:1"}, c)
	var se *uploader.SourceError
	if !errors.As(err, &se) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("err = %#v", err)
	}
}

// TestLargeSparseFileStreamsInConstantMemory sends a 1 GiB sparse file and
// checks that the heap does not grow with it.
func TestLargeSparseFileStreamsInConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB upload")
	}
	const size = 1 << 30
	path := filepath.Join(t.TempDir(), "big.pdf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if params["boundary"] == "" || r.ContentLength < size {
			t.Errorf("bad request: length %d", r.ContentLength)
		}
		mr, _ := r.MultipartReader()
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			n, _ := io.Copy(io.Discard, p)
			if p.FormName() == "file" {
				received.Store(n)
			}
		}
		w.WriteHeader(204)
	}))
	defer srv.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := uploader.Content{Name: "big.pdf", Type: "application/pdf", Size: size,
		Open: func() (io.ReadCloser, error) { return os.Open(path) }}
	if _, err := uploader.New(nil).Upload(context.Background(), uploader.Target{URL: srv.URL, Fields: []uploader.Field{{"key", "k"}}}, c); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if received.Load() != size {
		t.Fatalf("server received %d bytes, want %d", received.Load(), size)
	}
	// Client and server together allocate far less than the file; a
	// buffered body would allocate at least 1 GiB.
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
		t.Fatalf("allocated %d MiB to send a 1 GiB file", grown>>20)
	}
}
