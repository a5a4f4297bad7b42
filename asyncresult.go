package ordo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ordohq/ordo/store"
)

// FailStepOptions configure Engine.FailStep. nil means defaults.
type FailStepOptions struct {
	// NonRetryable fails the step for good instead of retrying it per its
	// policy. Default false.
	NonRetryable bool
}

// maxFailMessageBytes bounds the error message of FailStep.
const maxFailMessageBytes = 4000

// CompleteStep reports the result of the asynchronous step key ("ship#1",
// see DoAsync) of instance id: output (JSON, or a value marshalled to
// JSON; at most Config.MaxPayloadBytes) becomes the step's output and the
// instance wakes at once. The step must be waiting for the result of its
// current attempt: otherwise (a result already reported, the step failed
// or completed, the instance finished) the error matches
// ErrStepNotWaiting (and ErrInvalidTransition); an unknown instance or
// step, ErrNotFound. The result is recorded in the audit trail.
func (e *Engine) CompleteStep(ctx context.Context, id, key string, output any) error {
	raw, err := eventPayload("step output", output)
	if err != nil {
		return err
	}
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	if err := e.checkPayload(fmt.Sprintf("output of step %q", key), raw); err != nil {
		return err
	}
	return e.stepResult(ctx, id, key, &store.StepResult{Output: raw}, store.ActionStepComplete)
}

// FailStep reports that the asynchronous step key of instance id failed
// with message: the attempt fails and is retried per the step's policy
// (its start function runs again), or the step fails for good with
// opts.NonRetryable or on its last attempt. Refusals as for CompleteStep.
func (e *Engine) FailStep(ctx context.Context, id, key, message string, opts *FailStepOptions) error {
	if message == "" || len(message) > maxFailMessageBytes || !utf8.ValidString(message) || strings.IndexByte(message, 0) >= 0 {
		return &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("error message must be 1 to %d bytes of UTF-8 text without NUL", maxFailMessageBytes)}
	}
	kind := store.ErrorKindStep
	if opts != nil && opts.NonRetryable {
		kind = store.ErrorKindNonRetryable
	}
	return e.stepResult(ctx, id, key, &store.StepResult{Error: &store.ErrorInfo{Message: message, Kind: kind}}, store.ActionStepFail)
}

// stepResult stores res as the result of the current attempt of step key.
func (e *Engine) stepResult(ctx context.Context, id, key string, res *store.StepResult, action string) error {
	if err := checkLookupID(id); err != nil {
		return err
	}
	if key == "" || len(key) > maxLookupBytes || !utf8.ValidString(key) || strings.IndexByte(key, 0) >= 0 {
		return &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("step key must be a step's key (\"ship#1\"): at most %d bytes of UTF-8 text without NUL", maxLookupBytes)}
	}
	op := fmt.Sprintf("%s of step %q of instance %q", action, key, id)
	j, err := e.store.JournalLoad(ctx, id)
	if err != nil {
		return storeError(op, err, instanceMissing(id))
	}
	attempt := -1
	for _, st := range j.Steps {
		if st.Key == key {
			attempt = st.Attempts
		}
	}
	if attempt < 0 {
		return &Error{Sentinel: ErrNotFound, Message: fmt.Sprintf("instance %q has no step %q", truncateID(id), key)}
	}
	payload, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("%s: encode: %w", op, err)
	}
	_, err = e.store.EventSend(ctx, &store.EventSendParams{
		InstanceID: id, Type: store.StepResultType(key, attempt), Payload: payload, Now: e.clock.Now(),
		MaxEvents: max(e.cfg.MaxEventsPerInstance, 0), MaxBytes: max(e.cfg.MaxEventBytesPerInstance, 0),
		Step: &store.StepEvent{Key: key, Attempt: attempt},
	})
	if err != nil {
		err = storeError(op, err, instanceMissing(id))
		if errors.Is(err, ErrInvalidTransition) {
			return &Error{Sentinel: ErrStepNotWaiting, Message: Message(err), Cause: err}
		}
		return err
	}
	e.worker.notify()
	a := &store.Action{Action: action, InstanceID: id, Target: "step/" + key, After: payload}
	if err := e.RecordAction(ctx, a); err != nil {
		e.log.Error("ordo: audit the result of an asynchronous step", "err", err)
	}
	return nil
}

// eventPayload turns a payload argument (nil, JSON, or a value to
// marshal) into JSON; what names it in errors ("event payload").
func eventPayload(what string, payload any) (json.RawMessage, error) {
	var raw json.RawMessage
	switch p := payload.(type) {
	case nil:
	case json.RawMessage:
		raw = p
	case []byte:
		raw = p
	default:
		b, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("%w: marshal %s: %w", ErrInvalidArgument, what, err)
		}
		raw = b
	}
	if len(raw) > 0 && !json.Valid(raw) {
		return nil, fmt.Errorf("%w: %s is not valid JSON", ErrInvalidArgument, what)
	}
	return raw, nil
}
