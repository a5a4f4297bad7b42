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
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/artifact/pgartifact"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/bulk"
	"github.com/ordohq/ordo/metrics"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/sqlite"
)

func init() { register(newServeCmd) }

// serveOptions are the flags of `ordo serve`; each also reads ORDO_<NAME>.
type serveOptions struct {
	addr            string
	dataDir         string
	postgres        string
	concurrency     int
	leaseDuration   time.Duration
	codeVersion     string
	compatible      []string
	shutdownTimeout time.Duration
	logLevel        string
	logFormat       string
	retention       string
	security        securityOptions
	limits          engineLimits
	extra           []serveExtension
}

// serveExtension lets other files of the command add flags and wire
// resources (flows, orders) into the server.
type serveExtension interface {
	flags(cmd *cobra.Command)
	setup(ctx context.Context, s *serverParts) error
}

var serveExtensions []func() serveExtension

// serveHook, when set (by a test), is called with the server's parts once
// every route is registered, before it serves.
var serveHook func(*serverParts)

// serverParts is what a running server is made of.
type serverParts struct {
	log     *slog.Logger
	dataDir string
	store   store.Store
	// artifacts keeps generated files: under dataDir/files with SQLite, in
	// the database with --postgres (so every worker serves every file).
	artifacts artifact.Store
	engine    *ordo.Engine
	api       *api.Server
	// auth checks API keys; the dashboard signs in with it.
	auth *auth.Authenticator
	// addr is the address the server listens on (host:port, port known).
	addr string
	// trustedOrigins are --trusted-origins: other origins whose pages may
	// post (a dashboard behind a proxy).
	trustedOrigins []string
	// scheduler fires the stored schedules; nil when the store keeps none.
	scheduler *schedule.Scheduler
	// orders is the order service (set by the orders extension, which
	// runs before the dashboard's); the dashboard shows its orders.
	orders *order.Service
	// metrics are the server's Prometheus metrics (GET /metrics).
	metrics *metrics.Metrics
	// bulk runs bulk jobs (set by setupBulk, after the extensions).
	bulk *bulk.Service
}

func newServeCmd() *cobra.Command {
	o := &serveOptions{}
	for _, x := range serveExtensions {
		o.extra = append(o.extra, x())
	}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the engine and the HTTP API (embedded SQLite by default, or PostgreSQL)",
		Long: `Run the Ordo engine and its HTTP API.

By default the instances live in SQLite under --data-dir: one process. With
--postgres URL they live in PostgreSQL, and any number of ordo serve
processes, on any number of machines, share the work: each claims runnable
instances with FOR UPDATE SKIP LOCKED, holds them by a lease it renews, and
picks up the instances of a worker that died once its lease expires
(--lease-duration). Generated files are kept in the database too, so every
worker serves them. The schema is created or updated at start.

Every flag can also be set with an ORDO_ environment variable:
--addr is ORDO_ADDR, --data-dir is ORDO_DATA_DIR, and so on; --postgres is
also read from ORDO_POSTGRES_URL.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd); err != nil {
				return err
			}
			if o.postgres == "" {
				o.postgres = os.Getenv("ORDO_POSTGRES_URL")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runServe(ctx, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&o.dataDir, "data-dir", "./ordo-data", "directory holding the SQLite database and generated files (unused with --postgres)")
	f.StringVar(&o.postgres, "postgres", "", "PostgreSQL URL, e.g. postgres://ordo@db:5432/ordo: keep everything there and share the work with other ordo serve processes")
	f.IntVar(&o.concurrency, "concurrency", 32, "instances run at once")
	f.StringVar(&o.codeVersion, "code-version", "", "the code version this server's instances record and the only one it runs besides --compatible-versions (default: the build's VCS revision; none, running every version, when the build has none)")
	f.StringSliceVar(&o.compatible, "compatible-versions", nil, "other code versions whose instances this server may run; * for every version")
	f.DurationVar(&o.leaseDuration, "lease-duration", 0, "how long a claimed instance stays leased without a heartbeat: how soon others pick up a dead worker's instances (default 30s; 10s with --postgres)")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long a graceful stop waits for running steps")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	f.StringVar(&o.logFormat, "log-format", "text", "text (key=value lines) or json (one JSON object a line), on stderr")
	retentionFlag(cmd, &o.retention)
	o.security.flags(cmd)
	o.limits.flags(cmd)
	for _, x := range o.extra {
		x.flags(cmd)
	}
	return cmd
}

// newLogger returns the server's logger on stderr: --log-level and
// --log-format (text or json). A bad value is a usage error (exit 2).
func newLogger(level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, &exitError{code: 2, err: fmt.Errorf("--log-level: %w", err)}
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, &exitError{code: 2, err: fmt.Errorf("--log-format %q: want text or json", format)}
}

func runServe(ctx context.Context, o *serveOptions) error {
	log, err := newLogger(o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	if err := o.security.check(); err != nil {
		return err
	}
	tr, err := setupTracing(ctx, log)
	if err != nil {
		return err
	}
	st, files, where, err := openStorage(ctx, o, log)
	if err != nil {
		return err
	}
	defer st.Close()
	authn, err := o.security.newAuthenticator(st, log)
	if err != nil {
		return err
	}
	if err := o.security.checkExposure(ctx, o.addr, authn, log); err != nil {
		return err
	}
	lease := o.leaseDuration
	if lease == 0 && o.postgres != "" {
		lease = 10 * time.Second
	}
	ecfg := ordo.Config{Store: st, Concurrency: o.concurrency, Logger: log, LeaseDuration: lease,
		Version: o.codeVersion, CompatibleVersions: o.compatible, Interceptor: testStepInterceptor}
	if err := o.limits.apply(&ecfg); err != nil {
		return err
	}
	waiters := api.NewWaiters() // wakes the creates with ?wait= when this engine finishes their instance
	ecfg.OnFinish = waiters.Notify
	mt := newServeMetrics(log)
	ecfg.Observer = mt
	eng, err := ordo.NewEngine(ecfg)
	if err != nil {
		return err
	}
	// A part that fails to set up returns early: stop what was made by
	// then, so that no goroutine of it outlives serve.
	var srv *api.Server
	servedUp := false
	defer func() {
		if servedUp {
			return
		}
		sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
		defer cancel()
		if srv != nil {
			_ = srv.Close(sctx)
		}
		_ = eng.Stop(sctx)
	}()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.addr, err)
	}
	defer ln.Close()
	audit, _ := st.(store.KeyStore)
	srv, err = api.New(api.Config{Engine: eng, Logger: log, Auth: authn, AllowedHosts: o.security.hosts(o.addr),
		TrustedOrigins: o.security.trustedOrigins, MaxJSONDepth: o.security.maxJSONDepth, Audit: audit,
		Waiters: waiters, MaxWait: maxWait(o.security.writeTimeout)})
	if err != nil {
		return err
	}
	serveMetrics(mt, srv, st)
	sch, err := newScheduler(eng, srv, log, mt)
	if err != nil {
		return err
	}
	parts := &serverParts{log: log, dataDir: o.dataDir, store: st, artifacts: files, engine: eng, api: srv, metrics: mt,
		auth: authn, addr: ln.Addr().String(), trustedOrigins: o.security.trustedOrigins, scheduler: sch}
	for _, x := range o.extra {
		if err := x.setup(ctx, parts); err != nil {
			return err
		}
	}
	if err := setupBulk(parts); err != nil {
		return err
	}
	ret, err := newRetention(eng, o.retention, log, mt)
	if err != nil {
		return err
	}
	if err := eng.Start(ctx); err != nil {
		return err
	}
	if err := ret.Start(ctx); err != nil {
		return err
	}
	if err := startScheduler(ctx, sch); err != nil {
		stopRetention(ctx, ret, log)
		return err
	}
	servedUp = true
	if serveHook != nil {
		serveHook(parts)
	}
	hs := o.security.httpServer(tr.handler(srv), log)
	hs.RegisterOnShutdown(srv.EndWaits)
	scheme := "http"
	if o.security.tlsCert != "" {
		scheme = "https"
	}
	log.Info("ordo: serving", "addr", ln.Addr().String(), "scheme", scheme, "db", where)
	errc := make(chan error, 1)
	go func() {
		if scheme == "https" {
			errc <- hs.ServeTLS(ln, o.security.tlsCert, o.security.tlsKey)
			return
		}
		errc <- hs.Serve(ln)
	}()
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
	if err := srv.Close(sctx); err != nil {
		log.Warn("ordo: flush audit entries", "err", err)
	}
	stopScheduler(sctx, sch, log)
	stopRetention(sctx, ret, log)
	if err := eng.Stop(sctx); err != nil {
		log.Warn("ordo: engine stop", "err", err)
	}
	tr.shutdown(sctx, log)
	return nil
}

// openStorage opens and migrates the store and the artifact store the
// flags choose: SQLite and files under --data-dir, or PostgreSQL for both.
// It returns them with a description of where they are, for the logs.
func openStorage(ctx context.Context, o *serveOptions, log *slog.Logger) (store.Store, artifact.Store, string, error) {
	if o.postgres != "" {
		st, err := postgres.Open(ctx, o.postgres, &postgres.Options{Logger: log})
		if err != nil {
			return nil, nil, "", fmt.Errorf("--postgres: %w", err)
		}
		where := "postgres schema " + st.Schema()
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, nil, "", fmt.Errorf("--postgres: %w", err)
		}
		files, err := pgartifact.New(st.Pool(), nil)
		if err == nil {
			err = files.Migrate(ctx)
		}
		if err != nil {
			st.Close()
			return nil, nil, "", fmt.Errorf("--postgres: %w", err)
		}
		return st, files, where, nil
	}
	if err := os.MkdirAll(o.dataDir, 0o755); err != nil {
		return nil, nil, "", fmt.Errorf("create data dir: %w", err)
	}
	dbPath := filepath.Join(o.dataDir, "ordo.db")
	st, err := sqlite.Open(ctx, dbPath, nil)
	if err != nil {
		return nil, nil, "", fmt.Errorf("open %s: %w", dbPath, err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, nil, "", fmt.Errorf("migrate %s: %w", dbPath, err)
	}
	files, err := artifact.NewFS(filepath.Join(o.dataDir, "files"))
	if err != nil {
		st.Close()
		return nil, nil, "", err
	}
	return st, files, dbPath, nil
}

// maxWait is the longest ?wait= of a create: api.DefaultMaxWait, or less
// with a --write-timeout under a minute, so that the answer still goes out.
func maxWait(writeTimeout time.Duration) time.Duration {
	if writeTimeout <= 0 {
		return api.DefaultMaxWait
	}
	return max(min(api.DefaultMaxWait, writeTimeout*5/6), time.Millisecond)
}
