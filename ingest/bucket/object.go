package bucket

import (
	"context"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/meta"
)

// maxSidecar bounds how much of a sidecar object is read.
const maxSidecar = 1 << 20

// object is the content of one listed object.
type object struct {
	src         *Source
	key         string
	name        string
	etag        string
	size        int64
	sidecar     string // key of its sidecar, or ""
	sidecarETag string
}

var (
	_ ingest.Opener    = (*object)(nil)
	_ ingest.Describer = (*object)(nil)
	_ ingest.Rechecker = (*object)(nil)
	_ ingest.Remote    = (*object)(nil)
)

// Open streams the object, as it was listed: if it changed since, the
// storage refuses (If-Match) rather than sending other bytes.
func (o *object) Open(ctx context.Context) (io.ReadCloser, error) {
	out, err := o.src.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(o.src.bucket), Key: aws.String(o.key), IfMatch: aws.String(o.etag),
	})
	if err != nil {
		return nil, &Error{Bucket: o.src.bucket, Op: "reading " + o.key, Err: err}
	}
	return out.Body, nil
}

// Remote reports that reading costs a request: the plan hashes while
// uploading instead of reading twice.
func (o *object) Remote() bool { return true }

// Describe returns the title, the source's static metadata, the object's
// user metadata (x-amz-meta-*) and its sidecar's, each over the one before.
func (o *object) Describe(ctx context.Context) (map[string]any, error) {
	m := map[string]any{"title": o.name}
	if meta.HasTitle(o.name) {
		prefix, err := o.read(ctx, o.key, fmt.Sprintf("bytes=0-%d", meta.PrefixSize-1))
		if err != nil {
			return nil, &ingest.ContentError{Err: err}
		}
		m["title"] = meta.Title(o.name, prefix)
	}
	maps.Copy(m, o.src.rules.Metadata)
	head, err := o.src.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.src.bucket), Key: aws.String(o.key)})
	if err != nil {
		return nil, &ingest.ContentError{Err: &Error{Bucket: o.src.bucket, Op: "reading the metadata of " + o.key, Err: err}}
	}
	for k, v := range head.Metadata {
		m[strings.ToLower(k)] = v
	}
	if o.sidecar == "" {
		return m, nil
	}
	b, err := o.read(ctx, o.sidecar, fmt.Sprintf("bytes=0-%d", maxSidecar-1))
	if err != nil {
		return nil, err
	}
	sc, err := meta.ParseSidecar(b)
	if err != nil {
		return nil, fmt.Errorf("sidecar s3://%s/%s: %w", o.src.bucket, o.sidecar, err)
	}
	maps.Copy(m, sc)
	return m, nil
}

func (o *object) read(ctx context.Context, key, byteRange string) ([]byte, error) {
	out, err := o.src.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(o.src.bucket), Key: aws.String(key), Range: aws.String(byteRange)})
	if err != nil {
		return nil, &Error{Bucket: o.src.bucket, Op: "reading " + key, Err: err}
	}
	defer out.Body.Close()
	return io.ReadAll(out.Body)
}

// CurrentVersion asks for the object's ETag and size again (and its
// sidecar's), to catch an object replaced while it was being sent.
func (o *object) CurrentVersion(ctx context.Context) (string, error) {
	head, err := o.src.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.src.bucket), Key: aws.String(o.key)})
	if err != nil {
		return "", &Error{Bucket: o.src.bucket, Op: "checking " + o.key, Err: err}
	}
	v := fmt.Sprintf("%s:%d", strings.Trim(aws.ToString(head.ETag), `"`), aws.ToInt64(head.ContentLength))
	if o.sidecar != "" {
		sc, err := o.src.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(o.src.bucket), Key: aws.String(o.sidecar)})
		if err == nil {
			v += ";sidecar=" + strings.Trim(aws.ToString(sc.ETag), `"`)
		}
	}
	return v, nil
}
