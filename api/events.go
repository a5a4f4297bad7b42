package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
)

// eventRoutes adds the published-event endpoints:
//
//	POST /v1/events          {"id"?, "type", "payload"} → 202 with the event and its deliveries,
//	                         200 with the first event for an id already stored (operate)
//	GET  /v1/events?type=&since=&cursor=&limit=   oldest first, without deliveries (read)
//	GET  /v1/events/{id}     with its deliveries (read)
//	POST /v1/events/replay   {"subscription", "type"?, "from"?, "to"?, "limit"?, "cursor"?}:
//	                         deliver stored events again to one subscription, at most
//	                         ordo.MaxReplayEvents a call, deliveries made already not
//	                         repeated (admin: it can start that many instances at once)
func (s *Server) eventRoutes() {
	s.HandleScope("POST /v1/events", auth.ScopeOperate, s.publishEvent)
	s.HandleScope("GET /v1/events", auth.ScopeRead, s.listPublished)
	s.HandleScope("GET /v1/events/{id}", auth.ScopeRead, s.getPublished)
	s.HandleScope("POST /v1/events/replay", auth.ScopeAdmin, s.replayEvents)
}

// PublishRequest is the body of POST /v1/events.
type PublishRequest struct {
	// ID deduplicates; empty for a generated one.
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (s *Server) publishEvent(w http.ResponseWriter, r *http.Request) error {
	var req PublishRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	if req.Type == "" {
		return badRequest(CodeInvalidArgument, `field "type" is required`)
	}
	var payload any
	if len(req.Payload) > 0 {
		payload = req.Payload
	}
	ev, created, err := s.cfg.Engine.Publish(r.Context(), ordo.PublishEvent{ID: req.ID, Type: req.Type, Payload: payload})
	if err != nil {
		return err
	}
	status := http.StatusAccepted
	if !created {
		status = http.StatusOK
	}
	writeJSON(w, status, ev)
	return nil
}

func (s *Server) listPublished(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	opts := &ordo.PublishedListOptions{Type: q.Get("type"), Cursor: q.Get("cursor")}
	var err error
	if opts.Limit, err = ListLimit(r); err != nil {
		return err
	}
	if opts.Since, err = queryTime(q.Get("since"), "since"); err != nil {
		return err
	}
	page, err := s.cfg.Engine.PublishedEvents(r.Context(), opts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) getPublished(w http.ResponseWriter, r *http.Request) error {
	ev, err := s.cfg.Engine.PublishedEvent(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ev)
	return nil
}

// ReplayRequest is the body of POST /v1/events/replay.
type ReplayRequest struct {
	Subscription string `json:"subscription"`
	Type         string `json:"type,omitempty"`
	// From and To bound the publish times (RFC 3339), From included.
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Limit  int    `json:"limit,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

func (s *Server) replayEvents(w http.ResponseWriter, r *http.Request) error {
	var req ReplayRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	if req.Subscription == "" {
		return badRequest(CodeInvalidArgument, `field "subscription" is required`)
	}
	opts := ordo.ReplayOptions{Subscription: req.Subscription, Type: req.Type, Limit: req.Limit, Cursor: req.Cursor}
	var err error
	if opts.From, err = queryTime(req.From, `field "from"`); err != nil {
		return err
	}
	if opts.To, err = queryTime(req.To, `field "to"`); err != nil {
		return err
	}
	res, err := s.cfg.Engine.Replay(r.Context(), opts)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// queryTime parses an RFC 3339 time; "" is the zero time.
func queryTime(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, badRequest(CodeInvalidArgument, fmt.Sprintf("%s must be an RFC 3339 time such as 2026-05-01T10:00:00Z, got %.40q", name, v))
	}
	return t, nil
}
