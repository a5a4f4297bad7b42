package order

import (
	"time"

	"github.com/ordohq/ordo"
)

// StatusCreated is the status of an order whose flow has not completed a
// step yet.
const StatusCreated = "Created"

// Order is a commerce order as the API shows it: the document it was
// created with, where its flow stands, and what its steps produced. An
// order is an engine instance of the workflow "flow/<Flow>" with the same
// ID; Status is the instance's custom status.
type Order struct {
	// ID is the order's ID, also the ID of its instance.
	ID string `json:"id"`
	// Flow and FlowVersion name the flow version the order runs; an order
	// keeps the version it started with.
	Flow        string `json:"flow"`
	FlowVersion int    `json:"flowVersion"`
	// Status is the successStatus of the last step that succeeded, or
	// "Created".
	Status string `json:"status"`
	// StatusHistory lists every status the order had, oldest first:
	// "Created", then one entry per succeeded step. Left out of lists.
	StatusHistory []StatusChange `json:"statusHistory,omitempty"`

	Customer Customer       `json:"customer"`
	Items    []Item         `json:"items"`
	Metadata map[string]any `json:"metadata,omitempty"`

	// Run is the number of the current run of the order's flow: 1, and one
	// more at each restart. Runs are the ended runs, oldest first, each
	// with the steps its restart ran again (marked by the run's number, with
	// their attempts); Runs is left out of lists.
	Run  int         `json:"run,omitempty"`
	Runs []*ordo.Run `json:"runs,omitempty"`

	// Files are the production files generated for the order. Left out of
	// lists.
	Files []File `json:"files,omitempty"`

	// InstanceID is the ID of the engine instance running the flow (the
	// order ID). InstanceStatus is its lifecycle status: queued, running,
	// waiting, complete, errored, paused, terminated or cancelled.
	InstanceID     string      `json:"instanceId"`
	InstanceStatus ordo.Status `json:"instanceStatus"`
	// Priority is the priority the order was created with
	// (CreateRequest.Priority); omitted when 0.
	Priority int `json:"priority,omitempty"`
	// Cancelling is set while a cancel (POST /v1/orders/{id}/cancel) was
	// accepted and the compensations of its steps still run.
	Cancelling bool `json:"cancelling,omitempty"`
	// Error is why the flow stopped, when InstanceStatus is errored, or
	// the cancel's reason (kind cancelled) when it is cancelled.
	Error *ordo.ErrorInfo `json:"error,omitempty"`
	// Steps is the instance's journal: each step of the flow that ran,
	// keyed "<stepDefinitionId>#1", with its attempts and output. Left out
	// of lists.
	Steps []*ordo.StepRecord `json:"steps,omitempty"`

	CreatedAt  time.Time  `json:"createdAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`

	// Unreadable, when set, says why the order's stored document could not
	// be decoded; only its ID, status and instance fields are then known.
	// Lists show such an order instead of failing.
	Unreadable string `json:"unreadable,omitempty"`
}

// Customer is who placed the order.
type Customer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Item is one line of an order.
type Item struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	// Product, when set, makes the item parametric: the
	// generate-production-files step builds its file from it.
	Product *Product `json:"product,omitempty"`
}

// Product is a parametric product: a mesh template (see package mesh) and
// its parameters.
type Product struct {
	Template   string         `json:"template"`
	Parameters map[string]any `json:"parameters,omitempty"`
}

// File is a production file generated for an order item.
type File struct {
	// Name is the file name, unique within the order, for example
	// "1-ring-7.stl".
	Name string `json:"name"`
	// Item is the index of the item in Order.Items, from 0.
	Item int `json:"item"`
	// Format is the file format: "stl" or "obj".
	Format string `json:"format"`
	// Size is the length in bytes and SHA256 the hex digest of the content.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// URL is where the API serves the file: /v1/orders/{id}/files/{name}.
	URL string `json:"url"`
	// Cancelled marks the file of an order that was cancelled: it is kept
	// (for the record, or a reprint) but must not go to production.
	Cancelled bool `json:"cancelled,omitempty"`
}

// StatusChange is one entry of an order's status history.
type StatusChange struct {
	Status string `json:"status"`
	// Step is the stepDefinitionId of the step that set the status; ""
	// for "Created".
	Step string    `json:"step,omitempty"`
	At   time.Time `json:"at"`
	// Run is the run of the order's flow the entry belongs to (1, 2, ...
	// after restarts); 0 in an order never restarted.
	Run int `json:"run,omitempty"`
	// Restart, when set, makes the entry the restart that began run Run;
	// Status is then the status the order had once restarted (the last
	// kept step's, or "Created").
	Restart *RestartChange `json:"restart,omitempty"`
}

// RestartChange describes a restart in an order's status history.
type RestartChange struct {
	// Message says it in words: "restarted: run 2 from step notify-erp".
	Message string `json:"message"`
	// FromStep is the step the run began from, "" for the beginning.
	FromStep string `json:"fromStep,omitempty"`
	// FlowVersion is the flow version the new run runs.
	FlowVersion int `json:"flowVersion,omitempty"`
	// Redrive is set when the new run got an edited document or another
	// flow version.
	Redrive bool   `json:"redrive,omitempty"`
	Actor   string `json:"actor,omitempty"`
	Reason  string `json:"reason,omitempty"`
}
