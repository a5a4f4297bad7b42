package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// webhookDeliveriesShown is how many recent deliveries the webhooks page
// shows for each webhook.
const webhookDeliveriesShown = 10

// webhooksView is the webhooks page.
type webhooksView struct {
	pageData
	Webhooks []*webhookRow
	Flash    *flash
	// MayRedeliver shows the redeliver buttons: the dashboard runs open or
	// the key has the admin scope, which the API's redeliver needs.
	MayRedeliver bool
}

// webhookRow is one webhook with its recent deliveries.
type webhookRow struct {
	*store.Webhook
	Created    string
	Deliveries []hookDeliveryRow
	// More is true when older deliveries exist than those shown.
	More bool
	// Error is why the deliveries could not be read.
	Error string
}

// hookDeliveryRow is one delivery of a webhook.
type hookDeliveryRow struct {
	ID                             int64
	Event, Instance, Status, State string
	At, Next, LastCode, LastError  string
	Attempts                       int
	Failed, Pending                bool
}

// webhooksPage lists the webhooks with their recent deliveries.
func (h *handler) webhooksPage(w http.ResponseWriter, r *http.Request) {
	var f *flash
	if done := r.URL.Query().Get("done"); done != "" && len(done) < 300 {
		f = &flash{OK: true, Message: done}
	}
	h.showWebhooks(w, r, http.StatusOK, f)
}

func (h *handler) showWebhooks(w http.ResponseWriter, r *http.Request, status int, f *flash) {
	v := &webhooksView{pageData: h.page(r, "Webhooks"), Flash: f, MayRedeliver: mayAdmin(r)}
	ctx := r.Context()
	hooks, err := h.cfg.Webhooks.WebhookList(ctx)
	if err != nil {
		h.log.Error("ordo ui: list webhooks", "err", err)
		v.Flash, status = &flash{Message: "The webhooks could not be read: " + err.Error()}, http.StatusInternalServerError
	}
	for _, hook := range hooks {
		row := &webhookRow{Webhook: hook, Created: h.fmtTime(hook.CreatedAt)}
		page, err := h.cfg.Webhooks.WebhookDeliveries(ctx, &store.WebhookDeliveryListParams{WebhookID: hook.ID, Limit: webhookDeliveriesShown})
		switch {
		case errors.Is(err, store.ErrNotFound):
			continue // deleted meanwhile
		case err != nil:
			h.log.Error("ordo ui: list webhook deliveries", "webhook", hook.ID, "err", err)
			row.Error = "The deliveries could not be read: " + err.Error()
		default:
			row.More = page.NextCursor != ""
			for _, d := range page.Deliveries {
				row.Deliveries = append(row.Deliveries, h.hookDelivery(d))
			}
		}
		v.Webhooks = append(v.Webhooks, row)
	}
	h.render(w, r, h.pages.webhooks, "layout", status, v)
}

// hookDelivery is the row of one delivery: its last attempt's answer.
func (h *handler) hookDelivery(d *store.WebhookDelivery) hookDeliveryRow {
	row := hookDeliveryRow{ID: d.ID, Event: d.Event, Instance: d.InstanceID, Status: string(d.Status), State: d.State,
		At: h.fmtTime(d.CreatedAt), Attempts: len(d.Attempts),
		Failed: d.State == store.WebhookFailed, Pending: d.State == store.WebhookPending}
	if d.CustomStatus != "" {
		row.Status += " · " + d.CustomStatus
	}
	if d.NextAttemptAt != nil && row.Pending {
		row.Next = h.fmtTime(*d.NextAttemptAt)
	}
	if n := len(d.Attempts); n > 0 {
		last := d.Attempts[n-1]
		row.LastCode, row.LastError = "no answer", last.Error
		if last.StatusCode != 0 {
			row.LastCode = strconv.Itoa(last.StatusCode)
		}
	}
	return row
}

// redeliver makes a delivered or failed delivery pending again (admin
// scope, as the API's redeliver).
func (h *handler) redeliver(w http.ResponseWriter, r *http.Request) {
	id, raw := r.PathValue("id"), r.PathValue("delivery")
	if !h.adminAction(w, r, "redelivering", h.showWebhooks) {
		return
	}
	if err := ordo.ValidateID("webhook id", id); err != nil {
		h.showWebhooks(w, r, http.StatusBadRequest, &flash{Message: ordo.Message(err)})
		return
	}
	did, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || did < 1 {
		h.showWebhooks(w, r, http.StatusBadRequest, &flash{Message: fmt.Sprintf("The delivery id must be a positive integer, got %.40q.", raw)})
		return
	}
	d, err := h.cfg.Webhooks.WebhookRedeliver(r.Context(), id, did, time.Now()) // the dispatcher's clock, as the API
	if err != nil {
		status, msg := http.StatusInternalServerError, "The delivery could not be redelivered: "+err.Error()
		if errors.Is(err, store.ErrNotFound) {
			status, msg = http.StatusNotFound, fmt.Sprintf("Webhook %q has no delivery %d.", id, did)
		} else {
			h.log.Error("ordo ui: redeliver", "webhook", id, "delivery", did, "err", err)
		}
		h.showWebhooks(w, r, status, &flash{Message: msg})
		return
	}
	msg := fmt.Sprintf("Delivery %d of %s is %s: it goes out again shortly.", d.ID, id, d.State)
	http.Redirect(w, r, h.cfg.BasePath+"/webhooks?done="+url.QueryEscape(msg), http.StatusSeeOther)
}
