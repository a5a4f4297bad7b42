package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store"
)

// scheduleFiresShown is how many last fires the schedules page shows for
// each schedule.
const scheduleFiresShown = 5

// schedulesView is the schedules page.
type schedulesView struct {
	pageData
	Schedules []*scheduleRow
	Flash     *flash
}

// scheduleRow is one schedule on the page.
type scheduleRow struct {
	*schedule.View
	When, Starts string
	Next         []string
	Fires        []fireRow
}

// fireRow is one fire of a schedule.
type fireRow struct {
	At, Outcome, Instance, Error string
}

// schedulesPage lists the schedules with their next and last fires.
func (h *handler) schedulesPage(w http.ResponseWriter, r *http.Request) {
	var f *flash
	if done := r.URL.Query().Get("done"); done != "" && len(done) < 300 {
		f = &flash{OK: true, Message: done}
	}
	h.showSchedules(w, r, http.StatusOK, f)
}

func (h *handler) showSchedules(w http.ResponseWriter, r *http.Request, status int, f *flash) {
	v := &schedulesView{pageData: h.page(r, "Schedules"), Flash: f}
	list, err := h.cfg.Schedules.List(r.Context(), "")
	if err != nil {
		h.log.Error("ordo ui: list schedules", "err", err)
		v.Flash, status = &flash{Message: "The schedules could not be read: " + err.Error()}, http.StatusInternalServerError
	}
	for _, s := range list {
		full, err := h.cfg.Schedules.Get(r.Context(), s.ID)
		if err != nil {
			continue // deleted meanwhile
		}
		row := &scheduleRow{View: full, When: when(&full.Spec), Starts: starts(&full.Spec)}
		for i, t := range full.NextFires {
			if i == 3 {
				break
			}
			row.Next = append(row.Next, h.fmtTime(t))
		}
		for i, fr := range full.LastFires {
			if i == scheduleFiresShown {
				break
			}
			row.Fires = append(row.Fires, fireRow{At: h.fmtTime(fr.ScheduledAt), Outcome: string(fr.Outcome),
				Instance: instanceOf(fr), Error: fr.Error})
		}
		v.Schedules = append(v.Schedules, row)
	}
	h.render(w, r, h.pages.schedules, "layout", status, v)
}

// fmtTime shows t in the dashboard's zone.
func (h *handler) fmtTime(t time.Time) string {
	return t.In(h.cfg.Location).Format("2006-01-02 15:04:05 MST")
}

// instanceOf is the instance a fire started, "" when it started none.
func instanceOf(f *store.ScheduleFire) string {
	if f.Outcome == store.FireStarted || f.Outcome == store.FireAlreadyExisted {
		return f.InstanceID
	}
	return ""
}

func when(sp *schedule.Spec) string {
	if sp.Every != "" {
		return "every " + sp.Every
	}
	tz := sp.Timezone
	if tz == "" {
		tz = "UTC"
	}
	return sp.Cron + " (" + tz + ")"
}

func starts(sp *schedule.Spec) string {
	if sp.Flow != "" {
		return "an order of flow " + sp.Flow
	}
	return "workflow " + sp.Workflow
}

// scheduleAction pauses, resumes or triggers a schedule (admin scope, as
// the API's schedule writes).
func (h *handler) scheduleAction(w http.ResponseWriter, r *http.Request) {
	id, name := r.PathValue("id"), r.PathValue("action")
	if !h.adminAction(w, r, "a schedule action", h.showSchedules) {
		return
	}
	var (
		msg string
		err error
	)
	ctx := r.Context()
	switch name {
	case "pause":
		_, err = h.cfg.Schedules.Pause(ctx, id)
		msg = id + " paused"
	case "resume":
		_, err = h.cfg.Schedules.Resume(ctx, id)
		msg = id + " resumed"
	case "trigger":
		var f *store.ScheduleFire
		if f, err = h.cfg.Schedules.Trigger(ctx, id); err == nil {
			msg = fmt.Sprintf("%s fired: %s %s", id, f.Outcome, f.InstanceID)
		}
	default:
		err = fmt.Errorf("%w: unknown schedule action %q (pause, resume, trigger)", ordo.ErrNotFound, name)
	}
	if err != nil {
		status := h.errorStatus(err)
		if status == http.StatusInternalServerError && !errors.Is(err, ordo.ErrNotFound) {
			h.log.Error("ordo ui: schedule action", "id", id, "action", name, "err", err)
		}
		h.showSchedules(w, r, status, &flash{Message: err.Error()})
		return
	}
	http.Redirect(w, r, h.cfg.BasePath+"/schedules?done="+url.QueryEscape(msg), http.StatusSeeOther)
}
