package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanyingim/lanying-ingest/cmd/lanying-ingest/internal/config"
	"github.com/lanyingim/lanying-ingest/lanying/emulator"
)

type emulatorOptions struct {
	addr         string
	appID        string
	adminUserID  int64
	chatbotID    int64
	uploadMethod string
	slotTTL      time.Duration
	maxObject    string
	dedupWindow  time.Duration
	faults       emulator.Faults
}

func (o *emulatorOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:7070", "address to listen on (loopback unless you say otherwise)")
	f.StringVar(&o.appID, "app-id", emulator.DefaultAppID, "the app id it accepts")
	f.Int64Var(&o.adminUserID, "admin-user-id", emulator.DefaultAdminUserID, "the knowledge-base admin's user id")
	f.Int64Var(&o.chatbotID, "chatbot-id", emulator.DefaultChatbotID, "the chatbot's user id")
	f.StringVar(&o.uploadMethod, "upload-method", "POST", "upload slots as POST (multipart form) or PUT (presigned URL)")
	f.DurationVar(&o.slotTTL, "slot-ttl", emulator.DefaultSlotTTL, "how long an upload slot's policy is valid")
	f.StringVar(&o.maxObject, "max-object-size", "5GiB", "largest upload the slots allow")
	f.DurationVar(&o.dedupWindow, "dedup-window", 0, "how long a transaction_id is remembered (0: for the emulator's lifetime)")
	f.DurationVar(&o.faults.Latency, "latency", 0, "fault injection: added to every API and storage request")
	f.Float64Var(&o.faults.FailureRate, "failure-rate", 0, "fault injection: share (0..1) of API and storage requests that fail: HTTP 500/503, 429 with Retry-After, codes 20000/10009, connection resets, lost acknowledgements")
	f.DurationVar(&o.faults.SlowBody, "slow-body", 0, "fault injection: replies trickle out over this long")
	f.Uint64Var(&o.faults.Seed, "seed", 0, "fault injection: seed for a repeatable mix (0: random)")
}

func newEmulatorCommand(g *globals) *cobra.Command {
	o := &emulatorOptions{}
	cmd := &cobra.Command{
		Use:   "emulator",
		Short: "Run a local Lanying app and object store to try lanying-ingest against",
		Long: `emulator serves a strict local copy of the parts of Lanying IM that lanying-ingest
uses: upload slots, object storage uploads (PostObject or presigned PUT) and
/message/send, with the real service's headers, error codes and storage rules.
It accepts the access token in LANYING_ACCESS_TOKEN, or "` + emulator.DefaultAccessToken + `".

What the chatbot received: GET /_emulator/documents. Counters: GET /_emulator/stats.`,
		Example: `  lanying-ingest emulator --addr 127.0.0.1:7070 &
  LANYING_API_ENDPOINT=http://127.0.0.1:7070 LANYING_APP_ID=` + emulator.DefaultAppID + ` \
  LANYING_ACCESS_TOKEN=` + emulator.DefaultAccessToken + ` LANYING_ADMIN_USER_ID=1001 LANYING_CHATBOT_ID=2001 \
    lanying-ingest sync ./docs
  curl -s http://127.0.0.1:7070/_emulator/documents`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEmulator(cmd.Context(), o, g)
		},
	}
	o.register(cmd)
	return cmd
}

func runEmulator(ctx context.Context, o *emulatorOptions, g *globals) error {
	method := strings.ToUpper(o.uploadMethod)
	if method != http.MethodPost && method != http.MethodPut {
		return usageErr(fmt.Errorf("--upload-method %q: want POST or PUT", o.uploadMethod), "")
	}
	if o.faults.FailureRate < 0 || o.faults.FailureRate > 1 {
		return usageErr(fmt.Errorf("--failure-rate %v: want a share between 0 and 1", o.faults.FailureRate), "")
	}
	maxObject, err := config.ParseByteSize(o.maxObject)
	if err != nil {
		return usageErr(fmt.Errorf("--max-object-size: %w", err), "")
	}
	srv, err := emulator.Start(o.addr, emulator.Config{
		AppID: o.appID, AccessToken: g.getenv(config.EnvToken), AdminUserID: o.adminUserID, ChatbotID: o.chatbotID,
		UploadMethod: method, SlotTTL: o.slotTTL, MaxObject: int64(maxObject), Logger: g.logger,
		Faults: o.faults, DedupWindow: o.dedupWindow,
	})
	if err != nil {
		return usageErr(err, "choose another --addr")
	}
	if host, _, err := net.SplitHostPort(o.addr); err == nil {
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			g.logger.Warn("the emulator listens beyond this machine; it accepts its well-known test token", "addr", o.addr)
		}
	}
	c := srv.Config()
	token := "from " + config.EnvToken
	if c.AccessToken == emulator.DefaultAccessToken {
		token = emulator.DefaultAccessToken
	}
	fmt.Fprintf(g.stdout, "lanying-ingest emulator listening on %s\n  api_endpoint:  %s\n  app_id:        %s\n  access_token:  %s\n"+
		"  admin_user_id: %d\n  chatbot_id:    %d\n  uploads:       %s\n  documents:     %s/_emulator/documents\n",
		srv.URL, srv.URL, c.AppID, token, c.AdminUserID, c.ChatbotID, c.UploadMethod, srv.URL)
	select {
	case <-ctx.Done():
		return srv.Close()
	case <-waitChan(srv):
		return srv.Wait()
	}
}

func waitChan(srv *emulator.Server) <-chan struct{} {
	ch := make(chan struct{})
	go func() { _ = srv.Wait(); close(ch) }()
	return ch
}
