package store

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// WebhookStore is an optional capability of a backend: it keeps the
// webhooks that report changes to other systems, and their outbox of
// deliveries. Discover it with a type assertion:
//
//	ws, ok := st.(store.WebhookStore)
//
// A backend that has it writes, in the transaction of Commit (and of
// InstanceControl for terminate), one pending WebhookDelivery per change and
// webhook subscribed to the change's event (see the Webhook* event
// names), so that no change goes unreported and none is reported that did
// not commit. With no webhook stored, the commit writes nothing more.
type WebhookStore interface {
	// WebhookCreate stores a new webhook; an ID that exists returns
	// ErrAlreadyExists. Check it with ValidateWebhook first.
	WebhookCreate(ctx context.Context, w *Webhook) error
	// WebhookGet returns the webhook, secret included, or ErrNotFound.
	WebhookGet(ctx context.Context, id string) (*Webhook, error)
	// WebhookList returns every webhook sorted by ID (at most
	// MaxWebhooks exist).
	WebhookList(ctx context.Context) ([]*Webhook, error)
	// WebhookDelete removes the webhook and its deliveries, or returns
	// ErrNotFound.
	WebhookDelete(ctx context.Context, id string) error

	// WebhookClaim returns up to p.Limit pending deliveries due at p.Now
	// and not claimed by another dispatcher, and claims them until
	// p.Until. Of the pending deliveries of one webhook and instance only
	// the oldest is ever returned, so they go out in order: the next one
	// is due only once the previous was delivered or failed for good. Safe
	// across processes: two concurrent claims never return the same
	// delivery while its claim lasts.
	WebhookClaim(ctx context.Context, p *WebhookClaimParams) ([]*WebhookDelivery, error)
	// WebhookRecord records one attempt of a claimed delivery and its new
	// state. It applies only while the delivery is pending with
	// p.Attempt-1 attempts recorded (else it returns ErrLeaseLost: another
	// dispatcher recorded it after this one's claim lapsed).
	WebhookRecord(ctx context.Context, p *WebhookRecordParams) error
	// WebhookDeliveries returns a webhook's deliveries newest first, with their
	// attempts, paginated like InstanceList. ErrNotFound if the webhook
	// does not exist.
	WebhookDeliveries(ctx context.Context, p *WebhookDeliveryListParams) (*WebhookDeliveryPage, error)
	// WebhookRedeliver makes a delivered or failed delivery pending again,
	// due at now, with a new retry period; a pending one is left as it is.
	// ErrNotFound if the webhook has no such delivery.
	WebhookRedeliver(ctx context.Context, webhookID string, id int64, now time.Time) (*WebhookDelivery, error)
	// WebhookPrune deletes up to limit delivered or failed deliveries
	// that finished before before, with their attempts, and returns how
	// many it deleted.
	WebhookPrune(ctx context.Context, before time.Time, limit int) (int, error)
}

// Event names a webhook subscribes to.
const (
	// WebhookOrderStatusChanged reports an instance's custom status change
	// (an order's status): Update.CustomStatus set to another value.
	WebhookOrderStatusChanged = "order.status_changed"
	// WebhookInstanceComplete reports an instance that completed.
	WebhookInstanceComplete = "instance.complete"
	// WebhookInstanceErrored reports an instance that failed for good.
	WebhookInstanceErrored = "instance.errored"
	// WebhookInstanceTerminated reports an instance an operator terminated.
	WebhookInstanceTerminated = "instance.terminated"
	// WebhookInstanceCancelled reports an instance that ended cancelled:
	// an operator cancelled it and its compensations ran.
	WebhookInstanceCancelled = "instance.cancelled"
)

// WebhookEvents lists every event name, in a stable order.
var WebhookEvents = []string{WebhookOrderStatusChanged, WebhookInstanceComplete, WebhookInstanceErrored,
	WebhookInstanceTerminated, WebhookInstanceCancelled}

// WebhookRetryPeriod is how long a delivery is retried, from the change
// (or from a redelivery), before it is marked failed.
const WebhookRetryPeriod = 24 * time.Hour

// Webhook is one subscription of a URL to events.
type Webhook struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	// Secret is the whsec_ secret that signs the deliveries; never shown
	// after the webhook was created.
	Secret    string    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
}

// Subscribes reports whether w takes event.
func (w *Webhook) Subscribes(event string) bool {
	for _, e := range w.Events {
		if e == event {
			return true
		}
	}
	return false
}

// WebhookDelivery states.
const (
	WebhookPending   = "pending"
	WebhookDelivered = "delivered"
	WebhookFailed    = "failed"
)

// WebhookDelivery is one notification to one webhook: the change it reports and
// how its delivery went.
type WebhookDelivery struct {
	ID        int64  `json:"id"`
	WebhookID string `json:"webhookId"`
	// Event is one of the Webhook* event names.
	Event      string `json:"event"`
	InstanceID string `json:"instanceId"`
	Workflow   string `json:"workflow"`
	// Status and CustomStatus are the instance's after the change;
	// PreviousCustomStatus its custom status before it.
	Status               InstanceStatus `json:"status"`
	CustomStatus         string         `json:"customStatus,omitempty"`
	PreviousCustomStatus string         `json:"previousCustomStatus,omitempty"`
	// CreatedAt is the time of the change.
	CreatedAt time.Time `json:"createdAt"`
	// State is WebhookPending, WebhookDelivered or WebhookFailed.
	State         string     `json:"state"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	// RetryUntil is when a pending delivery that still fails is marked
	// failed.
	RetryUntil time.Time        `json:"retryUntil"`
	Attempts   []WebhookAttempt `json:"attempts"`

	// URL and Secret are the webhook's, filled by WebhookClaim only.
	URL    string `json:"-"`
	Secret string `json:"-"`
}

// WebhookAttempt is one try of a delivery.
type WebhookAttempt struct {
	Number int       `json:"number"`
	At     time.Time `json:"at"`
	// StatusCode is the receiver's HTTP status, 0 when none came.
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error,omitempty"`
}

// MessageID is the delivery's webhook-id: the same on every attempt.
func (d *WebhookDelivery) MessageID() string { return "msg_" + strconv.FormatInt(d.ID, 10) }

// Body is the JSON document a delivery sends, the same on every attempt:
//
//	{"type": "<event>", "timestamp": "<time of the change>",
//	 "data": {"id", "workflow", "status", "customStatus", "previousCustomStatus"}}
func (d *WebhookDelivery) Body() []byte {
	b, _ := json.Marshal(struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      any    `json:"data"`
	}{d.Event, d.CreatedAt.UTC().Format(time.RFC3339Nano), struct {
		ID                   string         `json:"id"`
		Workflow             string         `json:"workflow"`
		Status               InstanceStatus `json:"status"`
		CustomStatus         string         `json:"customStatus"`
		PreviousCustomStatus string         `json:"previousCustomStatus"`
	}{d.InstanceID, d.Workflow, d.Status, d.CustomStatus, d.PreviousCustomStatus}})
	return b
}

// WebhookClaimParams are the arguments of WebhookStore.WebhookClaim.
type WebhookClaimParams struct {
	// Limit is how many deliveries to claim at most (1..1000).
	Limit int
	Now   time.Time
	// Until is when the claim lapses and another dispatcher may take the
	// delivery again.
	Until time.Time
}

// WebhookRecordParams are the arguments of WebhookStore.WebhookRecord.
type WebhookRecordParams struct {
	ID      int64
	Attempt WebhookAttempt
	// State is the delivery's state after the attempt.
	State string
	// NextAttemptAt is when a still pending delivery is due again.
	NextAttemptAt time.Time
}

// WebhookDeliveryListParams are the arguments of WebhookStore.WebhookDeliveries.
type WebhookDeliveryListParams struct {
	WebhookID string
	Limit     int    // see ListLimit
	Cursor    string // from WebhookDeliveryPage.NextCursor
}

// WebhookDeliveryPage is one page of WebhookStore.WebhookDeliveries.
type WebhookDeliveryPage struct {
	Deliveries []*WebhookDelivery `json:"deliveries"`
	NextCursor string             `json:"nextCursor,omitempty"`
}

// WebhookChange is one change a Commit reports, before it is multiplied
// by the webhooks that take it; backends build them with ReportedChanges.
type WebhookChange struct {
	Event                string
	Status               InstanceStatus
	CustomStatus         string
	PreviousCustomStatus string
}

// ReportedChanges returns the changes an applied update reports, in order:
// a custom status change (when it differs from prevCustom), then the end
// of the instance (when the state change applied: the instance was
// running before, wasRunning).
func ReportedChanges(u *Update, prevCustom string, prevStatus InstanceStatus) []WebhookChange {
	custom := prevCustom
	if u.CustomStatus != nil {
		custom = *u.CustomStatus
	}
	status := prevStatus
	applied := u.State != nil && prevStatus == StatusRunning
	if applied {
		status = u.State.Status
	}
	var out []WebhookChange
	if custom != prevCustom {
		out = append(out, WebhookChange{WebhookOrderStatusChanged, status, custom, prevCustom})
	}
	if applied && (status == StatusComplete || status == StatusErrored || status == StatusCancelled) {
		out = append(out, WebhookChange{"instance." + string(status), status, custom, prevCustom})
	}
	return out
}

// TerminatedChange is the change InstanceControl reports when it
// terminates an instance whose custom status is custom.
func TerminatedChange(custom string) WebhookChange {
	return WebhookChange{WebhookInstanceTerminated, StatusTerminated, custom, custom}
}
