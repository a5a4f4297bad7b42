package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/ordohq/ordo"
)

// Error codes returned in {"error": {"code": ...}}.
const (
	CodeInvalidJSON       = "invalid_json"
	CodeInvalidArgument   = "invalid_argument"
	CodeNotFound          = "not_found"
	CodeAlreadyExists     = "already_exists"
	CodeInvalidTransition = "invalid_transition"
	CodePayloadTooLarge   = "payload_too_large"
	// CodeLimitExceeded (409): an instance reached one of its limits, such
	// as the number or total size of its events; the message names it.
	CodeLimitExceeded = "limit_exceeded"
	CodeInternal      = "internal"
)

// Error is the body of every error response.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Details carries structured problems (for example a flow's
	// validation problems).
	Details any `json:"details,omitempty"`
}

// ErrorResponse wraps Error as {"error": {...}}.
type ErrorResponse struct {
	Error Error `json:"error"`
}

// apiError is an error with its HTTP status and code, built by handlers.
type apiError struct {
	status  int
	code    string
	msg     string
	details any
}

func (e *apiError) Error() string { return e.msg }

func badRequest(code, msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, code: code, msg: msg}
}

// classify maps engine errors to HTTP status and code.
func classify(err error) (int, string) {
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.code
	case errors.As(err, &mbe), errors.Is(err, ordo.ErrPayloadTooLarge):
		return http.StatusRequestEntityTooLarge, CodePayloadTooLarge
	case errors.Is(err, ordo.ErrNotFound):
		return http.StatusNotFound, CodeNotFound
	case errors.Is(err, ordo.ErrAlreadyExists):
		return http.StatusConflict, CodeAlreadyExists
	case errors.Is(err, ordo.ErrNotFinished):
		return http.StatusConflict, CodeNotFinished
	case errors.Is(err, ordo.ErrInvalidTransition):
		return http.StatusConflict, CodeInvalidTransition
	case errors.Is(err, ordo.ErrLimitExceeded):
		return http.StatusConflict, CodeLimitExceeded
	case errors.Is(err, ordo.ErrInvalidArgument):
		return http.StatusBadRequest, CodeInvalidArgument
	}
	return http.StatusInternalServerError, CodeInternal
}

func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	status, code := classify(err)
	// What went wrong for the caller, without the internal layers
	// ("ordo: invalid transition: sqlite: ...").
	msg := ordo.Message(err)
	var details any
	var ae *apiError
	if errors.As(err, &ae) {
		details = ae.details
	}
	if status == http.StatusInternalServerError {
		log.Error("ordo api: internal error", "err", err)
		msg = "internal error"
	}
	writeJSON(w, status, ErrorResponse{Error: Error{Code: code, Message: msg, Details: details}})
}

// writeJSON writes v compact, or indented when the request asked for
// ?pretty=1: indentation can multiply the size of a deeply nested value.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	if rec, ok := w.(*statusRecorder); ok && rec.pretty {
		enc.SetIndent("", "  ")
	}
	_ = enc.Encode(v)
}
