package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
)

// orderView is an order's page: what was ordered and by whom, where its
// flow stands, its files, its instance's timeline and the actions.
type orderView struct {
	pageData
	Live    orderLive
	Actions actionsView
	Audit   auditView
	Runs    runsView
	ListURL string
}

// orderLive is the part of the order page htmx refreshes while the order
// is not finished; the timeline comes with it out of band.
type orderLive struct {
	ID, Flow, FlowURL string
	Version           int
	// Status is the order's status and Tone what it means (orderTone);
	// InstanceStatus is the lifecycle status of the instance running the
	// flow, shown apart.
	Status         string
	Tone           tone
	InstanceStatus string
	InstanceTone   tone
	InstanceURL    string
	Created        *timeView
	Finished       *timeView
	Duration       string
	Error          *errorView
	Unreadable     string
	Customer       order.Customer
	Items          []itemView
	Metadata       string
	History        []historyView
	Files          []fileView
	// Timeline is the instance's (liveView carries it to the shared
	// "timeline" template).
	Timeline liveView
	Poll     bool
	LiveURL  string
	Refresh  string
	// Priority is the order's priority (order.CreateRequest.Priority),
	// shown when not 0.
	Priority int
}

// itemView is one line of the order with the files made for it.
type itemView struct {
	Number        int // from 1
	SKU           string
	Quantity      int
	Template      string
	Parameters    string
	Files         []fileView
	HasProduction bool
}

// fileView is a production file with its download link.
type fileView struct {
	Name, Format, Size, SHA256 string
	URL                        string // download through the dashboard
	PreviewURL                 string // a rendered preview image, when available
}

// historyView is one entry of the order's status history.
type historyView struct {
	Status string
	Tone   tone
	Step   string
	At     *timeView
}

func (h *handler) orderPage(w http.ResponseWriter, r *http.Request) {
	h.showOrder(w, r, r.PathValue("id"), http.StatusOK, doneFlash(r.URL.Query().Get("done")), nil)
}

// showOrder renders the order page with an action's outcome; form refills
// the event form after a refused event.
func (h *handler) showOrder(w http.ResponseWriter, r *http.Request, id string, status int, fl *flash, form *actionsView) {
	o, inst, ok := h.loadOrder(w, r, id)
	if !ok {
		return
	}
	v := &orderView{pageData: h.page(r, "Order "+o.ID), Live: h.orderLive(r, o, inst), ListURL: h.cfg.BasePath + "/orders",
		Audit: h.audit(r.Context(), o.ID), Runs: h.runs(r.Context(), o.ID, inst.Run)}
	v.Actions = h.actionsFor(r, inst, h.orderURL(o.ID), fl, form)
	v.Actions.Target = "order"
	v.Actions.Version = o.FlowVersion
	if latest, err := h.cfg.Orders.Flow(r.Context(), o.Flow, 0); err == nil {
		for n := latest.Version; n >= 1 && n > latest.Version-50; n-- {
			v.Actions.Versions = append(v.Actions.Versions, n)
		}
	}
	if def := h.flowDefs(r.Context()).get(o.Flow, o.FlowVersion); def != nil && def.AllowCancelAfterCompletion && inst.Status == ordo.StatusComplete {
		v.Actions.Cancellable = true // the flow allows cancelling a completed order
	}
	h.render(w, r, h.pages.order, "layout", status, v)
}

// orderLiveFragment answers htmx's polling with the refreshed part and,
// out of band, the timeline. Once the order is finished it stops polling.
func (h *handler) orderLiveFragment(w http.ResponseWriter, r *http.Request) {
	o, inst, ok := h.loadOrder(w, r, r.PathValue("id"))
	if !ok {
		return
	}
	v := h.orderLive(r, o, inst)
	v.Timeline.OOB = true
	h.render(w, r, h.pages.order, "order-live", http.StatusOK, v)
}

// loadOrder reads an order and its instance, answering the request itself
// (not found, or a storage error) when it cannot.
func (h *handler) loadOrder(w http.ResponseWriter, r *http.Request, id string) (*order.Order, *ordo.Instance, bool) {
	if err := ordo.ValidateID("order id", id); err != nil {
		h.renderNotFound(w, r, err.Error())
		return nil, nil, false
	}
	o, err := h.cfg.Orders.GetOrder(r.Context(), id)
	if err == nil {
		var inst *ordo.Instance
		if inst, err = h.engine.Get(r.Context(), id); err == nil {
			return o, inst, true
		}
	}
	if errors.Is(err, ordo.ErrNotFound) {
		h.renderNotFound(w, r, "There is no order with ID "+id+".")
		return nil, nil, false
	}
	h.log.Error("ordo ui: get order", "id", id, "err", err)
	http.Error(w, "The order could not be read: "+err.Error(), http.StatusServiceUnavailable)
	return nil, nil, false
}

func (h *handler) orderLive(r *http.Request, o *order.Order, inst *ordo.Instance) orderLive {
	fc := h.clockFormat()
	def := h.flowDefs(r.Context()).get(o.Flow, o.FlowVersion)
	v := orderLive{
		ID: o.ID, Flow: o.Flow, FlowURL: h.flowURL(o.Flow, o.FlowVersion), Version: o.FlowVersion,
		Status: o.Status, Tone: orderTone(def, inst.Status, o.Status, journalFailed(inst.Steps)),
		InstanceStatus: string(inst.Status), InstanceTone: instanceTone(inst.Status), InstanceURL: h.instanceURL(inst.ID),
		Created: fc.at(&o.CreatedAt), Finished: fc.at(o.FinishedAt), Error: newErrorView(o.Error), Unreadable: o.Unreadable,
		Customer: o.Customer, Metadata: prettyJSON(jsonOf(o.Metadata)), Timeline: h.live(inst), Priority: o.Priority,
		Poll: !inst.Status.Terminal(), LiveURL: h.orderURL(o.ID) + "/live", Refresh: h.refresh(),
	}
	if o.FinishedAt != nil {
		v.Duration = formatDuration(o.FinishedAt.Sub(o.CreatedAt))
	} else {
		v.Duration = formatDuration(fc.now.Sub(o.CreatedAt)) + " so far"
	}
	failures := failureStatuses(def)
	for _, c := range o.StatusHistory {
		hv := historyView{Status: c.Status, Step: c.Step, At: fc.at(&c.At), Tone: toneOK}
		if failures[c.Status] {
			hv.Tone = toneFail
		}
		v.History = append(v.History, hv)
	}
	for _, f := range o.Files {
		v.Files = append(v.Files, h.fileView(o.ID, f))
	}
	for i, it := range o.Items {
		iv := itemView{Number: i + 1, SKU: it.SKU, Quantity: it.Quantity, HasProduction: it.Product != nil}
		if it.Product != nil {
			iv.Template, iv.Parameters = it.Product.Template, compactJSON(jsonOf(it.Product.Parameters), 200)
		}
		for _, f := range o.Files {
			if f.Item == i {
				iv.Files = append(iv.Files, h.fileView(o.ID, f))
			}
		}
		v.Items = append(v.Items, iv)
	}
	return v
}

func (h *handler) fileView(orderID string, f order.File) fileView {
	u := h.orderURL(orderID) + "/files/" + url.PathEscape(f.Name)
	return fileView{
		Name: f.Name, Format: f.Format, Size: formatBytes(f.Size), SHA256: f.SHA256,
		URL: u, PreviewURL: u + "/preview.png",
	}
}

// formatBytes writes a size in B, KiB, MiB or GiB.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 2; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMG"[exp])
}

// jsonOf encodes v for display; nil or an empty map gives nothing.
func jsonOf(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil || string(b) == "null" || string(b) == "{}" {
		return nil
	}
	return b
}
