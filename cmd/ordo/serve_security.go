package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/store"
)

// securityOptions are the flags of `ordo serve` that keep it safe on a
// network: authentication, allowed hosts, TLS and connection timeouts.
type securityOptions struct {
	apiKeyFile        string
	insecureNoAuth    bool
	allowedHosts      []string
	trustedOrigins    []string
	tlsCert           string
	tlsKey            string
	readTimeout       time.Duration
	readHeaderTimeout time.Duration
	writeTimeout      time.Duration
	idleTimeout       time.Duration
	maxHeaderBytes    int
	maxJSONDepth      int
}

func (o *securityOptions) flags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.apiKeyFile, "api-key-file", "", "file holding a bootstrap admin API key (like ORDO_API_KEY; never stored)")
	f.BoolVar(&o.insecureNoAuth, "insecure-no-auth", false, "serve a non-loopback address without API keys (anyone who reaches the port can do anything)")
	f.StringSliceVar(&o.allowedHosts, "allowed-hosts", nil, "Host header names the server answers to, against DNS rebinding (default: localhost, 127.0.0.1 and ::1 on loopback; the machine's addresses and host name otherwise)")
	f.StringSliceVar(&o.trustedOrigins, "trusted-origins", nil, "extra origins (https://ops.example.com) whose pages may send state-changing requests")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM); needs --tls-key")
	f.StringVar(&o.tlsKey, "tls-key", "", "private key (PEM) of --tls-cert")
	f.DurationVar(&o.readTimeout, "read-timeout", 30*time.Second, "longest time to read a whole request, body included (a client sending its body slowly is cut off)")
	f.DurationVar(&o.readHeaderTimeout, "read-header-timeout", 10*time.Second, "longest time to read a request's headers")
	f.DurationVar(&o.writeTimeout, "write-timeout", 60*time.Second, "longest time to write an answer (a client that does not read is cut off); file downloads get 10 minutes more")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 60*time.Second, "how long an idle keep-alive connection is kept open")
	f.IntVar(&o.maxHeaderBytes, "max-header-bytes", 64<<10, "largest request header block, in bytes")
	f.IntVar(&o.maxJSONDepth, "max-json-depth", 64, "deepest nesting of objects and arrays accepted in a JSON request body")
}

// bootstrapKey returns the admin key from ORDO_API_KEY or --api-key-file.
func (o *securityOptions) bootstrapKey() (string, error) {
	key := strings.TrimSpace(os.Getenv("ORDO_API_KEY"))
	if o.apiKeyFile != "" {
		b, err := os.ReadFile(o.apiKeyFile)
		if err != nil {
			return "", fmt.Errorf("--api-key-file: %w", err)
		}
		if key != "" {
			return "", errors.New("both ORDO_API_KEY and --api-key-file are set; use one")
		}
		key = strings.TrimSpace(string(b))
		if key == "" {
			return "", fmt.Errorf("--api-key-file %s is empty", o.apiKeyFile)
		}
	}
	return key, nil
}

// newAuthenticator builds the server's authenticator over the store's
// keys and the bootstrap key.
func (o *securityOptions) newAuthenticator(st store.Store, log *slog.Logger) (*auth.Authenticator, error) {
	key, err := o.bootstrapKey()
	if err != nil {
		return nil, err
	}
	ks, _ := st.(store.KeyStore)
	a, err := auth.New(auth.Config{Store: ks, BootstrapKey: key, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("ORDO_API_KEY: %w", err)
	}
	return a, nil
}

// checkExposure refuses to serve a non-loopback address without
// authentication unless --insecure-no-auth, and logs how the server is
// protected.
func (o *securityOptions) checkExposure(ctx context.Context, addr string, a *auth.Authenticator, log *slog.Logger) error {
	required, err := a.Required(ctx)
	if err != nil {
		return err
	}
	loopback := isLoopbackAddr(addr)
	switch {
	case required:
		log.Info("ordo: API keys required")
	case loopback:
		log.Warn("ordo: serving without authentication on loopback; anyone on this machine can use the API " +
			"(create a key with `ordo keys create NAME --scope admin` to require keys)")
	case o.insecureNoAuth:
		log.Warn("ordo: --insecure-no-auth: serving " + addr + " WITHOUT authentication; anyone who reaches the port can apply flows, create and cancel orders")
	default:
		return &exitError{code: 2, err: fmt.Errorf("refusing to serve %s without authentication: it is not a loopback address. "+
			"Create an admin key first (`ordo keys create admin --scope admin --data-dir DIR`, or --postgres URL) "+
			"or set ORDO_API_KEY to a random key (`ordo keys generate`); --insecure-no-auth serves anyway", addr)}
	}
	return nil
}

// isLoopbackAddr reports whether a listen address is on loopback only.
func isLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// hosts returns the Host names the server answers to: --allowed-hosts, or
// by default localhost and the loopback addresses, plus, when bound to
// another address, that address (every local address and the host name
// for a wildcard bind).
func (o *securityOptions) hosts(addr string) []string {
	if len(o.allowedHosts) > 0 {
		return o.allowedHosts
	}
	out := []string{"localhost", "127.0.0.1", "::1"}
	if isLoopbackAddr(addr) {
		return out
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if host != "" && (ip == nil || !ip.IsUnspecified()) {
		return append(out, host)
	}
	if name, err := os.Hostname(); err == nil && name != "" {
		out = append(out, name)
	}
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				out = append(out, n.IP.String())
			}
		}
	}
	return out
}

// httpServer returns the HTTP server with the timeouts and header limit.
func (o *securityOptions) httpServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadTimeout:       o.readTimeout,
		ReadHeaderTimeout: o.readHeaderTimeout,
		WriteTimeout:      o.writeTimeout,
		IdleTimeout:       o.idleTimeout,
		MaxHeaderBytes:    o.maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		TLSConfig:         &tls.Config{MinVersion: tls.VersionTLS12},
	}
}

// checkTLS checks that --tls-cert and --tls-key come together and load.
func (o *securityOptions) checkTLS() error {
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return &exitError{code: 2, err: errors.New("--tls-cert and --tls-key go together")}
	}
	if o.tlsCert != "" {
		if _, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey); err != nil {
			return &exitError{code: 2, err: fmt.Errorf("--tls-cert/--tls-key: %w", err)}
		}
	}
	return nil
}

// check validates the security flags before anything starts.
func (o *securityOptions) check() error {
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"--read-timeout", o.readTimeout}, {"--read-header-timeout", o.readHeaderTimeout}, {"--write-timeout", o.writeTimeout}, {"--idle-timeout", o.idleTimeout}} {
		if d.v <= 0 {
			return &exitError{code: 2, err: fmt.Errorf("%s must be positive, got %s", d.name, d.v)}
		}
	}
	if o.maxHeaderBytes < 4<<10 || o.maxHeaderBytes > 16<<20 {
		return &exitError{code: 2, err: fmt.Errorf("--max-header-bytes must be between 4096 and 16777216, got %d", o.maxHeaderBytes)}
	}
	if o.maxJSONDepth < 4 || o.maxJSONDepth > 10000 {
		return &exitError{code: 2, err: fmt.Errorf("--max-json-depth must be between 4 and 10000, got %d", o.maxJSONDepth)}
	}
	return o.checkTLS()
}
