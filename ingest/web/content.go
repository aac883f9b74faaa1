package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"

	"github.com/lanyingim/lanying-ingest/ingest"
)

// memory is content already read (a page, a small file).
type memory []byte

func (m memory) Open(ctx context.Context) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(m)), nil
}

// remoteFile is a file downloaded again on every Open: streamed into the
// upload with its announced size, never held whole.
type remoteFile struct {
	f    *fetcher
	url  string
	size int64
}

var (
	_ ingest.Opener = memory(nil)
	_ ingest.Remote = (*remoteFile)(nil)
)

func (r *remoteFile) Open(ctx context.Context) (io.ReadCloser, error) {
	resp, err := r.f.do(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK || resp.ContentLength != r.size {
		resp.Body.Close()
		return nil, fmt.Errorf("%s changed since it was listed (HTTP %d, %d bytes, %d expected)", r.url, resp.StatusCode, resp.ContentLength, r.size)
	}
	return resp.Body, nil
}

// Remote reports that every read is a download.
func (r *remoteFile) Remote() bool { return true }

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}
