package store

import (
	"fmt"
	"net/url"
	"slices"
	"time"
)

// Bounds on what WebhookStore stores; every backend applies them.
const (
	// MaxWebhooks is how many webhooks may exist at once; WebhookCreate
	// of one more returns an *Error matching ErrLimitExceeded.
	MaxWebhooks = 100
	// MaxWebhookURLLength bounds a webhook's URL.
	MaxWebhookURLLength = 2048
	// maxWebhookSecret bounds the stored secret (a whsec_ secret of 64
	// bytes is 94 characters).
	maxWebhookSecret = 200
	// MaxWebhookError bounds an attempt's error text; longer ones are cut.
	MaxWebhookError = 1024
)

// ValidateWebhook checks a webhook before a backend stores it: an ID of at
// most MaxKeyNameLength bytes (the API also checks it with
// ordo.ValidateID), an absolute http or https URL of at most
// MaxWebhookURLLength bytes, one to four distinct known events, and a
// secret. A refused webhook is an *Error matching ErrInvalidArgument that
// names the field.
func ValidateWebhook(w *Webhook) error {
	if w == nil {
		return invalidArg("webhook: no parameters")
	}
	if w.ID == "" || len(w.ID) > MaxKeyNameLength {
		return invalidArg("webhook id must be 1 to %d bytes, got %d", MaxKeyNameLength, len(w.ID))
	}
	if len(w.URL) > MaxWebhookURLLength {
		return invalidArg("webhook %q: url is %d bytes long; at most %d are allowed", w.ID, len(w.URL), MaxWebhookURLLength)
	}
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalidArg("webhook %q: url %q is not an absolute http or https URL", w.ID, truncate(w.URL))
	}
	if len(w.Events) == 0 || len(w.Events) > len(WebhookEvents) {
		return invalidArg("webhook %q: events must list 1 to %d of %v, got %d", w.ID, len(WebhookEvents), WebhookEvents, len(w.Events))
	}
	for i, e := range w.Events {
		if !slices.Contains(WebhookEvents, e) {
			return invalidArg("webhook %q: event %q is not one of %v", w.ID, truncate(e), WebhookEvents)
		}
		if slices.Contains(w.Events[:i], e) {
			return invalidArg("webhook %q: event %q is listed twice", w.ID, e)
		}
	}
	if w.Secret == "" || len(w.Secret) > maxWebhookSecret {
		return invalidArg("webhook %q: secret must be 1 to %d bytes", w.ID, maxWebhookSecret)
	}
	return nil
}

// ValidateWebhookRecord checks WebhookRecordParams and cuts an over-long
// error text to MaxWebhookError bytes.
func ValidateWebhookRecord(p *WebhookRecordParams) error {
	if p == nil {
		return invalidArg("delivery record: no parameters")
	}
	switch p.State {
	case WebhookPending, WebhookDelivered, WebhookFailed:
	default:
		return invalidArg("delivery %d: state %q is not pending, delivered or failed", p.ID, truncate(p.State))
	}
	if p.Attempt.Number < 1 {
		return invalidArg("delivery %d: attempt number %d is below 1", p.ID, p.Attempt.Number)
	}
	if len(p.Attempt.Error) > MaxWebhookError {
		p.Attempt.Error = p.Attempt.Error[:MaxWebhookError]
	}
	return nil
}

// WebhookClaimLimit checks WebhookClaimParams.Limit: 1 to MaxListLimit.
func WebhookClaimLimit(p *WebhookClaimParams) (int, error) {
	if p == nil || p.Limit < 1 {
		return 0, invalidArg("delivery claim: limit must be at least 1")
	}
	return min(p.Limit, MaxListLimit), nil
}

// NewWebhookDelivery returns the pending delivery of change c of instance in to
// webhook w, made at t.
func NewWebhookDelivery(w *Webhook, instanceID, workflow string, c WebhookChange, t time.Time) *WebhookDelivery {
	next := t
	return &WebhookDelivery{
		WebhookID: w.ID, Event: c.Event, InstanceID: instanceID, Workflow: workflow, Status: c.Status,
		CustomStatus: c.CustomStatus, PreviousCustomStatus: c.PreviousCustomStatus, CreatedAt: t,
		State: WebhookPending, NextAttemptAt: &next, RetryUntil: t.Add(WebhookRetryPeriod),
	}
}

// ErrWebhookLimit is the error of a WebhookCreate past MaxWebhooks; it
// matches ErrLimitExceeded.
func ErrWebhookLimit() error {
	return &Error{Err: ErrLimitExceeded, Message: fmt.Sprintf("at most %d webhooks may exist; delete one first", MaxWebhooks)}
}

// WebhookDeliveryListBounds checks p and returns the page size (ListLimit)
// and the delivery ID the page starts before (0 without a cursor). The
// cursor is an event-list cursor of the last delivery's ID.
func WebhookDeliveryListBounds(p *WebhookDeliveryListParams) (limit int, before int64, err error) {
	if p == nil {
		return 0, 0, invalidArg("webhook deliveries: no parameters")
	}
	if limit, err = ListLimit(p.Limit); err != nil {
		return 0, 0, err
	}
	if p.Cursor != "" {
		if before, err = DecodeEventCursor(p.Cursor); err != nil {
			return 0, 0, err
		}
	}
	return limit, before, nil
}

// WebhookDeliveryPageOf returns the page of ds, read newest first with
// one more than limit: the extra one means a next page exists.
func WebhookDeliveryPageOf(ds []*WebhookDelivery, limit int) *WebhookDeliveryPage {
	p := &WebhookDeliveryPage{Deliveries: ds}
	if len(ds) > limit {
		p.Deliveries = ds[:limit]
		p.NextCursor = EncodeEventCursor(ds[limit-1].ID)
	}
	if p.Deliveries == nil {
		p.Deliveries = []*WebhookDelivery{}
	}
	return p
}
