package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
)

// CodeStepNotWaiting (409): the result of an asynchronous step was
// reported for a step that is not waiting for one (it has its result, it
// failed, its instance finished, or it is not an asynchronous step).
const CodeStepNotWaiting = "step_not_waiting"

// stepRoutes adds the result routes of asynchronous steps (ordo.DoAsync):
//
//	POST /v1/instances/{id}/steps/{key}/complete  {"output": ...}              → 202
//	POST /v1/instances/{id}/steps/{key}/fail      {"error": "...", "nonRetryable"?} → 202
//
// Both need operate; a step that is not waiting is 409 step_not_waiting.
// {key} is the step's key with its '#' escaped: ship%231.
func (s *Server) stepRoutes() {
	s.HandleScope("POST /v1/instances/{id}/steps/{key}/complete", auth.ScopeOperate, s.completeStep)
	s.HandleScope("POST /v1/instances/{id}/steps/{key}/fail", auth.ScopeOperate, s.failStep)
}

// CompleteStepRequest is the body of POST /v1/instances/{id}/steps/{key}/complete.
type CompleteStepRequest struct {
	// Output is the step's output (any JSON; absent is null).
	Output json.RawMessage `json:"output,omitempty"`
}

// FailStepRequest is the body of POST /v1/instances/{id}/steps/{key}/fail.
type FailStepRequest struct {
	// Error is the failure's message (required).
	Error string `json:"error"`
	// NonRetryable fails the step for good instead of retrying it.
	NonRetryable bool `json:"nonRetryable,omitempty"`
}

// StepResultResponse is the answer of the step result routes.
type StepResultResponse struct {
	Status string `json:"status"`
}

func (s *Server) completeStep(w http.ResponseWriter, r *http.Request) error {
	var req CompleteStepRequest
	if err := DecodeJSON(r, &req, true); err != nil {
		return err
	}
	var out any
	if len(req.Output) > 0 {
		out = req.Output
	}
	return answerStepResult(w, s.cfg.Engine.CompleteStep(r.Context(), r.PathValue("id"), r.PathValue("key"), out))
}

func (s *Server) failStep(w http.ResponseWriter, r *http.Request) error {
	var req FailStepRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	if req.Error == "" {
		return badRequest(CodeInvalidArgument, `field "error" is required`)
	}
	err := s.cfg.Engine.FailStep(r.Context(), r.PathValue("id"), r.PathValue("key"), req.Error,
		&ordo.FailStepOptions{NonRetryable: req.NonRetryable})
	return answerStepResult(w, err)
}

func answerStepResult(w http.ResponseWriter, err error) error {
	if errors.Is(err, ordo.ErrStepNotWaiting) {
		return &apiError{status: http.StatusConflict, code: CodeStepNotWaiting, msg: ordo.Message(err)}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, StepResultResponse{Status: "accepted"})
	return nil
}
