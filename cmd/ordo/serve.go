package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

func init() { register(newServeCmd) }

// serveOptions are the flags of `ordo serve`; each also reads ORDO_<NAME>.
type serveOptions struct {
	addr            string
	dataDir         string
	concurrency     int
	shutdownTimeout time.Duration
	logLevel        string
	extra           []serveExtension
}

// serveExtension lets other files of the command add flags and wire
// resources (flows, orders) into the server.
type serveExtension interface {
	flags(cmd *cobra.Command)
	setup(ctx context.Context, s *serverParts) error
}

var serveExtensions []func() serveExtension

// serverParts is what a running server is made of.
type serverParts struct {
	log     *slog.Logger
	dataDir string
	store   store.Store
	engine  *ordo.Engine
	api     *api.Server
}

func newServeCmd() *cobra.Command {
	o := &serveOptions{}
	for _, x := range serveExtensions {
		o.extra = append(o.extra, x())
	}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the engine and the HTTP API (embedded SQLite by default)",
		Long: `Run the Ordo engine and its HTTP API.

Every flag can also be set with an ORDO_ environment variable:
--addr is ORDO_ADDR, --data-dir is ORDO_DATA_DIR, and so on.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runServe(ctx, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&o.dataDir, "data-dir", "./ordo-data", "directory holding the SQLite database and generated files")
	f.IntVar(&o.concurrency, "concurrency", 32, "instances run at once")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long a graceful stop waits for running steps")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	for _, x := range o.extra {
		x.flags(cmd)
	}
	return cmd
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

func runServe(ctx context.Context, o *serveOptions) error {
	log, err := newLogger(o.logLevel)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.dataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	dbPath := filepath.Join(o.dataDir, "ordo.db")
	st, err := sqlite.Open(ctx, dbPath, nil)
	if err != nil {
		return fmt.Errorf("open %s: %w", dbPath, err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", dbPath, err)
	}
	eng, err := ordo.NewEngine(ordo.Config{Store: st, Concurrency: o.concurrency, Logger: log})
	if err != nil {
		return err
	}
	srv, err := api.New(api.Config{Engine: eng, Logger: log})
	if err != nil {
		return err
	}
	parts := &serverParts{log: log, dataDir: o.dataDir, store: st, engine: eng, api: srv}
	for _, x := range o.extra {
		if err := x.setup(ctx, parts); err != nil {
			return err
		}
	}
	if err := eng.Start(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		_ = eng.Stop(context.Background())
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	log.Info("ordo: serving", "addr", ln.Addr().String(), "db", dbPath)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("ordo: http server failed", "err", err)
		}
	}
	log.Info("ordo: shutting down", "timeout", o.shutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	_ = hs.Shutdown(sctx)
	if err := eng.Stop(sctx); err != nil {
		log.Warn("ordo: engine stop", "err", err)
	}
	return nil
}
