package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
)

// action handles POST {base}/instances/{id}/{action}: pause, resume,
// terminate, restart (form field "from": a step name, or empty for the
// beginning) and event (fields "type" and "payload", JSON). Without htmx a
// success redirects to the instance page (POST-redirect-GET); with htmx it
// answers that page at once. A refused action answers the page with the
// engine's message and the matching status (409 for an invalid
// transition, 400 for bad input, 404 for an unknown instance, 403 for a
// key without the operate scope).
func (h *handler) action(w http.ResponseWriter, r *http.Request) {
	h.runAction(w, r, actionPage{show: h.showInstance, url: h.instanceURL, cancel: func(ctx context.Context, id, reason string) error {
		_, err := h.engine.Cancel(ctx, id, reason)
		return err
	}})
}

// orderAction handles POST {base}/orders/{id}/{action}: the same actions
// on the order's instance, answered with the order page.
func (h *handler) orderAction(w http.ResponseWriter, r *http.Request) {
	if _, _, ok := h.loadOrder(w, r, r.PathValue("id")); !ok {
		return // not an order: nothing is done
	}
	h.runAction(w, r, actionPage{show: h.showOrder, url: h.orderURL, cancel: func(ctx context.Context, id, reason string) error {
		_, err := h.cfg.Orders.CancelOrder(ctx, id, reason) // the order's cancelStatus, and cancel after completion
		return err
	}, restart: h.redriveOrder})
}

// redriveOrder restarts an order from step from (order.Service.RestartOrder),
// on the flow version of the form's "flowVersion" ("" the order's own,
// "latest" or a number), re-running compensated steps when
// "rerunCompensated" is "yes", with the form's reason.
func (h *handler) redriveOrder(ctx context.Context, id, from string, form url.Values) error {
	req := &order.RestartRequest{FromStep: from, Reason: strings.TrimSpace(form.Get("reason")),
		RerunCompensated: form.Get("rerunCompensated") == "yes"}
	switch v := strings.TrimSpace(form.Get("flowVersion")); v {
	case "":
	case "latest":
		req.FlowVersion = json.RawMessage(`"latest"`)
	default:
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%w: flow version must be latest or a version number", ordo.ErrInvalidArgument)
		}
		req.FlowVersion = json.RawMessage(strconv.Itoa(n))
	}
	_, err := h.cfg.Orders.RestartOrder(ctx, id, req)
	return err
}

// showFunc renders the page an action was posted from, with its outcome.
type showFunc func(w http.ResponseWriter, r *http.Request, id string, status int, fl *flash, form *actionsView)

// actionPage is the page actions are posted from: how to show it, its
// URL (where a success without htmx is redirected) and how it cancels.
type actionPage struct {
	show   showFunc
	url    func(id string) string
	cancel func(ctx context.Context, id, reason string) error
	// restart, if set, restarts instead of Engine.Restart (an order's
	// redrive, with its flow version).
	restart func(ctx context.Context, id, from string, form url.Values) error
}

// runAction runs the action of the request's path and answers with the
// page it came from.
func (h *handler) runAction(w http.ResponseWriter, r *http.Request, page actionPage) {
	show := page.show
	id, name := r.PathValue("id"), r.PathValue("action")
	if err := h.sameOrigin(r); err != nil {
		h.log.Warn("ordo ui: refused action", "id", id, "action", name, "err", err)
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	if p, ok := mayOperate(r.Context()); !ok {
		h.log.Warn("ordo ui: refused action", "id", id, "action", name, "key", p.Name, "scope", p.Scope)
		msg := fmt.Sprintf("The key %q has scope %s: this action needs the operate scope.", p.Name, p.Scope)
		show(w, r, id, http.StatusForbidden, &flash{Message: msg}, nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(h.engine.MaxPayloadBytes())+64<<10)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = fmt.Errorf("%w: the form is larger than %d bytes", ordo.ErrPayloadTooLarge, mbe.Limit)
		} else {
			err = fmt.Errorf("%w: read form: %w", ordo.ErrInvalidArgument, err)
		}
		show(w, r, id, h.errorStatus(err), &flash{Message: err.Error()}, nil)
		return
	}
	form := &actionsView{EventType: strings.TrimSpace(r.PostForm.Get("type")), EventPayload: r.PostForm.Get("payload"),
		Reason: strings.TrimSpace(r.PostForm.Get("reason"))}
	if name == "cancel" && r.PostForm.Get("confirm") != "yes" && form.Reason != "" {
		// First the confirmation: what the cancel will undo.
		form.ConfirmCancel = true
		show(w, r, id, http.StatusOK, nil, form)
		return
	}
	msg, err := h.do(r, id, name, form, page)
	if err != nil {
		status := h.errorStatus(err)
		if status == http.StatusInternalServerError {
			h.log.Error("ordo ui: action", "id", id, "action", name, "err", err)
		}
		show(w, r, id, status, &flash{Message: err.Error()}, form)
		return
	}
	if r.Header.Get("HX-Request") == "true" {
		show(w, r, id, http.StatusOK, &flash{OK: true, Message: msg}, nil)
		return
	}
	http.Redirect(w, r, page.url(id)+"?done="+url.QueryEscape(name), http.StatusSeeOther)
}

// do runs one action and returns what to tell the operator.
func (h *handler) do(r *http.Request, id, action string, form *actionsView, page actionPage) (string, error) {
	ctx := r.Context()
	switch action {
	case "pause":
		_, err := h.engine.Pause(ctx, id)
		return "Paused: the instance stops at its next step boundary.", err
	case "resume":
		_, err := h.engine.Resume(ctx, id)
		return "Resumed.", err
	case "terminate":
		_, err := h.engine.Terminate(ctx, id)
		return "Terminated.", err
	case "restart":
		from := strings.TrimSpace(r.PostForm.Get("from"))
		var err error
		if page.restart != nil {
			err = page.restart(ctx, id, from, r.PostForm)
		} else {
			_, err = h.engine.Restart(ordo.WithReason(ctx, form.Reason), id,
				&ordo.RestartOptions{FromStep: from, AllowCompensated: r.PostForm.Get("rerunCompensated") == "yes"})
		}
		if from != "" {
			return fmt.Sprintf("Restarted from step %q.", from), err
		}
		return "Restarted from the beginning.", err
	case "cancel":
		if form.Reason == "" {
			return "", fmt.Errorf("%w: cancelling needs a reason", ordo.ErrInvalidArgument)
		}
		err := page.cancel(ctx, id, form.Reason)
		return "Cancelled: the compensations of the finished steps run in reverse order.", err
	case "compensation":
		return h.compensation(r, id, form.Reason)
	case "event":
		var payload any
		if p := strings.TrimSpace(form.EventPayload); p != "" {
			if !json.Valid([]byte(p)) {
				return "", fmt.Errorf("%w: the event payload is not valid JSON", ordo.ErrInvalidArgument)
			}
			payload = json.RawMessage(p)
		}
		err := h.engine.SendEvent(ctx, id, form.EventType, payload)
		return fmt.Sprintf("Event %q sent.", form.EventType), err
	}
	return "", fmt.Errorf("%w: unknown action %q (want pause, resume, terminate, cancel, restart, compensation or event)", ordo.ErrNotFound, action)
}

// compensation runs the compensation action of the form: fields "step"
// (the step's key) and "do" (retry, done or skip), with a reason.
func (h *handler) compensation(r *http.Request, id, reason string) (string, error) {
	key := strings.TrimSpace(r.PostForm.Get("step"))
	var do ordo.CompensationAction
	var done string
	switch r.PostForm.Get("do") {
	case "retry":
		do, done = ordo.CompensationRetry, fmt.Sprintf("Retrying the compensation of %q.", key)
	case "done":
		do, done = ordo.CompensationDone, fmt.Sprintf("The compensation of %q is marked done.", key)
	case "skip":
		do, done = ordo.CompensationSkip, fmt.Sprintf("The compensation of %q is skipped.", key)
	default:
		return "", fmt.Errorf("%w: compensation action must be retry, done or skip", ordo.ErrInvalidArgument)
	}
	if reason == "" {
		return "", fmt.Errorf("%w: a compensation action needs a reason", ordo.ErrInvalidArgument)
	}
	_, err := h.engine.Compensation(r.Context(), id, key, do, reason)
	return done, err
}
