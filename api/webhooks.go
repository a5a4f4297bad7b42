package api

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/outbound"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/webhook"
)

// WebhookRoutes adds the webhook endpoints; GET needs read, every write
// admin:
//
//	POST   /v1/webhooks    {"id", "url", "events": [...], "secret"?} → 201, with the secret this once
//	GET    /v1/webhooks    every webhook, without secrets
//	GET    /v1/webhooks/{id}
//	DELETE /v1/webhooks/{id}                      → 204, with its deliveries
//	GET    /v1/webhooks/{id}/deliveries?limit=&cursor=   newest first, with attempts
//	POST   /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver
//
// policy, when set, refuses at create a URL the dispatcher could not
// reach (a link-local or denied address); the dispatcher checks every
// connection again.
func (s *Server) WebhookRoutes(ws store.WebhookStore, policy *outbound.Policy) {
	h := webhookHandlers{ws: ws, policy: policy, eng: s.cfg.Engine, log: s.log}
	s.HandleScope("POST /v1/webhooks", auth.ScopeAdmin, h.create)
	s.HandleScope("GET /v1/webhooks", auth.ScopeRead, h.list)
	s.HandleScope("GET /v1/webhooks/{id}", auth.ScopeRead, h.get)
	s.HandleScope("DELETE /v1/webhooks/{id}", auth.ScopeAdmin, h.delete)
	s.HandleScope("GET /v1/webhooks/{id}/deliveries", auth.ScopeRead, h.deliveries)
	s.HandleScope("POST /v1/webhooks/{id}/deliveries/{deliveryId}/redeliver", auth.ScopeAdmin, h.redeliver)
}

type webhookHandlers struct {
	ws     store.WebhookStore
	policy *outbound.Policy
	eng    *ordo.Engine
	log    *slog.Logger
}

// audit records a webhook change in the audit trail right after it (the
// webhook store's calls take no entry); a failure is logged, the change
// stands. Secrets are never recorded.
func (h webhookHandlers) audit(r *http.Request, action, id string, before, after any) {
	a := &store.Action{Action: action, Target: "webhook/" + id, Before: ordo.ActionData(before), After: ordo.ActionData(after)}
	if err := h.eng.RecordAction(r.Context(), a); err != nil {
		h.log.Error("ordo api: webhook changed but not recorded in the audit trail", "webhook", id, "action", action, "err", err)
	}
}

// hookData is what the audit trail keeps of a webhook: no secret.
func hookData(hook *store.Webhook) map[string]any {
	return map[string]any{"url": hook.URL, "events": hook.Events}
}

// CreateWebhookRequest is the body of POST /v1/webhooks. Secret, when
// given, is a whsec_ secret of 24 to 64 bytes; absent, one is generated.
type CreateWebhookRequest struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Secret string   `json:"secret,omitempty"`
}

// CreatedWebhook is the answer to POST /v1/webhooks: the webhook and, this
// once, its secret.
type CreatedWebhook struct {
	*store.Webhook
	Secret string `json:"secret"`
}

func (h webhookHandlers) create(w http.ResponseWriter, r *http.Request) error {
	var req CreateWebhookRequest
	if err := DecodeJSON(r, &req, false); err != nil {
		return err
	}
	if err := ordo.ValidateID("webhook id", req.ID); err != nil {
		return badRequest(CodeInvalidArgument, `field "id": `+ordo.Message(err))
	}
	if req.Secret == "" {
		secret, err := webhook.GenerateSecret()
		if err != nil {
			return err
		}
		req.Secret = secret
	} else if _, err := webhook.ParseSecret(req.Secret); err != nil {
		return badRequest(CodeInvalidArgument, `field "secret": `+strings.TrimPrefix(err.Error(), "webhook: "))
	}
	hook := &store.Webhook{ID: req.ID, URL: req.URL, Events: req.Events, Secret: req.Secret, CreatedAt: time.Now()}
	if err := store.ValidateWebhook(hook); err != nil {
		return hookErr("create webhook", err, "")
	}
	if h.policy != nil {
		u, _ := url.Parse(req.URL) // ValidateWebhook parsed it
		if err := h.policy.CheckURL(u); err != nil {
			return badRequest(CodeInvalidArgument, `field "url": `+err.Error())
		}
	}
	if err := h.ws.WebhookCreate(r.Context(), hook); err != nil {
		return hookErr("create webhook", err, "")
	}
	h.audit(r, store.ActionWebhookCreate, hook.ID, nil, hookData(hook))
	writeJSON(w, http.StatusCreated, CreatedWebhook{Webhook: hook, Secret: hook.Secret})
	return nil
}

func (h webhookHandlers) list(w http.ResponseWriter, r *http.Request) error {
	hooks, err := h.ws.WebhookList(r.Context())
	if err != nil {
		return hookErr("list webhooks", err, "")
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": hooks})
	return nil
}

func (h webhookHandlers) get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id") // checked by HandleScope with ordo.ValidateID
	hook, err := h.ws.WebhookGet(r.Context(), id)
	if err != nil {
		return hookErr("get webhook", err, fmt.Sprintf("webhook %q does not exist", id))
	}
	writeJSON(w, http.StatusOK, hook)
	return nil
}

func (h webhookHandlers) delete(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id") // checked by HandleScope with ordo.ValidateID
	var before any
	if old, err := h.ws.WebhookGet(r.Context(), id); err == nil {
		before = hookData(old)
	}
	if err := h.ws.WebhookDelete(r.Context(), id); err != nil {
		return hookErr("delete webhook", err, fmt.Sprintf("webhook %q does not exist", id))
	}
	h.audit(r, store.ActionWebhookDelete, id, before, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h webhookHandlers) deliveries(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id") // checked by HandleScope with ordo.ValidateID
	limit, err := ListLimit(r)
	if err != nil {
		return err
	}
	page, err := h.ws.WebhookDeliveries(r.Context(), &store.WebhookDeliveryListParams{
		WebhookID: id, Limit: limit, Cursor: r.URL.Query().Get("cursor"),
	})
	if err != nil {
		return hookErr("list deliveries", err, fmt.Sprintf("webhook %q does not exist", id))
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h webhookHandlers) redeliver(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id") // checked by HandleScope with ordo.ValidateID
	raw := r.PathValue("deliveryId")
	did, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || did < 1 {
		return badRequest(CodeInvalidArgument, fmt.Sprintf("delivery id must be a positive integer, got %.40q", raw))
	}
	d, err := h.ws.WebhookRedeliver(r.Context(), id, did, time.Now())
	if err != nil {
		return hookErr("redeliver", err, fmt.Sprintf("webhook %q has no delivery %d", id, did))
	}
	h.audit(r, store.ActionWebhookRedeliver, id, nil, map[string]int64{"delivery": did})
	writeJSON(w, http.StatusOK, d)
	return nil
}

// hookErr turns a store error into an error with a caller message:
// notFound for ErrNotFound, the store's own message for the others.
func hookErr(op string, err error, notFound string) error {
	var se *store.Error
	msg := op + ": " + strings.TrimPrefix(err.Error(), "store: ")
	if errors.As(err, &se) {
		msg = se.Message
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		if notFound != "" {
			msg = notFound
		}
		return &ordo.Error{Sentinel: ordo.ErrNotFound, Message: msg, Cause: err}
	case errors.Is(err, store.ErrAlreadyExists):
		return &ordo.Error{Sentinel: ordo.ErrAlreadyExists, Message: op + ": the id is taken", Cause: err}
	case errors.Is(err, store.ErrInvalidArgument):
		return &ordo.Error{Sentinel: ordo.ErrInvalidArgument, Message: msg, Cause: err}
	case errors.Is(err, store.ErrLimitExceeded):
		return &ordo.Error{Sentinel: ordo.ErrLimitExceeded, Message: msg, Cause: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}
