// Package bucket is the S3 source: an AWS S3 or S3-compatible bucket
// prefix (MinIO, Aliyun OSS, Tencent COS, Cloudflare R2), listed page by
// page with ListObjectsV2 and synced like a folder. Change detection uses
// the listing alone (ETag and size): an unchanged object costs no request
// of its own; objects stream from GetObject into the upload.
package bucket

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/rules"
)

// Options describe how to reach the bucket, and its rules.
type Options struct {
	Region    string // the bucket's region; default from the AWS configuration, else us-east-1
	Endpoint  string // an S3-compatible endpoint (https://minio.example:9000); default AWS
	PathStyle bool   // bucket in the path, not the host name (most S3-compatible stores)
	// AccessKeyID and SecretAccessKey, when set, are used instead of the
	// standard AWS chain (environment, shared config and Profile, instance
	// roles). They never appear in logs or errors.
	AccessKeyID     string
	SecretAccessKey string
	Profile         string
	PageSize        int32        // keys per ListObjectsV2 page (default 1000)
	HTTPClient      *http.Client // default: the SDK's
	Rules           rules.Options
}

// Source is one bucket prefix.
type Source struct {
	client *s3.Client
	bucket string
	prefix string // "" or ending in "/"
	rules  *rules.Rules
	page   int32
}

var _ ingest.Source = (*Source)(nil)

// ParseURL splits s3://bucket/prefix.
func ParseURL(raw string) (bucketName, prefix string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", "", fmt.Errorf("%q is not an s3://bucket/prefix URL", raw)
	}
	prefix = strings.TrimPrefix(u.Path, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return u.Host, prefix, nil
}

// New returns the source for s3://bucket/prefix.
func New(ctx context.Context, rawURL string, o Options) (*Source, error) {
	name, prefix, err := ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	r, err := rules.New(o.Rules)
	if err != nil {
		return nil, fmt.Errorf("bucket %s: %w", name, err)
	}
	var loads []func(*awsconfig.LoadOptions) error
	if o.Region != "" {
		loads = append(loads, awsconfig.WithRegion(o.Region))
	}
	if o.Profile != "" {
		loads = append(loads, awsconfig.WithSharedConfigProfile(o.Profile))
	}
	if o.AccessKeyID != "" {
		loads = append(loads, awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(o.AccessKeyID, o.SecretAccessKey, "")))
	}
	if o.HTTPClient != nil {
		loads = append(loads, awsconfig.WithHTTPClient(o.HTTPClient))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, loads...)
	if err != nil {
		return nil, &Error{Bucket: name, Op: "loading the AWS configuration", Err: err}
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		so.UsePathStyle = o.PathStyle
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		// Checksums the SDK would add or verify are not understood by every
		// S3-compatible store; ETag and size are what we rely on.
		so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	page := o.PageSize
	if page <= 0 {
		page = 1000
	}
	return &Source{client: client, bucket: name, prefix: prefix, rules: r, page: page}, nil
}

// ID is the s3:// URL.
func (s *Source) ID() string { return "s3://" + s.bucket + "/" + s.prefix }

// Walk lists the prefix page by page and yields every object. A document
// is held back only until the listing has passed the place where its
// sidecar would sort, so memory stays small whatever the bucket's size.
func (s *Source) Walk(ctx context.Context, yield func(ingest.Document) error) error {
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket), Prefix: aws.String(s.prefix), MaxKeys: aws.Int32(s.page),
	})
	held := &holdBack{yield: yield}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &Error{Bucket: s.bucket, Op: "listing " + s.ID(), Err: err, Listing: true}
		}
		for _, obj := range page.Contents {
			if err := held.add(s, obj); err != nil {
				return err
			}
		}
	}
	return held.flush()
}

// holdBack delays documents until their sidecar could no longer follow.
type holdBack struct {
	yield   func(ingest.Document) error
	pending []*ingest.Document
}

func (h *holdBack) add(s *Source, obj types.Object) error {
	key := aws.ToString(obj.Key)
	for len(h.pending) > 0 && key > h.pending[0].Content.(*object).key+rules.SidecarSuffix {
		if err := h.yield(*h.pending[0]); err != nil {
			return err
		}
		h.pending = h.pending[1:]
	}
	if base, ok := strings.CutSuffix(key, rules.SidecarSuffix); ok {
		for _, d := range h.pending {
			if o := d.Content.(*object); o.key == base {
				o.sidecar, o.sidecarETag = key, aws.ToString(obj.ETag)
				d.Version += ";sidecar=" + strings.Trim(o.sidecarETag, `"`)
			}
		}
	}
	d := s.document(obj)
	if d.Content == nil {
		return h.yield(d)
	}
	h.pending = append(h.pending, &d)
	return nil
}

func (h *holdBack) flush() error {
	for _, d := range h.pending {
		if err := h.yield(*d); err != nil {
			return err
		}
	}
	h.pending = nil
	return nil
}

// document applies the rules to one listed object.
func (s *Source) document(obj types.Object) ingest.Document {
	key := aws.ToString(obj.Key)
	rel := strings.TrimPrefix(key, s.prefix)
	size := aws.ToInt64(obj.Size)
	name := path.Base(rel)
	if strings.HasSuffix(key, "/") {
		return ingest.Document{Key: rel, Name: name, Skip: ReasonDirMarker, Detail: "a directory marker, not a document"}
	}
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") {
			return ingest.Document{Key: rel, Name: name, Skip: ingest.ReasonHidden, Detail: "keys with a part starting with a dot are skipped, as dot-files are"}
		}
	}
	reason, detail, dName, ctype := s.rules.File(rel, size)
	if reason != "" {
		return ingest.Document{Key: rel, Name: name, Size: size, Skip: reason, Detail: detail}
	}
	etag := aws.ToString(obj.ETag)
	modified := aws.ToTime(obj.LastModified)
	o := &object{src: s, key: key, name: name, etag: etag, size: size}
	return ingest.Document{
		Key: rel, Name: dName, ContentType: ctype, Size: size, Content: o,
		Version: fmt.Sprintf("%s:%d", strings.Trim(etag, `"`), size),
		Metadata: map[string]any{
			"source":   "s3://" + s.bucket + "/" + key,
			"etag":     strings.Trim(etag, `"`),
			"modified": modified.UTC().Format(time.RFC3339),
			"size":     size,
		},
	}
}

// ReasonDirMarker skips the empty "folder" objects some consoles create.
const ReasonDirMarker ingest.Reason = "directory_marker"
