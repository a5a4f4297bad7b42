package ui

import (
	"net/http"
	"net/url"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// eventWindows are the time windows the events page offers, by their
// query value; "" (the default) is the last 24 hours.
var eventWindows = []struct{ Value, Label string }{
	{"1h", "last hour"}, {"", "last 24 hours"}, {"168h", "last 7 days"}, {"all", "all kept events"},
}

// maxCursorLen bounds the cursor a page link carries.
const maxCursorLen = 200

// eventsView is the events page.
type eventsView struct {
	pageData
	Type, Since string
	Windows     []struct{ Value, Label string }
	Events      []*eventRow
	Flash       *flash
	// Next is the URL of the next page, "" on the last one. It is built
	// whole here: a query put into an href after "?" in the template is
	// escaped as a query value ("=" becomes "%3d").
	Next string
}

// eventRow is one published event and what its deliveries did.
type eventRow struct {
	ID, Type, At, Payload string
	Deliveries            []deliveryRow
	// Failed is true when a delivery started nothing because of an
	// error (an invalid payload, a filter that failed, a conflict).
	Failed bool
}

// deliveryRow is one delivery of an event to a subscription.
type deliveryRow struct {
	Subscription, Outcome, Instance, Error string
	Failed                                 bool
}

// eventsPage lists the published events of a window, oldest first, each
// with its deliveries, optionally of one type.
func (h *handler) eventsPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := &eventsView{pageData: h.page(r, "Events"), Type: q.Get("type"), Since: q.Get("since"), Windows: eventWindows}
	opts := &ordo.PublishedListOptions{Type: v.Type, Limit: h.cfg.PageSize, Cursor: q.Get("cursor")}
	status := http.StatusOK
	bad := func(msg string) {
		v.Flash, status = &flash{Message: msg}, http.StatusBadRequest
	}
	switch {
	case v.Type != "" && ordo.ValidateID("event type", v.Type) != nil:
		bad("The type filter is not an event type: " + ordo.Message(ordo.ValidateID("event type", v.Type)))
	case len(opts.Cursor) > maxCursorLen:
		bad("The page cursor is too long: follow the page links.")
	}
	switch v.Since {
	case "all":
	case "":
		opts.Since = h.engine.Clock().Now().Add(-24 * time.Hour)
	default:
		d, err := time.ParseDuration(v.Since)
		if err != nil || d <= 0 || d > 8784*time.Hour {
			bad("The window must be 1h, 168h or all.")
			break
		}
		opts.Since = h.engine.Clock().Now().Add(-d)
	}
	if v.Flash == nil {
		status = h.listEvents(r, v, opts)
	}
	h.render(w, r, h.pages.events, "layout", status, v)
}

// listEvents fills v with a page of events and their deliveries and
// returns the page's status.
func (h *handler) listEvents(r *http.Request, v *eventsView, opts *ordo.PublishedListOptions) int {
	ctx := r.Context()
	page, err := h.engine.PublishedEvents(ctx, opts)
	if err != nil {
		status := h.errorStatus(err)
		if status == http.StatusInternalServerError {
			h.log.Error("ordo ui: list events", "err", err)
		}
		v.Flash = &flash{Message: "The events could not be read: " + err.Error()}
		return status
	}
	for _, ev := range page.Events {
		row := &eventRow{ID: ev.ID, Type: ev.Type, At: h.fmtTime(ev.PublishedAt), Payload: compactJSON(ev.Payload, 200)}
		full, err := h.engine.PublishedEvent(ctx, ev.ID)
		if err != nil {
			h.log.Error("ordo ui: get event", "id", ev.ID, "err", err)
			row.Failed = true
			row.Deliveries = []deliveryRow{{Outcome: "unknown", Error: "its deliveries could not be read: " + err.Error(), Failed: true}}
			v.Events = append(v.Events, row)
			continue
		}
		for _, d := range full.Deliveries {
			dr := deliveryRow{Subscription: d.Subscription, Outcome: string(d.Outcome), Error: d.Error,
				Failed: d.Outcome != store.DeliveryStarted && d.Outcome != store.DeliveryFiltered}
			if d.Outcome == store.DeliveryStarted || d.Outcome == store.DeliveryConflict {
				dr.Instance = d.InstanceID
			}
			row.Failed = row.Failed || dr.Failed
			row.Deliveries = append(row.Deliveries, dr)
		}
		v.Events = append(v.Events, row)
	}
	if page.NextCursor != "" {
		next := url.Values{"cursor": {page.NextCursor}}
		if v.Type != "" {
			next.Set("type", v.Type)
		}
		if v.Since != "" {
			next.Set("since", v.Since)
		}
		v.Next = v.Base + "/events?" + next.Encode()
	}
	return http.StatusOK
}
