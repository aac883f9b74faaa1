package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/lanyingim/lanying-ingest/cmd/lanying-ingest/internal/config"
	"github.com/lanyingim/lanying-ingest/lanying"
)

func newConfigCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with configuration files",
	}
	var path string
	check := &cobra.Command{
		Use:   "check --config FILE",
		Short: "Validate a configuration and verify its credentials",
		Long: `check reads the configuration as sync would (the file, then LANYING_* from the
environment), reports every problem with file, line and a hint, checks that
each source's folder exists, and verifies the credentials with one harmless API
call per chatbot (it asks for an upload slot and does not use it).`,
		Example: `  lanying-ingest config check --config /etc/lanying-ingest.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConfigCheck(cmd.Context(), path, g)
		},
	}
	check.Flags().StringVarP(&path, "config", "c", "", "the configuration file")
	_ = check.MarkFlagRequired("config")
	cmd.AddCommand(check)
	return cmd
}

func runConfigCheck(ctx context.Context, path string, g *globals) error {
	cfg, err := config.Load(path)
	if err != nil {
		return usageErr(err, "")
	}
	if err := cfg.ApplyEnv(g.getenv); err != nil {
		return usageErr(err, "")
	}
	if cfg.Lanying.AccessToken != "" && config.ReadableByOthers(path) {
		fmt.Fprintf(g.stdout, "warning: %s holds the access token and others can read it (chmod 600 %s)\n", path, path)
	}
	for i, s := range cfg.Sources {
		if _, err := os.Stat(s.Path); err != nil {
			return usageErr(&config.Error{File: path, Line: cfg.Line("sources", strconv.Itoa(i), "path"), Key: "sources." + strconv.Itoa(i) + ".path",
				Msg: err.Error()}, "the folder must exist and be readable by the user that runs lanying-ingest")
		}
	}
	fmt.Fprintf(g.stdout, "%s: syntax and values ok; %d source(s)\n", path, len(cfg.Sources))
	l := cfg.Lanying
	if l.APIEndpoint == "" {
		fmt.Fprintln(g.stdout, "no api_endpoint: sync would run against the built-in emulator")
		return nil
	}
	if err := requireApp(l); err != nil {
		return err
	}
	transport, err := newTransport(1, cfg.CAFile)
	if err != nil {
		return err
	}
	client, err := lanying.NewClient(l.APIEndpoint, l.AppID, l.AccessToken.Reveal(),
		lanying.WithHTTPClient(newAPIHTTPClient(transport, cfg)), lanying.WithUserAgent("lanying-ingest/"+version))
	if err != nil {
		return usageErr(err, "")
	}
	chatbots := map[int64]int64{l.ChatbotID: l.AdminUserID}
	for _, s := range cfg.Sources {
		if s.ChatbotID != 0 {
			chatbots[s.ChatbotID] = firstID(s.AdminUserID, l.AdminUserID)
		}
	}
	for bot, admin := range chatbots {
		if _, err := client.UploadSlot(ctx, lanying.SlotRequest{AdminUserID: admin, ChatbotID: bot}); err != nil {
			var api *lanying.APIError
			if errors.As(err, &api) && api.Fatal() {
				return usageErr(fmt.Errorf("chatbot %d, admin %d: %w", bot, admin, err), api.Hint())
			}
			return fmt.Errorf("chatbot %d: %w", bot, err)
		}
		fmt.Fprintf(g.stdout, "credentials ok: app %s at %s, admin %d may feed chatbot %d\n", l.AppID, l.APIEndpoint, admin, bot)
	}
	return nil
}

func firstID(a, b int64) int64 {
	if a != 0 {
		return a
	}
	return b
}
