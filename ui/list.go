package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/ordohq/ordo"
)

// listView is the instances page.
type listView struct {
	pageData
	Filter    listFilter
	Workflows []string // registered workflows, suggested in the filter
	Statuses  []string
	Table     tableView
	// Message explains a refused filter or an unknown ID.
	Message string
}

// listFilter is the list page's query: ?workflow=&status=&custom=&cursor=.
type listFilter struct {
	Workflow, Status, Custom, Cursor string
	ID                               string // jump to this instance
}

func parseFilter(q url.Values) listFilter {
	return listFilter{
		Workflow: strings.TrimSpace(q.Get("workflow")), Status: strings.TrimSpace(q.Get("status")),
		Custom: strings.TrimSpace(q.Get("custom")), Cursor: q.Get("cursor"), ID: strings.TrimSpace(q.Get("id")),
	}
}

// query encodes the filter with another cursor; empty values are left out.
func (f listFilter) query(cursor string) string {
	v := url.Values{}
	for k, s := range map[string]string{"workflow": f.Workflow, "status": f.Status, "custom": f.Custom, "cursor": cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// Filtered reports whether any filter is set.
func (f listFilter) Filtered() bool { return f.Workflow != "" || f.Status != "" || f.Custom != "" }

// tableView is the instances table, which htmx refreshes on its own.
type tableView struct {
	Rows        []instanceRow
	FragmentURL string // where htmx polls the table
	Refresh     string
	NextURL     string // the next (older) page, if any
	NewestURL   string // the first page, when showing a later one
	Filtered    bool
}

// instanceRow is one instance in the table.
type instanceRow struct {
	ID, URL, Workflow, Status, CustomStatus string
	Reason                                  string // ordo.Instance.Reason
	Created, Finished                       *timeView
	Duration                                string
	Error                                   string
}

var allStatuses = []string{
	string(ordo.StatusQueued), string(ordo.StatusRunning), string(ordo.StatusWaiting), string(ordo.StatusPaused),
	string(ordo.StatusComplete), string(ordo.StatusErrored), string(ordo.StatusTerminated),
	string(ordo.StatusCancelled), string(ordo.StatusCancelled),
}

func (h *handler) listPage(w http.ResponseWriter, r *http.Request) {
	f := parseFilter(r.URL.Query())
	v := &listView{pageData: h.page(r, "Instances"), Filter: f, Statuses: allStatuses}
	for _, wf := range h.engine.Workflows() {
		v.Workflows = append(v.Workflows, wf.Name)
	}
	status := http.StatusOK
	if f.ID != "" {
		inst, err := h.engine.Get(r.Context(), f.ID)
		if err == nil {
			http.Redirect(w, r, h.instanceURL(inst.ID), http.StatusSeeOther)
			return
		}
		status, v.Message = h.errorStatus(err), "No instance with ID "+f.ID+"."
		if status != http.StatusNotFound {
			v.Message = err.Error()
		}
	}
	table, err := h.table(r, f)
	if err != nil {
		status, v.Message = h.errorStatus(err), err.Error()
	}
	v.Table = table
	h.render(w, r, h.pages.list, "layout", status, v)
}

// listFragment answers htmx's polling with the table alone.
func (h *handler) listFragment(w http.ResponseWriter, r *http.Request) {
	f := parseFilter(r.URL.Query())
	table, err := h.table(r, f)
	if err != nil {
		http.Error(w, err.Error(), h.errorStatus(err))
		return
	}
	h.render(w, r, h.pages.list, "instances-table", http.StatusOK, table)
}

// table lists one page of instances. On a refused filter it returns the
// empty table (still polling-capable) and the engine's error.
func (h *handler) table(r *http.Request, f listFilter) (tableView, error) {
	b := h.cfg.BasePath
	t := tableView{FragmentURL: b + "/fragments/instances" + f.query(f.Cursor), Refresh: h.refresh(), Filtered: f.Filtered()}
	if f.Cursor != "" {
		t.NewestURL = b + "/" + f.query("")
	}
	page, err := h.engine.List(r.Context(), &ordo.ListOptions{
		Workflow: f.Workflow, Status: ordo.Status(f.Status), CustomStatus: f.Custom, Cursor: f.Cursor, Limit: h.cfg.PageSize,
	})
	if err != nil {
		if !errors.Is(err, ordo.ErrInvalidArgument) {
			h.log.Error("ordo ui: list instances", "err", err)
		}
		return t, err
	}
	if page.NextCursor != "" {
		t.NextURL = b + "/" + f.query(page.NextCursor)
	}
	fc := h.clockFormat()
	for _, in := range page.Instances {
		row := instanceRow{
			ID: in.ID, URL: h.instanceURL(in.ID), Workflow: in.Workflow, Status: string(in.Status),
			Reason: string(in.Reason), CustomStatus: in.CustomStatus, Created: fc.at(&in.CreatedAt), Finished: fc.at(in.FinishedAt),
		}
		if in.FinishedAt != nil {
			row.Duration = formatDuration(in.FinishedAt.Sub(in.CreatedAt))
		}
		if in.Error != nil {
			row.Error = in.Error.Message
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func (h *handler) instanceURL(id string) string {
	return h.cfg.BasePath + "/instances/" + url.PathEscape(id)
}

func (h *handler) clockFormat() clockFormat {
	return clockFormat{now: h.engine.Clock().Now(), loc: h.cfg.Location}
}

// errorStatus maps an engine error to the HTTP status the page is sent
// with.
func (h *handler) errorStatus(err error) int {
	switch {
	case errors.Is(err, ordo.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, ordo.ErrInvalidTransition), errors.Is(err, ordo.ErrAlreadyExists):
		return http.StatusConflict
	case errors.Is(err, ordo.ErrInvalidArgument):
		return http.StatusBadRequest
	case errors.Is(err, ordo.ErrPayloadTooLarge):
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}
