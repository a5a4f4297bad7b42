package ordo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

type runKey struct{}
type stepKey struct{}

// ErrNotInWorkflow is returned by the SDK calls that only a workflow
// function may make (Do, Sleep, WaitForEvent, ...) when their context is
// not the one the workflow function received.
var ErrNotInWorkflow = errors.New("ordo: called outside a workflow function (use the ctx the workflow received)")

func withRun(ctx context.Context, r *run) context.Context {
	return context.WithValue(ctx, runKey{}, r)
}

func runFrom(ctx context.Context) (*run, error) {
	if _, inStep := ctx.Value(stepKey{}).(*stepState); inStep {
		return nil, fmt.Errorf("%w: steps cannot be nested; call them from the workflow function", ErrInvalidArgument)
	}
	r, ok := ctx.Value(runKey{}).(*run)
	if !ok {
		return nil, ErrNotInWorkflow
	}
	return r, nil
}

// StepInfo describes the step attempt a context belongs to.
type StepInfo struct {
	InstanceID string
	Workflow   string
	// Step is the step's name; Key adds its occurrence ("charge#2").
	Step string
	Key  string
	// Attempt counts from 1.
	Attempt int
	// IdempotencyKey is the same on every attempt of this step and after
	// restarts: hand it to payment processors and other APIs so a retried
	// call is recognised. It is InstanceID + "/" + Key.
	IdempotencyKey string
	// Compensation is true while a step's compensation runs.
	Compensation bool
}

type stepState struct {
	info         StepInfo
	customStatus *string
	compData     json.RawMessage
}

// StepInfoFrom returns the step attempt the context belongs to; ok is false
// outside a step function.
func StepInfoFrom(ctx context.Context) (info StepInfo, ok bool) {
	s, ok := ctx.Value(stepKey{}).(*stepState)
	if !ok {
		return StepInfo{}, false
	}
	return s.info, true
}

// SetCustomStatus sets the instance's custom status (an order's status, for
// example). Called inside a step function, the status is stored atomically
// with the step's result when it succeeds; called from the workflow
// function, it is stored with the next write.
func SetCustomStatus(ctx context.Context, status string) error {
	if s, ok := ctx.Value(stepKey{}).(*stepState); ok {
		s.customStatus = &status
		return nil
	}
	r, ok := ctx.Value(runKey{}).(*run)
	if !ok {
		return ErrNotInWorkflow
	}
	r.mu.Lock()
	r.pending.CustomStatus = &status
	r.mu.Unlock()
	return nil
}

// InstanceID returns the ID of the instance a workflow or step context
// belongs to, or "".
func InstanceID(ctx context.Context) string {
	if r, ok := ctx.Value(runKey{}).(*run); ok {
		return r.inst.ID
	}
	return ""
}

// CancelStatus names the custom status the instance gets when it ends
// cancelled (Engine.Cancel), after its compensations ran: an order flow's
// "Cancelled", for example. Call it from the workflow function before its
// first step; it is not stored until then, so every replay must call it.
func CancelStatus(ctx context.Context, status string) error {
	if _, inStep := ctx.Value(stepKey{}).(*stepState); inStep {
		return fmt.Errorf("%w: CancelStatus belongs in the workflow function, not in a step", ErrInvalidArgument)
	}
	r, ok := ctx.Value(runKey{}).(*run)
	if !ok {
		return ErrNotInWorkflow
	}
	r.mu.Lock()
	r.cancelStatus = &status
	r.mu.Unlock()
	return nil
}
