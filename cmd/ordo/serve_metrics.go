package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/metrics"
	"github.com/ordohq/ordo/store"
)

func init() {
	serveExtensions = append(serveExtensions, func() serveExtension { return &metricsListener{} })
}

// newServeMetrics returns the server's Prometheus metrics; they are given
// to the engine as its Observer before it is created.
func newServeMetrics(log *slog.Logger) *metrics.Metrics {
	return metrics.New(&metrics.Options{Logger: log})
}

// serveMetrics adds GET /metrics to the API, behind the read scope like
// every GET, and the store's figures (instances by status, the oldest due
// instance, the connection pool) to the metrics.
func serveMetrics(m *metrics.Metrics, srv *api.Server, st store.Store) {
	m.WatchStore(st)
	srv.HandleHTTP("GET /metrics", m.Handler())
}

// metricsListener is --metrics-addr: GET /metrics, and nothing else,
// without authentication on a listener of its own, for a Prometheus agent
// on the same machine or network.
type metricsListener struct{ addr string }

func (x *metricsListener) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&x.addr, "metrics-addr", "", "also serve GET /metrics WITHOUT authentication on this address "+
		"(a port alone, \":9464\", binds 127.0.0.1); off by default: /metrics on --addr needs a read key")
}

// setup listens on --metrics-addr and serves until ctx ends.
func (x *metricsListener) setup(ctx context.Context, s *serverParts) error {
	if x.addr == "" {
		return nil
	}
	addr, err := metricsAddr(x.addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--metrics-addr: listen on %s: %w", addr, err)
	}
	loopback := isLoopbackAddr(addr)
	mux := http.NewServeMux()
	h := s.metrics.Handler()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		// On loopback, a page on another site whose name resolves to
		// 127.0.0.1 (DNS rebinding) must not read the metrics.
		if loopback && !isLoopbackAddr(r.Host) {
			http.Error(w, "metrics are served to loopback names only", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: time.Minute, MaxHeaderBytes: 16 << 10,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	if loopback {
		s.log.Info("ordo: serving metrics", "addr", ln.Addr().String(), "auth", "none")
	} else {
		s.log.Warn("ordo: serving metrics WITHOUT authentication on a non-loopback address; anyone who reaches it reads them",
			"addr", ln.Addr().String())
	}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("ordo: metrics listener failed", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	return nil
}

// metricsAddr reads --metrics-addr: host:port, or :port for 127.0.0.1.
func metricsAddr(v string) (string, error) {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return "", &exitError{code: 2, err: fmt.Errorf("--metrics-addr %q: want host:port or :port: %w", v, err)}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}
