package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
)

// flowsView is the flows page: every flow with its latest version.
type flowsView struct {
	pageData
	Flows []flowRow
	Flash *flash
}

// flowRow is one flow in the flows list.
type flowRow struct {
	Name, URL, Source string
	Version           int
	Applied           *timeView
}

// flowView is one flow's page: its versions and a diff of two of them.
type flowView struct {
	pageData
	Name     string
	Versions []flowVersionRow
	// From and To are the versions compared; 0 when there is one version.
	From, To int
	Diff     *order.FlowDiff
	Flash    *flash
}

// flowVersionRow is one version of a flow.
type flowVersionRow struct {
	Version   int
	Applied   *timeView
	Source    string
	Orders    int // -1: not counted
	OrdersURL string
	Latest    bool
}

// flowsPage lists the flows.
func (h *handler) flowsPage(w http.ResponseWriter, r *http.Request) {
	v := &flowsView{pageData: h.page(r, "Flows")}
	vs, err := h.cfg.Orders.Flows(r.Context())
	if err != nil {
		h.log.Error("ordo ui: list flows", "err", err)
		v.Flash = &flash{Message: "The flows could not be read: " + ordo.Message(err)}
		h.render(w, r, h.pages.flows, "layout", http.StatusInternalServerError, v)
		return
	}
	cf := h.clockFormat()
	for _, fv := range vs {
		v.Flows = append(v.Flows, flowRow{Name: fv.Name, URL: h.flowURL(fv.Name, 0), Version: fv.Version,
			Source: sourceText(fv.Source), Applied: cf.at(&fv.CreatedAt)})
	}
	h.render(w, r, h.pages.flows, "layout", http.StatusOK, v)
}

// flowPage shows a flow's versions and the diff of ?from= and ?to= (by
// default ?version= or the latest against the one before it).
func (h *handler) flowPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	v := &flowView{pageData: h.page(r, "Flow "+name), Name: name}
	infos, err := h.cfg.Orders.FlowVersions(r.Context(), name)
	if errors.Is(err, ordo.ErrNotFound) {
		h.renderNotFound(w, r, fmt.Sprintf("There is no flow %q.", name))
		return
	}
	if err != nil {
		h.log.Error("ordo ui: flow versions", "flow", name, "err", err)
		v.Flash = &flash{Message: "The versions could not be read: " + ordo.Message(err)}
		h.render(w, r, h.pages.flow, "layout", http.StatusInternalServerError, v)
		return
	}
	cf := h.clockFormat()
	latest := infos[len(infos)-1].Version
	for i := len(infos) - 1; i >= 0; i-- { // newest first
		fv := infos[i]
		v.Versions = append(v.Versions, flowVersionRow{Version: fv.Version, Applied: cf.at(&fv.CreatedAt),
			Source: sourceText(fv.Source), Orders: fv.Orders, Latest: fv.Version == latest,
			OrdersURL: h.cfg.BasePath + "/orders?flow=" + url.QueryEscape(name)})
	}
	status := http.StatusOK
	if latest > 1 {
		v.From, v.To = latest-1, latest
		q := r.URL.Query()
		if n, err := versionQuery(q.Get("version"), latest, latest); err == nil && n > 1 {
			v.From, v.To = n-1, n // from an order's page: what its version changed
		}
		from, errF := versionQuery(q.Get("from"), v.From, latest)
		to, errT := versionQuery(q.Get("to"), v.To, latest)
		if errF != nil || errT != nil {
			v.Flash = &flash{Message: fmt.Sprintf("Choose two versions between 1 and %d.", latest)}
			status = http.StatusBadRequest
		} else {
			v.From, v.To = from, to
			if v.Diff, err = h.cfg.Orders.FlowDiff(r.Context(), name, from, to); err != nil {
				h.log.Error("ordo ui: flow diff", "flow", name, "err", err)
				v.Flash = &flash{Message: "The diff could not be made: " + ordo.Message(err)}
				status = h.errorStatus(err)
			}
		}
	}
	h.render(w, r, h.pages.flow, "layout", status, v)
}

// versionQuery reads a version from the query: def when empty, else a
// number between 1 and latest.
func versionQuery(s string, def, latest int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > latest {
		return 0, fmt.Errorf("%w: version %q", ordo.ErrInvalidArgument, s)
	}
	return n, nil
}

// sourceText is where a version came from, for people.
func sourceText(source string) string {
	if source == "" {
		return "unknown (before sources were recorded)"
	}
	return source
}
