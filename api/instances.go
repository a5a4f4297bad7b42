package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/store"
)

func (s *Server) routes() {
	s.Handle("GET /healthz", s.healthz)
	s.Handle("GET /readyz", s.readyz)
	s.HandleScope("GET /v1/openapi.json", auth.ScopeRead, s.openAPI)
	s.Handle("GET /v1/workflows", s.listWorkflows)
	s.Handle("POST /v1/workflows/{name}/instances", s.createInstance)
	s.Handle("GET /v1/instances", s.listInstances)
	s.Handle("GET /v1/instances/{id}", s.getInstance)
	s.Handle("POST /v1/instances/{id}/pause", s.control((*ordo.Engine).Pause))
	s.Handle("POST /v1/instances/{id}/resume", s.control((*ordo.Engine).Resume))
	s.Handle("POST /v1/instances/{id}/terminate", s.control((*ordo.Engine).Terminate))
	s.Handle("POST /v1/instances/{id}/restart", s.restart)
	s.HandleScope("GET /v1/instances/{id}/runs", auth.ScopeRead, s.listRuns)
	s.HandleScope("POST /v1/instances/{id}/cancel", auth.ScopeOperate, s.cancel)
	s.HandleScope("POST /v1/instances/{id}/steps/{key}/compensation/{action}", auth.ScopeOperate, s.compensation)
	s.Handle("POST /v1/instances/{id}/events", s.sendEvent)
	s.Handle("GET /v1/instances/{id}/events", s.listEvents)
	s.stepRoutes()
	s.eventRoutes()
	s.keyRoutes()
	s.actionRoutes()
	s.purgeRoutes()
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.cfg.Engine.List(r.Context(), &ordo.ListOptions{Limit: 1}); err != nil {
		return Errorf(http.StatusServiceUnavailable, "unavailable", "storage is unavailable: %v", err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// readyTimeout bounds the store's readiness check.
const readyTimeout = 2 * time.Second

// readyz answers 200 when the store answers with a current schema and the
// engine runs, else 503 naming the reason: a readiness probe (/healthz is
// liveness).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	reason := ""
	if rd, ok := s.cfg.Engine.Store().(store.Readiness); ok {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		err := rd.Ready(ctx)
		cancel()
		if err != nil {
			reason = err.Error()
		}
	}
	if reason == "" && !s.cfg.Engine.Running() {
		reason = "engine is not running"
	}
	w.Header().Set("Cache-Control", "no-store")
	if reason != "" {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not_ready", "reason": reason})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) listWorkflows(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"workflows": s.cfg.Engine.Workflows()})
	return nil
}

// CreateInstanceRequest is the body of POST /v1/workflows/{name}/instances.
type CreateInstanceRequest struct {
	ID     string          `json:"id,omitempty"`
	Params json.RawMessage `json:"params,omitempty"`
	// Priority orders the queue (ordo.CreateOptions.Priority), -100..100;
	// default 0.
	Priority int `json:"priority,omitempty"`
}

// createInstance answers 201 with the new instance; with ?wait=, 200 with
// the finished instance (output or error) when it finishes in time, else
// 202 (see wait_create.go).
func (s *Server) createInstance(w http.ResponseWriter, r *http.Request) error {
	wait, waiting, err := s.WaitParam(r)
	if err != nil {
		return err
	}
	var req CreateInstanceRequest
	if err := DecodeJSON(r, &req, true); err != nil {
		return err
	}
	inst, err := s.cfg.Engine.Create(r.Context(), r.PathValue("name"), req.Params, &ordo.CreateOptions{ID: req.ID, Priority: req.Priority})
	if waiting && errors.Is(err, ordo.ErrAlreadyExists) && sameCreate(inst, r.PathValue("name"), req.Params) {
		err = nil // a repeated create waits for the first one
	}
	if err != nil {
		return FieldError(err, nil)
	}
	if !waiting {
		writeJSON(w, http.StatusCreated, inst)
		return nil
	}
	return s.answerWait(w, r, inst.ID, wait)
}

// instanceListParams are the query parameters of GET /v1/instances.
var instanceListParams = []string{"workflow", "workflowPrefix", "status", "customStatus", "idPrefix", "parent", "attribute",
	"createdAfter", "createdBefore", "finishedAfter", "finishedBefore", "limit", "cursor"}

func (s *Server) listInstances(w http.ResponseWriter, r *http.Request) error {
	opts, err := InstanceListOptions(r)
	if err != nil {
		return err
	}
	page, err := s.cfg.Engine.List(r.Context(), opts)
	if err != nil {
		return FieldError(err, map[string]string{"attributes": "attribute", "parentId": "parent"})
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// InstanceListOptions reads the filters of GET /v1/instances: workflow,
// workflowPrefix, status (any case), customStatus (matched ignoring
// case), idPrefix, parent (the children of that instance), attribute=key:value (repeatable, all must match),
// createdAfter, createdBefore, finishedAfter, finishedBefore (RFC 3339),
// limit and cursor. An unknown or invalid parameter is a 400 naming it.
func InstanceListOptions(r *http.Request) (*ordo.ListOptions, error) {
	q, err := ReadQuery(r, instanceListParams...)
	if err != nil {
		return nil, err
	}
	opts := &ordo.ListOptions{
		Workflow: q.String("workflow"), WorkflowPrefix: q.String("workflowPrefix"), Status: q.Status("status"),
		CustomStatus: q.String("customStatus"), IDPrefix: q.String("idPrefix"), ParentID: q.String("parent"),
		Attributes:   q.KeyValues("attribute"),
		CreatedAfter: q.Time("createdAfter"), CreatedBefore: q.Time("createdBefore"),
		FinishedAfter: q.Time("finishedAfter"), FinishedBefore: q.Time("finishedBefore"),
		Limit: q.Limit(), Cursor: q.String("cursor"),
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	return opts, nil
}

func (s *Server) getInstance(w http.ResponseWriter, r *http.Request) error {
	inst, err := s.cfg.Engine.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inst)
	return nil
}

func (s *Server) control(op func(*ordo.Engine, context.Context, string) (*ordo.Instance, error)) HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req ReasonRequest // optional: the reason the audit trail records
		if err := DecodeJSON(r, &req, true); err != nil {
			return err
		}
		inst, err := op(s.cfg.Engine, ordo.WithReason(r.Context(), req.Reason), r.PathValue("id"))
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, inst)
		return nil
	}
}

// RestartRequest is the optional body of POST /v1/instances/{id}/restart
// (see ordo.RestartOptions): params, if given, make it a redrive with
// those params; rerunCompensated lets a restart from a step run the
// steps that compensations undid again.
type RestartRequest struct {
	FromStep         string          `json:"fromStep,omitempty"`
	Params           json.RawMessage `json:"params,omitempty"`
	Reason           string          `json:"reason,omitempty"`
	RerunCompensated bool            `json:"rerunCompensated,omitempty"`
}

func (s *Server) restart(w http.ResponseWriter, r *http.Request) error {
	var req RestartRequest
	if err := DecodeJSON(r, &req, true); err != nil {
		return err
	}
	inst, err := s.cfg.Engine.Restart(r.Context(), r.PathValue("id"), &ordo.RestartOptions{
		FromStep: req.FromStep, Params: req.Params, Reason: req.Reason, AllowCompensated: req.RerunCompensated})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inst)
	return nil
}

// RunsResponse is the answer of GET /v1/instances/{id}/runs: the current
// run's number and the ended runs, oldest first, each with the steps its
// restart took out of the journal (marked by the run's number).
type RunsResponse struct {
	InstanceID string      `json:"instanceId"`
	Run        int         `json:"run"`
	Runs       []*ordo.Run `json:"runs"`
}

func (s *Server) listRuns(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	inst, err := s.cfg.Engine.Get(r.Context(), id)
	if err != nil {
		return err
	}
	runs, err := s.cfg.Engine.Runs(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, RunsResponse{InstanceID: id, Run: inst.Run, Runs: runs})
	return nil
}

// ReasonRequest is the optional body of a cancel or compensation action:
// the operator's reason, recorded on the instance or step and in the audit
// trail.
type ReasonRequest struct {
	Reason string `json:"reason,omitempty"`
}

// cancel answers 200 with the instance, queued and rolling back (see
// ordo.Engine.Cancel); 409 for a finished instance.
func (s *Server) cancel(w http.ResponseWriter, r *http.Request) error {
	var req ReasonRequest
	if err := DecodeJSON(r, &req, true); err != nil {
		return err
	}
	inst, err := s.cfg.Engine.Cancel(r.Context(), r.PathValue("id"), req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inst)
	return nil
}

// compensationActions maps the {action} of the compensation route.
var compensationActions = map[string]ordo.CompensationAction{
	"retry": ordo.CompensationRetry, "done": ordo.CompensationDone, "skip": ordo.CompensationSkip,
}

// compensation retries, marks done or skips the failed compensation of
// step {key} (see ordo.Engine.Compensation).
func (s *Server) compensation(w http.ResponseWriter, r *http.Request) error {
	action, ok := compensationActions[r.PathValue("action")]
	if !ok {
		return Errorf(http.StatusNotFound, CodeNotFound, "unknown compensation action %q: want retry, done or skip", r.PathValue("action"))
	}
	var req ReasonRequest
	if err := DecodeJSON(r, &req, true); err != nil {
		return err
	}
	inst, err := s.cfg.Engine.Compensation(r.Context(), r.PathValue("id"), r.PathValue("key"), action, req.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inst)
	return nil
}

// SendEventRequest is the body of POST /v1/instances/{id}/events.
type SendEventRequest struct {
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (s *Server) sendEvent(w http.ResponseWriter, r *http.Request) error {
	var req SendEventRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	if req.Type == "" {
		return badRequest(CodeInvalidArgument, `field "type" is required`)
	}
	if err := s.cfg.Engine.SendEvent(r.Context(), r.PathValue("id"), req.Type, req.Payload); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "accepted"})
	return nil
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) error {
	opts := &ordo.EventListOptions{Cursor: r.URL.Query().Get("cursor")}
	var err error
	if opts.Limit, err = ListLimit(r); err != nil {
		return err
	}
	page, err := s.cfg.Engine.Events(r.Context(), r.PathValue("id"), opts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// ListLimit reads a listing's ?limit= (1..1000; absent: 0, the default
// page size), answering 400 invalid_argument for anything else.
func ListLimit(r *http.Request) (int, error) {
	l := r.URL.Query().Get("limit")
	if l == "" {
		return 0, nil
	}
	n, err := parseLimit(l)
	if err != nil {
		return 0, badRequest(CodeInvalidArgument, err.Error())
	}
	return n, nil
}

// parseLimit reads a page size: an integer 1..store.MaxListLimit.
func parseLimit(l string) (int, error) {
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > store.MaxListLimit {
		return 0, fmt.Errorf("limit must be an integer between 1 and %d, got %.40q", store.MaxListLimit, l)
	}
	return n, nil
}
