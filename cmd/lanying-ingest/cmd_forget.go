package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lanyingim/lanying-ingest/cmd/lanying-ingest/internal/config"
	"github.com/lanyingim/lanying-ingest/ingest/state"
)

type forgetOptions struct {
	configPath string
	statePath  string
	source     string
}

func newForgetCommand(g *globals) *cobra.Command {
	o := &forgetOptions{}
	cmd := &cobra.Command{
		Use:   "forget [flags] FILE ... | forget --source NAME|PATH",
		Short: "Make the next sync send documents again",
		Long: `forget removes documents from the state database, so that the next sync sends
them again (as new documents: the chatbot keeps what it already has). Name the
files, or a whole source with --source (a configured source's name, or its
folder).`,
		Example: `  lanying-ingest forget ./handbook/policy.pdf
  lanying-ingest forget --config /etc/lanying-ingest.yaml --source handbook`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (o.source == "") == (len(args) == 0) {
				return usageErr(errors.New("give FILEs or --source, not both and not neither"), "lanying-ingest forget ./docs/a.md")
			}
			return runForget(cmd.Context(), o, g, args)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.configPath, "config", "c", "", "configuration file (its state: path and source names)")
	f.StringVar(&o.statePath, "state", "", "state database (default: "+config.DefaultStatePath()+")")
	f.StringVar(&o.source, "source", "", "forget every document of this source (a name from the configuration, or a folder)")
	return cmd
}

func runForget(ctx context.Context, o *forgetOptions, g *globals, files []string) error {
	cfg := &config.Config{}
	if o.configPath != "" {
		var err error
		if cfg, err = config.Load(o.configPath); err != nil {
			return usageErr(err, "")
		}
	}
	db, err := state.Open(ctx, firstNonEmpty(o.statePath, cfg.State, config.DefaultStatePath()))
	if err != nil {
		return err
	}
	defer db.Close()
	var n int64
	if o.source != "" {
		path := o.source
		for _, s := range cfg.Sources {
			if s.Name == o.source {
				path = s.Path
			}
		}
		abs, err := filepath.Abs(path)
		if err != nil {
			return usageErr(err, "")
		}
		if n, err = db.Forget(ctx, "dir:"+filepath.ToSlash(abs), ""); err != nil {
			return err
		}
	} else {
		if n, err = forgetFiles(ctx, db, files); err != nil {
			return err
		}
	}
	fmt.Fprintf(g.stdout, "forgot %d document record(s); the next sync sends them again\n", n)
	return nil
}

// forgetFiles finds, for each file, the source whose folder holds it.
func forgetFiles(ctx context.Context, db *state.DB, files []string) (int64, error) {
	scopes, err := db.Scopes(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return total, usageErr(err, "")
		}
		abs = filepath.ToSlash(abs)
		found := false
		for _, sc := range scopes {
			root := strings.TrimPrefix(sc.Source, "dir:")
			key, ok := strings.CutPrefix(abs, strings.TrimSuffix(root, "/")+"/")
			if !strings.HasPrefix(sc.Source, "dir:") || !ok {
				continue
			}
			n, err := db.Forget(ctx, sc.Source, key)
			if err != nil {
				return total, err
			}
			total += n
			found = found || n > 0
		}
		if !found {
			return total, usageErr(fmt.Errorf("%s: no document of a synced folder has this path", f), "lanying-ingest status lists the synced folders")
		}
	}
	return total, nil
}
