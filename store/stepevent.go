package store

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// StepEvent names the asynchronous step an event is the result of
// (EventSendParams.Step).
type StepEvent struct {
	// Key is the step's key ("ship#1").
	Key string
	// Attempt is the attempt the result is for: the step's Attempts when
	// the caller read it.
	Attempt int
}

// StepState is what CheckStepEvent needs of a journal entry.
type StepState struct {
	Kind     StepKind
	Status   StepStatus
	Attempts int
}

// OpStepResult is the TransitionError.Op of an asynchronous step's result
// that the step does not take.
const OpStepResult = "step.result"

// StepResultType is the event type that carries the result of attempt
// attempt of the asynchronous step key ("ordo.step:ship#1:2"): a result
// left over from an earlier attempt never answers a later one. The '#'
// of a key is not allowed in the event types callers send, so no caller
// can forge one.
func StepResultType(key string, attempt int) string {
	return "ordo.step:" + key + ":" + strconv.Itoa(attempt)
}

// StepResult is the payload of an asynchronous step's result event: its
// output, or the error it failed with.
type StepResult struct {
	Output json.RawMessage `json:"output,omitempty"`
	// Error, if set, fails the attempt; kind non_retryable fails the step
	// for good, any other is retried per the step's policy.
	Error *ErrorInfo `json:"error,omitempty"`
}

// CheckStepEvent reports whether the asynchronous step p.Step of an
// instance in status takes the result p carries: step is its state (nil
// when the instance has no such step: an *Error matching ErrNotFound) and
// pending whether an unconsumed event of p.Type (a result of the same
// attempt) is already stored. It
// must be a waiting KindAsync step at attempt p.Step.Attempt without a
// pending result; anything else is a *TransitionError with Op
// OpStepResult. Backends call it after CheckEvent, in the transaction
// that inserts the event.
func CheckStepEvent(p *EventSendParams, status InstanceStatus, step *StepState, pending bool) error {
	key := p.Step.Key
	if step == nil {
		return &Error{Err: ErrNotFound, Message: fmt.Sprintf("instance %q has no step %q", p.InstanceID, key)}
	}
	refuse := func(reason string) error {
		return &TransitionError{InstanceID: p.InstanceID, Op: OpStepResult, Status: status,
			Reason: fmt.Sprintf("step %q %s", key, reason)}
	}
	switch {
	case step.Kind != KindAsync:
		return refuse(fmt.Sprintf("is a %s step: only an asynchronous step takes a result", step.Kind))
	case step.Status != StepWaiting:
		return refuse(fmt.Sprintf("is %s, not waiting for a result", step.Status))
	case step.Attempts != p.Step.Attempt:
		return refuse(fmt.Sprintf("moved on to attempt %d; the result was for attempt %d", step.Attempts, p.Step.Attempt))
	case pending:
		return refuse("already has a result that the instance has not taken yet")
	}
	return nil
}
