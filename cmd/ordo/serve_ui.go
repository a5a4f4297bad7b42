package main

import (
	"context"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/ui"
)

func init() {
	serveExtensions = append(serveExtensions, func() serveExtension { return &uiExtension{} })
}

// uiExtension serves the web dashboard (package ui) under /ui/ and
// redirects / to it, unless --ui=false.
type uiExtension struct {
	enabled bool
}

func (x *uiExtension) flags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&x.enabled, "ui", true, "serve the web dashboard under /ui/ (and redirect / to it); --ui=false serves the API alone")
}

func (x *uiExtension) setup(_ context.Context, s *serverParts) error {
	if !x.enabled {
		return nil
	}
	dash, err := ui.New(ui.Config{Engine: s.engine, Logger: s.log})
	if err != nil {
		return err
	}
	s.api.HandleHTTP("/ui/", dash)
	s.api.HandleHTTP("GET /{$}", http.RedirectHandler("/ui/", http.StatusFound))
	return nil
}
