package flow

import (
	"encoding/json"
	"time"
)

// StepType says what a step does and which options it takes.
type StepType string

// The step types a flow may use.
const (
	// TypeConsumeRestAPI POSTs the order to options.uri (RestOptions).
	TypeConsumeRestAPI StepType = "consume-rest-api"
	// TypeSendEmail sends an e-mail (EmailOptions).
	TypeSendEmail StepType = "send-email"
	// TypeGenerateProductionFiles generates the order's production files
	// (FilesOptions).
	TypeGenerateProductionFiles StepType = "generate-production-files"
)

// Types returns the known step types, in the order error messages list them.
func Types() []StepType {
	return []StepType{TypeConsumeRestAPI, TypeSendEmail, TypeGenerateProductionFiles}
}

// Known reports whether t is one of Types.
func (t StepType) Known() bool {
	switch t {
	case TypeConsumeRestAPI, TypeSendEmail, TypeGenerateProductionFiles:
		return true
	}
	return false
}

// Backoff strategies of a RetryPolicy; they are the engine's names.
const (
	BackoffConstant    = "constant"
	BackoffLinear      = "linear"
	BackoffExponential = "exponential"
)

// Definition is a parsed and validated order flow. Parse returns one; build
// one by hand only in tests, and check it with Validate.
type Definition struct {
	// Description is free text from the object form; "" when absent.
	Description string
	// Triggers are the published events that start an order of the flow
	// (object form "triggers"); none when absent.
	Triggers []*Trigger
	// Steps in the order of the document. Steps[0] runs first.
	Steps []*StepDefinition
	// CancelStatus is "cancelStatus" (object form): the order's status once
	// it was cancelled and its compensations ran. "" means
	// DefaultCancelStatus.
	CancelStatus string
	// AllowCancelAfterCompletion is "allowCancelAfterCompletion" (object
	// form): an order whose flow completed may still be cancelled, which
	// runs the compensations of its completed steps. false: cancelling a
	// finished order is refused (409).
	AllowCancelAfterCompletion bool
	// Retention is "retention" (object form): how long finished orders
	// of the flow are kept after they finished, then deleted with their
	// production files; 0 keeps them forever. nil (absent): the server's
	// retention period applies.
	Retention *time.Duration
	// Concurrency is "concurrency" (object form): at most Limit orders of
	// the flow per key run at once. nil (absent or null): no limit.
	Concurrency *Concurrency
}

// DefaultCancelStatus is the status of a cancelled order when the flow
// names none (cancelStatus).
const DefaultCancelStatus = "Cancelled"

// CancelledStatus returns the order status of a cancelled order of d.
func (d *Definition) CancelledStatus() string {
	if d.CancelStatus == "" {
		return DefaultCancelStatus
	}
	return d.CancelStatus
}

// StepDefinition is one step of a flow, with the seed's fields.
type StepDefinition struct {
	// ID is "stepDefinitionId": unique within the flow, and the stable name
	// the runner gives the step on the engine.
	ID string
	// Type is "type".
	Type StepType
	// SuccessStatus is "successStatus": the order's status once the step
	// succeeds.
	SuccessStatus string
	// Options is "options", compact JSON with sorted keys. Read it with
	// RestOptions, EmailOptions or FilesOptions.
	Options json.RawMessage
	// Timeout is "timeout": the longest one attempt may run. 0 means not set
	// (the engine's default step timeout applies).
	Timeout time.Duration
	// OnSuccess is "onSuccess": the ID of the step that runs when this one
	// succeeds. "" means none: success completes the flow.
	OnSuccess string
	// OnError is "onError": the ID of the step that runs when this one fails
	// for good. "" means none: failure ends the flow as errored.
	OnError string
	// Retries is the "retries" extension. nil means the engine's defaults.
	Retries *RetryPolicy
	// Limit is the "limit" extension: the name of a limit the server
	// declares (ordo.Config.Limits, ordo serve --limit) that each attempt
	// of the step waits for. "" means none.
	Limit string
	// OnCompensate is the "onCompensate" extension: the ID of the step
	// that undoes this one once it succeeded (a refund, an apology), run
	// when the order is cancelled or its flow fails without an onError
	// path, newest step first. "" means none. The compensation step runs
	// with its own type, options, timeout and retries; its onSuccess,
	// onError, onCompensate and successStatus are not followed.
	OnCompensate string
}

// RetryPolicy is a step's "retries" object. Each field left unset takes the
// engine's default.
type RetryPolicy struct {
	// Limit is "limit": the number of retries after the first attempt, 0 to
	// 1000. nil means the engine's default.
	Limit *int
	// Delay is "delay": the base delay before a retry. 0 means the engine's
	// default.
	Delay time.Duration
	// Backoff is "backoff": BackoffConstant, BackoffLinear or
	// BackoffExponential. "" means the engine's default.
	Backoff string
}

// isZero reports whether p sets nothing, which means the same as no policy.
func (p *RetryPolicy) isZero() bool {
	return p == nil || (p.Limit == nil && p.Delay == 0 && p.Backoff == "")
}

// Step returns the step with the given ID, or nil if there is none.
func (d *Definition) Step(id string) *StepDefinition {
	for _, s := range d.Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// First returns the step the flow starts with, or nil for an empty
// definition (which Parse never returns).
func (d *Definition) First() *StepDefinition {
	if len(d.Steps) == 0 {
		return nil
	}
	return d.Steps[0]
}

// Validate checks a definition built in Go with the same rules as Parse, by
// parsing its canonical JSON. Problem paths then point into the object form
// ("/steps/0/options/uri"). It returns nil or a *ValidationError.
func (d *Definition) Validate() error {
	b, err := Canonical(d)
	if err != nil {
		return err
	}
	_, err = Parse(b)
	return err
}
