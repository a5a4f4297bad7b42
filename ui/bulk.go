package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/bulk"
)

// bulkView is the bulk form of the orders page, and after a dry run its
// count, sample and confirmation.
type bulkView struct {
	URL     string // where the form posts: {base}/orders/bulk
	BackURL string // the filtered list
	Actions []bulk.Action
	// Query is the list's filter, carried in the form as hidden fields.
	Query     []hiddenField
	Action    string
	Reason    string
	FromStep  string
	Preview   *bulk.Preview // the dry run, shown with the confirmation
	SampleURL func(id string) string
	Flash     *flash
	// CanOperate is false when the key lacks the operate scope (no form).
	CanOperate bool
}

type hiddenField struct{ Name, Value string }

// bulkJobView is a bulk job's page.
type bulkJobView struct {
	pageData
	Job     bulkJobLive
	ListURL string
}

// bulkJobLive is the part of the job page htmx refreshes until the job
// is done.
type bulkJobLive struct {
	*bulk.Job
	Filter      string
	Tone        tone
	Created     *timeView
	Finished    *timeView
	Poll        bool
	LiveURL     string
	Refresh     string
	OrderURL    func(id string) string
	PercentDone int
	ErrorView   *errorView
}

// bulkForm reads the bulk form of the orders page.
func bulkForm(r *http.Request) (action bulk.Action, reason, fromStep string) {
	return bulk.Action(strings.TrimSpace(r.PostForm.Get("action"))), strings.TrimSpace(r.PostForm.Get("reason")),
		strings.TrimSpace(r.PostForm.Get("fromStep"))
}

// bulkFor returns the bulk form for the orders filtered by f.
func (h *handler) bulkFor(r *http.Request, f orderFilter) *bulkView {
	if h.cfg.Bulk == nil {
		return nil
	}
	b := &bulkView{URL: h.cfg.BasePath + "/orders/bulk", BackURL: h.cfg.BasePath + "/orders" + f.query(""),
		Actions: bulk.Actions, SampleURL: h.orderURL}
	_, b.CanOperate = mayOperate(r.Context())
	for k, vs := range f.values() {
		b.Query = append(b.Query, hiddenField{Name: k, Value: vs[0]})
	}
	return b
}

// ordersBulk handles POST {base}/orders/bulk (plain forms, no htmx):
// without confirm=yes a dry run, answered with the orders page showing
// the count, a sample and the confirmation; with it the job starts and
// the browser goes to its page (303).
// The filter is the list's, from the form's hidden fields.
func (h *handler) ordersBulk(w http.ResponseWriter, r *http.Request) {
	if err := h.sameOrigin(r); err != nil {
		h.log.Warn("ordo ui: refused bulk action", "err", err)
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	perr := r.ParseForm()
	f, ferr := parseOrderFilter(r.PostForm, h.cfg.Location)
	f.Cursor = ""
	v, _ := h.ordersView(r, f) // a refused filter is refused again below
	b := v.Bulk
	action, reason, fromStep := bulkForm(r)
	b.Action, b.Reason, b.FromStep = string(action), reason, fromStep
	fail := func(status int, err error) {
		b.Flash = &flash{Message: err.Error()}
		h.render(w, r, h.pages.orders, "layout", status, v)
	}
	if p, ok := mayOperate(r.Context()); !ok {
		fail(http.StatusForbidden, fmt.Errorf("the key %q has scope %s: bulk actions need the operate scope", p.Name, p.Scope))
		return
	}
	if perr != nil || ferr != nil {
		fail(http.StatusBadRequest, fmt.Errorf("%w: the form or its filter is not valid: %w", ordo.ErrInvalidArgument, errors.Join(perr, ferr)))
		return
	}
	filter, err := json.Marshal(f.listOptions(0))
	if err != nil {
		fail(http.StatusInternalServerError, err)
		return
	}
	req := &bulk.Request{Action: action, Filter: filter, Reason: reason, FromStep: fromStep}
	if r.PostForm.Get("confirm") != "yes" {
		pv, err := h.cfg.Bulk.DryRun(r.Context(), bulk.SourceOrders, req)
		if err != nil {
			fail(h.bulkStatus(err), err)
			return
		}
		b.Preview = pv
		h.render(w, r, h.pages.orders, "layout", http.StatusOK, v)
		return
	}
	job, err := h.cfg.Bulk.Start(r.Context(), bulk.SourceOrders, req)
	if err != nil {
		fail(h.bulkStatus(err), err)
		return
	}
	http.Redirect(w, r, h.bulkJobURL(job.ID), http.StatusSeeOther)
}

// bulkStatus is the status a refused bulk request is answered with.
func (h *handler) bulkStatus(err error) int {
	if errors.Is(err, bulk.ErrTooMany) {
		return http.StatusConflict
	}
	status := h.errorStatus(err)
	if status == http.StatusInternalServerError {
		h.log.Error("ordo ui: bulk action", "err", err)
	}
	return status
}

func (h *handler) bulkJobURL(id string) string {
	return h.cfg.BasePath + "/bulk/" + url.PathEscape(id)
}

// bulkJobPage serves GET {base}/bulk/{id}: a job's action, filter and
// progress, refreshed until it is done.
func (h *handler) bulkJobPage(w http.ResponseWriter, r *http.Request) {
	live, ok := h.bulkJob(w, r)
	if !ok {
		return
	}
	v := &bulkJobView{pageData: h.page(r, "Bulk job "+live.ID), Job: live, ListURL: h.cfg.BasePath + "/orders"}
	h.render(w, r, h.pages.bulkJob, "layout", http.StatusOK, v)
}

// bulkJobLiveFragment answers htmx's polling of a job page.
func (h *handler) bulkJobLiveFragment(w http.ResponseWriter, r *http.Request) {
	live, ok := h.bulkJob(w, r)
	if !ok {
		return
	}
	h.render(w, r, h.pages.bulkJob, "bulk-job", http.StatusOK, live)
}

func (h *handler) bulkJob(w http.ResponseWriter, r *http.Request) (bulkJobLive, bool) {
	id := r.PathValue("id")
	if err := ordo.ValidateID("bulk job id", id); err != nil {
		h.renderNotFound(w, r, err.Error())
		return bulkJobLive{}, false
	}
	j, err := h.cfg.Bulk.Get(r.Context(), id)
	if errors.Is(err, ordo.ErrNotFound) {
		h.renderNotFound(w, r, "There is no bulk job with ID "+id+".")
		return bulkJobLive{}, false
	}
	if err != nil {
		h.log.Error("ordo ui: get bulk job", "id", id, "err", err)
		http.Error(w, "The bulk job could not be read: "+err.Error(), http.StatusServiceUnavailable)
		return bulkJobLive{}, false
	}
	fc := h.clockFormat()
	live := bulkJobLive{Job: j, Filter: compactJSON(j.Filter, 500), Tone: instanceTone(j.Status),
		Created: fc.at(&j.CreatedAt), Finished: fc.at(j.FinishedAt), Poll: !j.Done,
		LiveURL: h.bulkJobURL(j.ID) + "/live", Refresh: h.refresh(), OrderURL: h.orderURL, ErrorView: newErrorView(j.Error)}
	if j.Done && j.Progress.Failed > 0 && j.Status == ordo.StatusComplete {
		live.Tone = toneFail
	}
	if t := j.Progress.Total; t > 0 {
		live.PercentDone = min(100, 100*j.Progress.Processed/t)
	} else if j.Done {
		live.PercentDone = 100
	}
	return live, true
}
