package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/ui"
)

func init() {
	serveExtensions = append(serveExtensions, func() serveExtension { return &uiExtension{} })
}

// uiExtension serves the web dashboard (package ui) under /ui/ and
// redirects / to it, unless --ui=false. When the server requires API keys
// the dashboard signs its users in with a key (/ui/login).
type uiExtension struct {
	enabled    bool
	sessionTTL time.Duration
}

func (x *uiExtension) flags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&x.enabled, "ui", true, "serve the web dashboard under /ui/ (and redirect / to it); --ui=false serves the API alone")
	cmd.Flags().DurationVar(&x.sessionTTL, "ui-session-ttl", ui.DefaultSessionTTL, "how long a dashboard sign-in lasts (1m to 720h)")
}

func (x *uiExtension) setup(_ context.Context, s *serverParts) error {
	if !x.enabled {
		return nil
	}
	if x.sessionTTL < ui.MinSessionTTL || x.sessionTTL > ui.MaxSessionTTL {
		return fmt.Errorf("--ui-session-ttl must be between %s and %s, got %s", ui.MinSessionTTL, ui.MaxSessionTTL, x.sessionTTL)
	}
	if err := setupBulk(s); err != nil { // the bulk actions of the orders page
		return err
	}
	cfg := ui.Config{Engine: s.engine, Logger: s.log, Auth: s.auth, SessionTTL: x.sessionTTL,
		TrustedOrigins: s.trustedOrigins, Schedules: s.scheduler, Orders: s.orders, Bulk: s.bulk}
	_, cfg.Events = s.store.(store.PublishStore)
	if ws, ok := s.store.(store.WebhookStore); ok {
		cfg.Webhooks = ws
	}
	dash, err := ui.New(cfg)
	if err != nil {
		return err
	}
	s.api.HandleHTTP("/ui/", dash)
	s.api.HandleHTTP("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	return nil
}
