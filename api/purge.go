package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/retention"
	"github.com/ordohq/ordo/store"
)

// CodeNotFinished (409): a deletion of an instance or order that has not
// finished (ordo.ErrNotFinished).
const CodeNotFinished = "not_finished"

// Bounds of POST /v1/instances/purge.
const (
	// MaxPurgePerRequest is the most instances one purge request deletes;
	// the answer's "more" says to send it again.
	MaxPurgePerRequest = 10_000
	// MaxPurgeWorkflows bounds the request's workflows.
	MaxPurgeWorkflows = 100
)

func (s *Server) purgeRoutes() {
	s.HandleScope("DELETE /v1/instances/{id}", auth.ScopeAdmin, s.deleteInstance)
	s.HandleScope("POST /v1/instances/purge", auth.ScopeAdmin, s.purge)
}

// deleteInstance answers 204 once the finished instance is deleted; 409
// not_finished for one that has not finished.
func (s *Server) deleteInstance(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Engine.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// PurgeRequest is the body of POST /v1/instances/purge.
type PurgeRequest struct {
	// OlderThan selects instances that finished longer ago than this
	// (retention.ParsePeriod: "7d", "12h"; not 0). Required.
	OlderThan string `json:"olderThan"`
	// Statuses, if set, keeps instances in these finished statuses.
	Statuses []ordo.Status `json:"statuses,omitempty"`
	// Workflows, if set, keeps instances of these workflows (at most
	// MaxPurgeWorkflows).
	Workflows []string `json:"workflows,omitempty"`
	// DryRun counts the matching instances and deletes nothing.
	DryRun bool `json:"dryRun,omitempty"`
}

// PurgeResponse is the answer of POST /v1/instances/purge.
type PurgeResponse struct {
	// FinishedBefore is the finish time the request's olderThan meant on
	// the server's clock.
	FinishedBefore string `json:"finishedBefore"`
	ordo.PurgeResult
}

// purge deletes (or, for a dry run, counts) finished instances, at most
// MaxPurgePerRequest per request, each batch recorded in the audit trail.
func (s *Server) purge(w http.ResponseWriter, r *http.Request) error {
	var req PurgeRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	older, err := retention.ParsePeriod(req.OlderThan)
	if err == nil && older == 0 {
		err = errors.New("must be longer than 0")
	}
	if err != nil {
		return fieldError("olderThan", ordo.Message(err))
	}
	if len(req.Workflows) > MaxPurgeWorkflows {
		return fieldError("workflows", fmt.Sprintf("%d workflows; at most %d are allowed", len(req.Workflows), MaxPurgeWorkflows))
	}
	if len(req.Statuses) > len(store.DeletableStatuses) {
		return fieldError("statuses", fmt.Sprintf("%d statuses; there are %d finished ones", len(req.Statuses), len(store.DeletableStatuses)))
	}
	before := s.cfg.Engine.Clock().Now().Add(-older)
	res, err := s.cfg.Engine.Purge(r.Context(), &ordo.PurgeOptions{FinishedBefore: before, Statuses: req.Statuses,
		Workflows: req.Workflows, DryRun: req.DryRun, MaxInstances: MaxPurgePerRequest, Audit: true})
	if err != nil {
		return FieldError(err, map[string]string{"status": "statuses"})
	}
	if res.Busy {
		return Errorf(http.StatusConflict, CodePurgeBusy, "another purge is deleting instances; try again")
	}
	writeJSON(w, http.StatusOK, PurgeResponse{FinishedBefore: before.UTC().Format(timeFormat), PurgeResult: *res})
	return nil
}

// CodePurgeBusy (409): another purge, or the retention of another
// process, holds the purge lock.
const CodePurgeBusy = "purge_busy"

// timeFormat is how the purge answer writes times.
const timeFormat = "2006-01-02T15:04:05.999999Z07:00"

// fieldError is a 400 invalid_argument naming a field of the body.
func fieldError(field, msg string) error {
	return &apiError{status: http.StatusBadRequest, code: CodeInvalidArgument, msg: field + ": " + msg,
		details: map[string]string{"field": field}}
}
