package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store"
)

// ScheduleRoutes adds the schedule endpoints; GET needs read, every write
// admin:
//
//	POST   /v1/schedules                 a schedule.Spec → 201, the schedule
//	GET    /v1/schedules?after=          schedules sorted by id (1,000 a page)
//	GET    /v1/schedules/{id}            with its next 10 fire times and last fires
//	PATCH  /v1/schedules/{id}            a JSON object of the fields to change
//	DELETE /v1/schedules/{id}
//	POST   /v1/schedules/{id}/pause      and /resume
//	POST   /v1/schedules/{id}/trigger    fire now
//	POST   /v1/schedules/{id}/backfill   {"from", "to"}: at most 1,000 fires
func (s *Server) ScheduleRoutes(sch *schedule.Scheduler) {
	h := scheduleHandlers{sch}
	s.HandleScope("POST /v1/schedules", auth.ScopeAdmin, h.create)
	s.HandleScope("GET /v1/schedules", auth.ScopeRead, h.list)
	s.HandleScope("GET /v1/schedules/{id}", auth.ScopeRead, h.get)
	s.HandleScope("PATCH /v1/schedules/{id}", auth.ScopeAdmin, h.update)
	s.HandleScope("DELETE /v1/schedules/{id}", auth.ScopeAdmin, h.delete)
	s.HandleScope("POST /v1/schedules/{id}/pause", auth.ScopeAdmin, h.pause)
	s.HandleScope("POST /v1/schedules/{id}/resume", auth.ScopeAdmin, h.resume)
	s.HandleScope("POST /v1/schedules/{id}/trigger", auth.ScopeAdmin, h.trigger)
	s.HandleScope("POST /v1/schedules/{id}/backfill", auth.ScopeAdmin, h.backfill)
}

// scheduleHandlers serve the schedule routes.
type scheduleHandlers struct{ sch *schedule.Scheduler }

// SchedulePage is the answer to GET /v1/schedules.
type SchedulePage struct {
	Schedules []*schedule.View `json:"schedules"`
	// NextAfter, when set, is the ?after= of the next page.
	NextAfter string `json:"nextAfter,omitempty"`
}

// BackfillRequest is the body of POST /v1/schedules/{id}/backfill.
// From and To are RFC 3339 times.
type BackfillRequest struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// parseTime reads the RFC 3339 time of a body field.
func parseTime(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, badRequest(CodeInvalidArgument, `field "`+field+`" is required (an RFC 3339 time)`)
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil || len(v) > 64 {
		return time.Time{}, badRequest(CodeInvalidArgument, `field "`+field+`" is not an RFC 3339 time like "2026-03-29T02:30:00+02:00"`)
	}
	return t, nil
}

func (h scheduleHandlers) create(w http.ResponseWriter, r *http.Request) error {
	var sp schedule.Spec
	if err := DecodeJSON(r, &sp, false); err != nil {
		return err
	}
	v, err := h.sch.Create(r.Context(), &sp)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (h scheduleHandlers) list(w http.ResponseWriter, r *http.Request) error {
	after := r.URL.Query().Get("after")
	if after != "" {
		if err := ordo.ValidateID(`query "after"`, after); err != nil {
			return err
		}
	}
	vs, err := h.sch.List(r.Context(), after)
	if err != nil {
		return err
	}
	page := SchedulePage{Schedules: vs}
	if len(vs) == store.MaxScheduleList {
		page.NextAfter = vs[len(vs)-1].ID
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h scheduleHandlers) get(w http.ResponseWriter, r *http.Request) error {
	v, err := h.sch.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (h scheduleHandlers) update(w http.ResponseWriter, r *http.Request) error {
	var patch map[string]json.RawMessage
	if err := DecodeJSON(r, &patch, false); err != nil {
		return err
	}
	raw, err := json.Marshal(patch)
	if err != nil {
		return badRequest(CodeInvalidJSON, "patch: "+err.Error())
	}
	v, err := h.sch.Update(r.Context(), r.PathValue("id"), raw)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (h scheduleHandlers) delete(w http.ResponseWriter, r *http.Request) error {
	if err := h.sch.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": r.PathValue("id"), "deleted": true})
	return nil
}

func (h scheduleHandlers) pause(w http.ResponseWriter, r *http.Request) error {
	return h.answer(w, func() (any, error) { return h.sch.Pause(r.Context(), r.PathValue("id")) })
}

func (h scheduleHandlers) resume(w http.ResponseWriter, r *http.Request) error {
	return h.answer(w, func() (any, error) { return h.sch.Resume(r.Context(), r.PathValue("id")) })
}

func (h scheduleHandlers) trigger(w http.ResponseWriter, r *http.Request) error {
	return h.answer(w, func() (any, error) { return h.sch.Trigger(r.Context(), r.PathValue("id")) })
}

func (h scheduleHandlers) backfill(w http.ResponseWriter, r *http.Request) error {
	var req BackfillRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	from, err := parseTime("from", req.From)
	if err != nil {
		return err
	}
	to, err := parseTime("to", req.To)
	if err != nil {
		return err
	}
	return h.answer(w, func() (any, error) { return h.sch.Backfill(r.Context(), r.PathValue("id"), from, to) })
}

// answer writes what fn returns with 200, or its error.
func (h scheduleHandlers) answer(w http.ResponseWriter, fn func() (any, error)) error {
	v, err := fn()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
