package api

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/store"
)

// actionRoutes adds the audit-trail endpoints. The global list needs the
// admin scope (it names every key and shows key and webhook changes); an
// instance's own entries need read, as the instance does:
//
//	GET /v1/audit?action=&actor=&instance=&target=&since=&until=&limit=&cursor=
//	GET /v1/instances/{id}/audit?action=&actor=&since=&until=&limit=&cursor=
//
// The order routes (package order) add GET /v1/orders/{id}/audit.
func (s *Server) actionRoutes() {
	s.HandleScope("GET /v1/audit", auth.ScopeAdmin, s.listActions)
	s.HandleScope("GET /v1/instances/{id}/audit", auth.ScopeRead, s.instanceActions)
}

// actionParams are the query parameters of the audit listings; instance
// is not one of an instance's or order's own listing.
var actionParams = []string{"action", "actor", "instance", "target", "since", "until", "limit", "cursor", "pretty"}

// ActionQuery reads the audit-trail filters of a request: action, actor,
// instance (unless forInstance, where the path names it), target, since
// and until (RFC 3339 times; since inclusive, until exclusive), limit and
// cursor. An unknown parameter or an invalid value is a 400
// invalid_argument naming the parameter.
func ActionQuery(r *http.Request, forInstance bool) (*store.ActionListParams, error) {
	q := r.URL.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		known := false
		for _, p := range actionParams {
			known = known || k == p && !(forInstance && k == "instance")
		}
		if !known {
			allowed := strings.Join(actionParams[:len(actionParams)-1], ", ")
			if forInstance {
				allowed = strings.Replace(allowed, "instance, ", "", 1)
			}
			return nil, badRequest(CodeInvalidArgument, fmt.Sprintf("parameter %.40q is not a filter of the audit trail (use %s)", k, allowed))
		}
		if len(q[k]) > 1 {
			return nil, badRequest(CodeInvalidArgument, fmt.Sprintf("parameter %q is given %d times; give it once", k, len(q[k])))
		}
	}
	p := &store.ActionListParams{Action: q.Get("action"), Actor: q.Get("actor"), InstanceID: q.Get("instance"),
		Target: q.Get("target"), Cursor: q.Get("cursor")}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"action", p.Action, store.MaxActionNameLength}, {"actor", p.Actor, store.MaxKeyNameLength},
		{"instance", p.InstanceID, ordo.MaxIDLength}, {"target", p.Target, store.MaxActionTargetLength}} {
		if len(f.v) > f.max {
			return nil, badRequest(CodeInvalidArgument, fmt.Sprintf("parameter %q is %d bytes long; at most %d are allowed", f.name, len(f.v), f.max))
		}
	}
	var err error
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &p.Since}, {"until", &p.Until}} {
		v := q.Get(t.name)
		if v == "" {
			continue
		}
		if *t.dst, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return nil, badRequest(CodeInvalidArgument, fmt.Sprintf("parameter %q must be an RFC 3339 time (2026-12-01T09:00:00Z), got %.40q", t.name, v))
		}
	}
	if !p.Since.IsZero() && !p.Until.IsZero() && p.Until.Before(p.Since) {
		return nil, badRequest(CodeInvalidArgument, `parameter "until" is before "since"`)
	}
	if p.Limit, err = ListLimit(r); err != nil {
		return nil, err
	}
	return p, nil
}

// WriteActions answers a page of the audit trail filtered by p:
// {"actions": [...], "nextCursor": "..."}.
func WriteActions(w http.ResponseWriter, r *http.Request, eng *ordo.Engine, p *store.ActionListParams) error {
	page, err := eng.Actions(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (s *Server) listActions(w http.ResponseWriter, r *http.Request) error {
	p, err := ActionQuery(r, false)
	if err != nil {
		return err
	}
	return WriteActions(w, r, s.cfg.Engine, p)
}

// instanceActions answers the audit trail of one instance; an unknown
// instance is a 404.
func (s *Server) instanceActions(w http.ResponseWriter, r *http.Request) error {
	p, err := ActionQuery(r, true)
	if err != nil {
		return err
	}
	id := r.PathValue("id") // checked by HandleScope with ordo.ValidateID
	if _, err := s.cfg.Engine.Get(r.Context(), id); err != nil {
		return err
	}
	p.InstanceID = id
	return WriteActions(w, r, s.cfg.Engine, p)
}
