package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
)

// Config configures the API handler.
type Config struct {
	// Engine serves the instance endpoints. Required.
	Engine *ordo.Engine
	// Logger receives request logs. Default slog.Default().
	Logger *slog.Logger
	// MaxBodyBytes limits request bodies. Default: the engine's payload
	// limit plus 64 KiB for the envelope.
	MaxBodyBytes int64
	// MaxJSONDepth limits how deeply a JSON request body may nest objects
	// and arrays. Default 64.
	MaxJSONDepth int
	// Auth authenticates requests with API keys. nil: every request is
	// allowed (a server on loopback without keys).
	Auth *auth.Authenticator
	// AllowedHosts lists the names (host or host:port) a request's Host
	// header may carry, against DNS rebinding: a page on another site whose
	// name resolves to this server's address is refused. Empty: every Host
	// is accepted. /healthz and /readyz accept any Host (probes use the
	// pod's address).
	AllowedHosts []string
	// TrustedOrigins lists origins ("https://ops.example.com") allowed to
	// make state-changing requests from a browser although they are not the
	// server's own (a dashboard behind a proxy).
	TrustedOrigins []string
	// Audit, if set, records every state-changing request (which key made
	// it, the method, path and status). Writes are batched.
	Audit AuditLog
	// Waiters wakes the creates that wait (?wait=) for their instance to
	// finish; give its Notify to the engine as ordo.Config.OnFinish. nil: a
	// Waiters the engine does not notify, whose waits find finishes by
	// looking at the instance (after 1 s, then every 2 to 4 s).
	Waiters *Waiters
	// MaxWait is the longest ?wait= a create accepts; keep it below the
	// HTTP server's write timeout. Default DefaultMaxWait (50 s).
	MaxWait time.Duration
	// MaxWaiting is how many requests may wait at once; a create past it
	// answers at once, as for ?wait=0s. Default DefaultMaxWaiting (10,000).
	MaxWaiting int
}

// Server is the HTTP API. Extra resources (flows, orders) add their routes
// with Handle before the server is used.
type Server struct {
	cfg    Config
	log    *slog.Logger
	mux    *http.ServeMux
	hosts  hostSet
	origin *http.CrossOriginProtection
	audit  *auditWriter
	// waiters wakes the requests waiting for instances (Config.Waiters).
	waiters *Waiters
	// routeList is every guarded route, in registration order.
	routeList []Route
	// patterns is every pattern registered on mux, in registration order.
	patterns []string
}

// Route is a registered API route and the scope it needs.
type Route struct {
	Pattern string
	Scope   auth.Scope
}

// Routes lists the guarded routes registered so far (not /healthz and
// /readyz, which are open, nor the dashboard, which signs in itself).
func (s *Server) Routes() []Route {
	var out []Route
	for _, r := range s.routeList {
		if !openPath(patternPath(r.Pattern)) {
			out = append(out, r)
		}
	}
	return out
}

// Patterns lists every ServeMux pattern registered so far, in
// registration order: the guarded routes, /healthz and /readyz, and the
// dashboard's. The OpenAPI drift test compares it with the document.
func (s *Server) Patterns() []string { return append([]string(nil), s.patterns...) }

// New returns the API server with the instance endpoints registered.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil {
		return nil, fmt.Errorf("%w: api.Config.Engine is required", ordo.ErrInvalidArgument)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = int64(cfg.Engine.MaxPayloadBytes()) + 64<<10
	}
	if cfg.MaxJSONDepth == 0 {
		cfg.MaxJSONDepth = DefaultMaxJSONDepth
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.MaxWaiting == 0 {
		cfg.MaxWaiting = DefaultMaxWaiting
	}
	if cfg.MaxWait < 0 || cfg.MaxWaiting < 0 {
		return nil, fmt.Errorf("%w: api.Config.MaxWait and MaxWaiting must not be negative, got %s and %d", ordo.ErrInvalidArgument, cfg.MaxWait, cfg.MaxWaiting)
	}
	if cfg.Waiters == nil {
		cfg.Waiters = NewWaiters()
	}
	if cfg.MaxJSONDepth < 1 {
		return nil, fmt.Errorf("%w: api.Config.MaxJSONDepth must be at least 1, got %d", ordo.ErrInvalidArgument, cfg.MaxJSONDepth)
	}
	hosts, err := newHostSet(cfg.AllowedHosts)
	if err != nil {
		return nil, err
	}
	origin := http.NewCrossOriginProtection()
	for _, o := range cfg.TrustedOrigins {
		if err := origin.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("%w: api.Config.TrustedOrigins: %w", ordo.ErrInvalidArgument, err)
		}
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(), hosts: hosts, origin: origin, waiters: cfg.Waiters}
	if cfg.Audit != nil {
		s.audit = newAuditWriter(cfg.Audit, cfg.Logger)
	}
	s.routes()
	return s, nil
}

// Close flushes the audit entries not yet written. The server must not
// serve requests afterwards.
func (s *Server) Close(ctx context.Context) error {
	if s.audit == nil {
		return nil
	}
	return s.audit.close(ctx)
}

// HandlerFunc is an API handler that returns an error instead of writing
// one; the server turns it into the JSON error envelope.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle registers a handler for a ServeMux pattern ("GET /v1/flows").
// The scope it needs follows from the method: GET and HEAD need read,
// every other method operate; HandleScope names another.
func (s *Server) Handle(pattern string, h HandlerFunc) {
	s.HandleScope(pattern, defaultScope(pattern), h)
}

// HandleScope registers a handler that needs scope. Before h runs, the
// request has passed the Host, cross-origin and authentication checks
// (ServeHTTP); here the key's scope is checked, every {id} and {name} path
// value is checked against the id rules (ordo.ValidateID), and the body is
// limited in size and JSON nesting depth.
func (s *Server) HandleScope(pattern string, scope auth.Scope, h HandlerFunc) {
	ids := pathIDs(pattern)
	s.routeList = append(s.routeList, Route{Pattern: pattern, Scope: scope})
	s.patterns = append(s.patterns, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := s.guardRoute(w, r, scope, ids); err != nil {
			writeError(w, s.log, err)
			return
		}
		if err := h(w, r); err != nil {
			writeError(w, s.log, err)
		}
	})
}

// HandleHTTP registers a plain http.Handler (the dashboard, file
// downloads). Paths under /ui/ authenticate themselves (the dashboard's
// sign-in); any other pattern gets the checks of HandleScope with the
// scope its method implies, except the body checks.
func (s *Server) HandleHTTP(pattern string, h http.Handler) {
	if strings.HasPrefix(patternPath(pattern), "/ui/") || patternPath(pattern) == "/" || patternPath(pattern) == "/{$}" {
		s.mux.Handle(pattern, h)
		s.patterns = append(s.patterns, pattern)
		return
	}
	scope, ids := defaultScope(pattern), pathIDs(pattern)
	s.routeList = append(s.routeList, Route{Pattern: pattern, Scope: scope})
	s.patterns = append(s.patterns, pattern)
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := s.guardRoute(w, r, scope, ids); err != nil {
			writeError(w, s.log, err)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// ServeHTTP serves the API with panic recovery and request logging, after
// the checks every request passes: the Host header, cross-origin
// protection and the content type of state-changing requests, and the API
// key (except /healthz, /readyz and the dashboard, which signs in itself).
// A request's W3C traceparent reaches the handlers' context even when no
// tracing middleware runs, so the instances it creates store it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	if r.URL.RawQuery != "" {
		q := r.URL.Query()
		rec.pretty = q.Has("pretty") && q.Get("pretty") != "0" && q.Get("pretty") != "false"
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("ordo api: panic", "panic", p, "stack", string(debug.Stack()))
			writeError(rec, s.log, fmt.Errorf("panic: %v", p))
		}
		s.log.Debug("ordo api", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	}()
	ctx, who := auth.WithRecorder(callerTrace(r.Context(), r.Header))
	r, err := s.guardRequest(rec, r.WithContext(ctx))
	if err != nil {
		writeError(rec, s.log, err)
		s.record(r, rec.status, who)
		return
	}
	// Handler finds the route without setting the request's path values;
	// the mux's ServeHTTP matches again and sets them.
	if h, pattern := s.mux.Handler(r); pattern == "" {
		s.unmatched(rec, r, h)
		return
	}
	s.mux.ServeHTTP(rec, r)
	s.record(r, rec.status, who)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	// pretty asks for indented JSON (?pretty=1).
	pretty bool
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

// Unwrap gives http.ResponseController the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// DecodeJSON reads a JSON body into v, rejecting unknown fields and
// trailing data. An empty body leaves v unchanged when allowEmpty is set.
func DecodeJSON(r *http.Request, v any, allowEmpty bool) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("%w: request body is larger than %d bytes", ordo.ErrPayloadTooLarge, mbe.Limit)
		}
		return badRequest(CodeInvalidJSON, "read body: "+err.Error())
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		if allowEmpty {
			return nil
		}
		return badRequest(CodeInvalidJSON, "request body is empty; expected a JSON object")
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest(CodeInvalidJSON, "invalid JSON body: "+DescribeJSONError(err))
	}
	if dec.More() {
		return badRequest(CodeInvalidJSON, "invalid JSON body: unexpected data after the object")
	}
	return nil
}

// WriteJSON writes v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) { writeJSON(w, status, v) }

// BadRequest returns an error answered with 400 and code.
func BadRequest(code, msg string, details any) error {
	return &apiError{status: http.StatusBadRequest, code: code, msg: msg, details: details}
}

// ErrorDetails returns an error answered with status and code, with
// details (structured problems) in error.details.
func ErrorDetails(status int, code, msg string, details any) error {
	return &apiError{status: status, code: code, msg: msg, details: details}
}

// Errorf returns an error answered with the given status and code.
func Errorf(status int, code, format string, args ...any) error {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}
