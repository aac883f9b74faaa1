package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
)

// MetadataError is a document whose metadata cannot be sent.
type MetadataError struct {
	Err  error
	hint string
}

func (e *MetadataError) Error() string { return e.Err.Error() }
func (e *MetadataError) Unwrap() error { return e.Err }

// Hint says what to do about the metadata.
func (e *MetadataError) Hint() string { return e.hint }

// ContentError is a Describer's failure to read the document itself (not
// its metadata): the document fails as a source error.
type ContentError struct{ Err error }

func (e *ContentError) Error() string { return e.Err.Error() }
func (e *ContentError) Unwrap() error { return e.Err }

// metadata merges what the content describes (title, sidecar, static
// metadata) under the facts from the listing, which always win.
func (s *Syncer) metadata(ctx context.Context, d Document) (map[string]any, error) {
	m := map[string]any{}
	if ds, ok := d.Content.(Describer); ok {
		extra, err := ds.Describe(ctx)
		var ce *ContentError
		switch {
		case errors.As(err, &ce):
			return nil, err
		case err != nil:
			return nil, &MetadataError{Err: err, hint: "fix or remove the sidecar file; it must hold one JSON object"}
		}
		maps.Copy(m, extra)
	}
	maps.Copy(m, d.Metadata)
	return m, nil
}

// encodeMetadata renders metadata as the JSON object sent in ext, within
// the size limit.
func (s *Syncer) encodeMetadata(m map[string]any) (json.RawMessage, error) {
	b, err := json.Marshal(m)
	if err != nil {
		return nil, &MetadataError{Err: fmt.Errorf("metadata does not encode as JSON: %w", err)}
	}
	if len(b) > s.opts.MaxMetadataBytes {
		return nil, &MetadataError{
			Err:  fmt.Errorf("metadata is %d bytes, over the limit of %d", len(b), s.opts.MaxMetadataBytes),
			hint: "shorten the sidecar or static metadata, or raise max_metadata_size",
		}
	}
	return b, nil
}
