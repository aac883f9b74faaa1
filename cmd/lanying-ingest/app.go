package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lanyingim/lanying-ingest/cmd/lanying-ingest/internal/config"
	"github.com/lanyingim/lanying-ingest/ingest"
	"github.com/lanyingim/lanying-ingest/lanying"
	"github.com/lanyingim/lanying-ingest/lanying/emulator"
	"github.com/lanyingim/lanying-ingest/uploader"
)

// app is the Lanying app a run delivers to, and the clients to reach it.
type app struct {
	api      *lanying.Client
	up       *uploader.Uploader
	endpoint string
	scope    string           // endpoint and app id: a target's ID without the chatbot
	admin    int64            // the default knowledge-base admin
	chatbot  int64            // the default chatbot
	emu      *emulator.Server // the built-in emulator, when no endpoint is configured
}

// targetFor is the chatbot a source goes to: its own, or the app's.
func (a *app) targetFor(s config.Source) ingest.Target {
	t := ingest.Target{AdminUserID: a.admin, ChatbotID: a.chatbot}
	if s.ChatbotID != 0 {
		t.ChatbotID = s.ChatbotID
	}
	if s.AdminUserID != 0 {
		t.AdminUserID = s.AdminUserID
	}
	t.ID = a.scope + "|" + strconv.FormatInt(t.ChatbotID, 10)
	return t
}

func (a *app) close() {
	if a.emu != nil {
		_ = a.emu.Close()
	}
}

// connect builds the clients for the configured app, or starts the
// built-in emulator when no endpoint is configured.
func connect(ctx context.Context, cfg *config.Config, g *globals, folders []folder) (*app, error) {
	l := cfg.Lanying
	transport, err := newTransport(max(cfg.Concurrency, ingest.DefaultConcurrency), cfg.CAFile)
	if err != nil {
		return nil, err
	}
	a := &app{up: uploader.New(&http.Client{Transport: transport}, uploader.WithBandwidth(int64(cfg.UploadBandwidth)))}
	if l.APIEndpoint == "" {
		srv, err := emulator.Start("127.0.0.1:0", emulator.Config{AppID: l.AppID, AccessToken: l.AccessToken.Reveal(),
			AdminUserID: l.AdminUserID, ChatbotID: l.ChatbotID, Chatbots: sourceChatbots(folders, l)})
		if err != nil {
			return nil, err
		}
		ec := srv.Config()
		fmt.Fprintf(g.stderr, "lanying-ingest: no api_endpoint configured: using the built-in emulator at %s; nothing leaves this machine\n", srv.URL)
		a.emu, a.endpoint = srv, srv.URL
		l.AppID, l.AccessToken, l.AdminUserID, l.ChatbotID = ec.AppID, config.Secret(ec.AccessToken), ec.AdminUserID, ec.ChatbotID
		a.scope = "emulator|" + l.AppID
	} else {
		if err := requireApp(l); err != nil {
			return nil, err
		}
		a.endpoint = strings.TrimRight(l.APIEndpoint, "/")
		a.scope = a.endpoint + "|" + l.AppID
	}
	api, err := lanying.NewClient(a.endpoint, l.AppID, l.AccessToken.Reveal(),
		lanying.WithHTTPClient(newAPIHTTPClient(transport, cfg)),
		lanying.WithUserAgent("lanying-ingest/"+version))
	if err != nil {
		a.close()
		return nil, usageErr(err, "")
	}
	a.api = api
	a.admin, a.chatbot = l.AdminUserID, l.ChatbotID
	return a, nil
}

// sourceChatbots are the chatbots sources name of their own, for the
// built-in emulator to know them (chatbot → admin).
func sourceChatbots(folders []folder, l config.Lanying) map[int64]int64 {
	m := map[int64]int64{}
	admin := l.AdminUserID
	if admin == 0 {
		admin = emulator.DefaultAdminUserID
	}
	for _, f := range folders {
		if f.spec.ChatbotID != 0 {
			m[f.spec.ChatbotID] = firstID(f.spec.AdminUserID, admin)
		}
	}
	return m
}

// requireApp checks that a real app is fully configured.
func requireApp(l config.Lanying) error {
	var missing []string
	if l.AppID == "" {
		missing = append(missing, "app_id ("+config.EnvAppID+")")
	}
	if l.AccessToken == "" {
		missing = append(missing, "access_token ("+config.EnvToken+")")
	}
	if l.AdminUserID == 0 {
		missing = append(missing, "admin_user_id ("+config.EnvAdmin+")")
	}
	if l.ChatbotID == 0 {
		missing = append(missing, "chatbot_id ("+config.EnvChatbot+")")
	}
	if len(missing) > 0 {
		return usageErr(errors.New("api_endpoint is set but these are missing: "+strings.Join(missing, ", ")),
			"set them in the lanying: section of the configuration or in the environment")
	}
	return nil
}

// DefaultAPITimeout bounds one API call when api_timeout is not set.
const DefaultAPITimeout = time.Minute

// newAPIHTTPClient bounds every API call by api_timeout.
func newAPIHTTPClient(t *http.Transport, cfg *config.Config) *http.Client {
	timeout := DefaultAPITimeout
	if cfg.APITimeout > 0 {
		timeout = time.Duration(cfg.APITimeout)
	}
	return &http.Client{Transport: t, Timeout: timeout}
}

// newTransport is one connection pool for the API and the storage, sized
// for the workers, with large write buffers for uploads. TLS is always
// verified; caFile adds roots to the system's.
func newTransport(workers int, caFile string) (*http.Transport, error) {
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, usageErr(fmt.Errorf("ca_file: %w", err), "")
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, usageErr(fmt.Errorf("ca_file %s holds no PEM certificate", caFile), "give a file of -----BEGIN CERTIFICATE----- blocks")
		}
		tlsConfig.RootCAs = pool
	}
	return &http.Transport{
		TLSClientConfig:       tlsConfig,
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4 * workers,
		MaxIdleConnsPerHost:   2 * workers,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 2 * time.Minute,
		ExpectContinueTimeout: time.Second,
		WriteBufferSize:       256 << 10,
		ReadBufferSize:        64 << 10,
	}, nil
}
