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

// app is the chatbot a run delivers to, and the clients to reach it.
type app struct {
	api      *lanying.Client
	up       *uploader.Uploader
	target   ingest.Target
	endpoint string
	emu      *emulator.Server // the built-in emulator, when no endpoint is configured
}

func (a *app) close() {
	if a.emu != nil {
		_ = a.emu.Close()
	}
}

// connect builds the clients for the configured app, or starts the
// built-in emulator when no endpoint is configured.
func connect(ctx context.Context, cfg *config.Config, g *globals) (*app, error) {
	l := cfg.Lanying
	transport, err := newTransport(max(cfg.Concurrency, ingest.DefaultConcurrency), cfg.CAFile)
	if err != nil {
		return nil, err
	}
	a := &app{up: uploader.New(&http.Client{Transport: transport}, uploader.WithBandwidth(int64(cfg.UploadBandwidth)))}
	if l.APIEndpoint == "" {
		srv, err := emulator.Start("127.0.0.1:0", emulator.Config{AppID: l.AppID, AccessToken: l.AccessToken.Reveal(),
			AdminUserID: l.AdminUserID, ChatbotID: l.ChatbotID})
		if err != nil {
			return nil, err
		}
		ec := srv.Config()
		fmt.Fprintf(g.stderr, "lanying-ingest: no api_endpoint configured: using the built-in emulator at %s; nothing leaves this machine\n", srv.URL)
		a.emu, a.endpoint = srv, srv.URL
		l.AppID, l.AccessToken, l.AdminUserID, l.ChatbotID = ec.AppID, config.Secret(ec.AccessToken), ec.AdminUserID, ec.ChatbotID
		a.target.ID = "emulator|" + l.AppID + "|" + strconv.FormatInt(l.ChatbotID, 10)
	} else {
		if err := requireApp(l); err != nil {
			return nil, err
		}
		a.endpoint = strings.TrimRight(l.APIEndpoint, "/")
		a.target.ID = a.endpoint + "|" + l.AppID + "|" + strconv.FormatInt(l.ChatbotID, 10)
	}
	api, err := lanying.NewClient(a.endpoint, l.AppID, l.AccessToken.Reveal(),
		lanying.WithHTTPClient(&http.Client{Transport: transport, Timeout: apiTimeout(cfg)}),
		lanying.WithUserAgent("lanying-ingest/"+version))
	if err != nil {
		a.close()
		return nil, usageErr(err, "")
	}
	a.api = api
	a.target.AdminUserID, a.target.ChatbotID = l.AdminUserID, l.ChatbotID
	return a, nil
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

func apiTimeout(cfg *config.Config) time.Duration {
	if cfg.APITimeout > 0 {
		return time.Duration(cfg.APITimeout)
	}
	return DefaultAPITimeout
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
