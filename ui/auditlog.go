package ui

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ordohq/ordo/store"
)

// auditTimeLayouts are the forms the audit page's since and until
// accept: a datetime-local input's value, in the dashboard's time zone,
// or RFC 3339.
var auditTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339Nano}

// auditLogView is the global audit page (admin scope, as GET /v1/audit).
type auditLogView struct {
	pageData
	Action, Actor, Instance, Since, Until string
	// Actions are the action names offered by the filter's list.
	Actions []string
	Rows    []auditLogRow
	Flash   *flash
	// Next is the URL of the next (older) page, "" on the last one.
	Next     string
	Filtered bool
}

// auditLogRow is an entry with what it acted on.
type auditLogRow struct {
	auditRow
	// On is the instance or target; OnURL its page, when it has one.
	On, OnURL string
}

// knownActions lists the action names of the filter's suggestions.
var knownActions = []string{
	string(store.ActionPause), string(store.ActionResume), string(store.ActionTerminate), string(store.ActionCancel),
	string(store.ActionRestart), string(store.ActionCompensationRetry), string(store.ActionCompensationDone),
	string(store.ActionCompensationSkip), store.ActionFlowApply,
	store.ActionScheduleCreate, store.ActionScheduleUpdate, store.ActionSchedulePause, store.ActionScheduleResume,
	store.ActionScheduleDelete, store.ActionScheduleTrigger, store.ActionScheduleBackfill,
	store.ActionWebhookCreate, store.ActionWebhookDelete, store.ActionWebhookRedeliver,
	store.ActionKeyCreate, store.ActionKeyRevoke, "bulk.start",
}

// auditEnabled reports whether the store keeps an audit trail.
func (h *handler) auditEnabled() bool {
	_, ok := h.engine.Store().(store.ActionStore)
	return ok
}

// auditPage lists the audit trail newest first, filtered by action,
// actor, instance and time.
func (h *handler) auditPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := &auditLogView{pageData: h.page(r, "Audit trail"), Actions: knownActions,
		Action: q.Get("action"), Actor: q.Get("actor"), Instance: q.Get("instance"), Since: q.Get("since"), Until: q.Get("until")}
	v.Filtered = v.Action != "" || v.Actor != "" || v.Instance != "" || v.Since != "" || v.Until != ""
	status := http.StatusOK
	if !mayAdmin(r) {
		v.Flash = &flash{Message: "The audit trail needs the admin scope (as GET /v1/audit): sign in with an admin key."}
		h.render(w, r, h.pages.audit, "layout", http.StatusForbidden, v)
		return
	}
	p := &store.ActionListParams{Action: v.Action, Actor: v.Actor, InstanceID: v.Instance, Limit: h.cfg.PageSize, Cursor: q.Get("cursor")}
	var bad []string
	for _, t := range []struct {
		name, v string
		dst     *time.Time
	}{{"since", v.Since, &p.Since}, {"until", v.Until, &p.Until}} {
		if t.v == "" {
			continue
		}
		at, ok := h.parseAuditTime(t.v)
		if !ok {
			bad = append(bad, "The "+t.name+" time is not a date and time (2026-12-01T09:00).")
		}
		*t.dst = at
	}
	if len(p.Cursor) > maxCursorLen {
		bad = append(bad, "The page cursor is too long: follow the page links.")
	}
	if len(bad) > 0 {
		v.Flash, status = &flash{Message: strings.Join(bad, " ")}, http.StatusBadRequest
		h.render(w, r, h.pages.audit, "layout", status, v)
		return
	}
	page, err := h.engine.Actions(r.Context(), p)
	if err != nil {
		status = h.errorStatus(err)
		if status == http.StatusInternalServerError {
			h.log.Error("ordo ui: list the audit trail", "err", err)
		}
		v.Flash = &flash{Message: "The audit trail could not be read: " + err.Error()}
		h.render(w, r, h.pages.audit, "layout", status, v)
		return
	}
	fc := h.clockFormat()
	for _, a := range page.Actions {
		row := auditLogRow{auditRow: auditRow{At: fc.at(&a.At), Actor: a.Actor, Action: a.Action, Reason: a.Reason,
			Before: compactJSON(a.Before, 300), After: compactJSON(a.After, 300)}, On: a.InstanceID}
		switch kind, id, _ := strings.Cut(a.Target, "/"); {
		case a.InstanceID != "":
			row.OnURL = h.cfg.BasePath + "/instances/" + url.PathEscape(a.InstanceID)
		case kind == "schedule" && h.cfg.Schedules != nil:
			row.On, row.OnURL = a.Target, h.cfg.BasePath+"/schedules#schedule-"+url.PathEscape(id)
		case kind == "webhook" && h.cfg.Webhooks != nil:
			row.On, row.OnURL = a.Target, h.cfg.BasePath+"/webhooks"
		default:
			row.On = a.Target
		}
		v.Rows = append(v.Rows, row)
	}
	if page.NextCursor != "" {
		next := url.Values{"cursor": {page.NextCursor}}
		for k, val := range map[string]string{"action": v.Action, "actor": v.Actor, "instance": v.Instance, "since": v.Since, "until": v.Until} {
			if val != "" {
				next.Set(k, val)
			}
		}
		v.Next = h.cfg.BasePath + "/audit?" + next.Encode()
	}
	h.render(w, r, h.pages.audit, "layout", status, v)
}

// parseAuditTime reads a since or until filter in the dashboard's time
// zone (RFC 3339 carries its own).
func (h *handler) parseAuditTime(s string) (time.Time, bool) {
	for _, layout := range auditTimeLayouts {
		if t, err := time.ParseInLocation(layout, s, h.cfg.Location); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
