package ingest

import "context"

// OnlyFailed is src limited to the documents whose last delivery to target
// failed or was cut short (in flight when a run stopped): what
// `sync --retry-failed` sends.
func OnlyFailed(src Source, store Store, target string) Source {
	return &onlyFailed{Source: src, store: store, target: target}
}

type onlyFailed struct {
	Source
	store  Store
	target string
}

func (o *onlyFailed) Walk(ctx context.Context, yield func(Document) error) error {
	return o.Source.Walk(ctx, func(d Document) error {
		if d.Skip != "" {
			return nil
		}
		rec, found, err := o.store.Get(ctx, o.target, o.Source.ID(), d.Key)
		if err != nil || !found || (rec.State != StateFailed && rec.State != StateSending) {
			return err
		}
		return yield(d)
	})
}

// Partial reports true: a run of it is not a whole pass.
func (o *onlyFailed) Partial() bool { return true }
