package main

import (
	"context"
	"maps"

	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/ingest/dir"
	"github.com/lanyingim/lanying-ingest/ingest/web"
)

// linkExpander turns a link file found in a folder (.url, .webloc, .urls)
// into web documents: each URL goes through the web source's rules (link
// or snapshot, robots.txt and rate limits, change detection, metadata),
// keyed "<link file>#<url>", with the link file in its metadata. URLs the
// file named before and names no more are yielded Gone.
func linkExpander(m *memo, static map[string]any, hosts *web.Hosts) dir.LinkExpander {
	return func(ctx context.Context, linkKey string, urls []string, yield func(ingest.Document) error) error {
		prefix := linkKey + "#"
		before := map[string]bool{}
		if m.store != nil {
			_ = m.store.List(ctx, m.target, m.source, prefix, func(r ingest.Record) error {
				if r.State != ingest.StateDeleted {
					before[r.Key] = true
				}
				return nil
			})
		}
		meta := map[string]any{}
		maps.Copy(meta, static)
		meta["link_file"] = linkKey
		src, err := web.New("links:"+linkKey, web.Options{
			URLs: urls, Metadata: meta, Hosts: hosts,
			UserAgent: "lanying-ingest/" + version + " (+https://github.com/lanyingim/lanying-ingest)",
			Previous:  func(key string) (string, bool) { return m.previous(prefix + key) },
		})
		if err != nil {
			return yield(ingest.Document{Key: linkKey, Skip: dir.ReasonBadLinkFile, Detail: err.Error()})
		}
		err = src.Walk(ctx, func(d ingest.Document) error {
			d.Key = prefix + d.Key
			delete(before, d.Key)
			return yield(d)
		})
		if err != nil {
			return err
		}
		for key := range before {
			if err := yield(ingest.Document{Key: key, Name: key, Gone: true}); err != nil {
				return err
			}
		}
		return nil
	}
}
