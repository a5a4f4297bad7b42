package api

import (
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
}

// Server is the HTTP API. Extra resources (flows, orders) add their routes
// with Handle before the server is used.
type Server struct {
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
}

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
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	s.routes()
	return s, nil
}

// HandlerFunc is an API handler that returns an error instead of writing
// one; the server turns it into the JSON error envelope.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle registers a handler for a ServeMux pattern ("GET /v1/flows").
func (s *Server) Handle(pattern string, h HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		if err := h(w, r); err != nil {
			writeError(w, s.log, err)
		}
	})
}

// HandleHTTP registers a plain http.Handler (the dashboard, file downloads).
func (s *Server) HandleHTTP(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP serves the API with panic recovery and request logging.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("ordo api: panic", "panic", p, "stack", string(debug.Stack()))
			writeError(rec, s.log, fmt.Errorf("panic: %v", p))
		}
		s.log.Debug("ordo api", "method", r.Method, "path", r.URL.Path, "status", rec.status, "duration", time.Since(start))
	}()
	s.mux.ServeHTTP(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

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
		return badRequest(CodeInvalidJSON, "invalid JSON body: "+err.Error())
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

// Errorf returns an error answered with the given status and code.
func Errorf(status int, code, format string, args ...any) error {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}
