package ordo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ordohq/ordo/store"
)

// control applies an operator action. A refused action is an *Error
// saying why in the caller's terms ("instance \"X\" is complete: resume
// needs a paused instance") and matching ErrInvalidTransition; an unknown
// instance or restart step, ErrNotFound.
func (e *Engine) control(ctx context.Context, id string, action store.ControlAction, from string) (*Instance, error) {
	return e.controlWith(ctx, &store.ControlParams{InstanceID: id, Action: action, FromStep: from})
}

// controlWith applies the action p describes; it fills in the time, the
// audit entry and, when p has none, the reason from ctx (WithReason).
func (e *Engine) controlWith(ctx context.Context, p *store.ControlParams) (*Instance, error) {
	return e.controlAudit(ctx, p, nil)
}

// controlAudit is controlWith with the audit entry's action name and
// before/after given by audit (nil: the action's name, no before/after).
func (e *Engine) controlAudit(ctx context.Context, p *store.ControlParams, audit *store.Action) (*Instance, error) {
	id, action := p.InstanceID, p.Action
	if err := checkLookupID(id); err != nil {
		return nil, err
	}
	if p.Reason == "" {
		p.Reason = Reason(ctx)
	}
	if err := checkReason(p.Reason); err != nil {
		return nil, err
	}
	now := e.clock.Now()
	p.Now = now
	if audit == nil {
		audit = &store.Action{Action: string(action)}
	}
	audit.At, audit.Actor, audit.InstanceID, audit.Reason = now, Actor(ctx), id, p.Reason
	if p.StepKey != "" && audit.Target == "" {
		audit.Target = "step/" + p.StepKey // which compensation
	}
	p.Audit = audit
	if action == store.ActionTerminate {
		// A child's end reaches its parent in the terminate's transaction.
		if in, err := e.store.InstanceGet(ctx, id); err == nil && !in.Status.Terminal() {
			p.Notify = store.ChildEndNotify(in, store.StatusTerminated, nil, store.TerminatedError(), now)
		}
	}
	inst, err := e.store.InstanceControl(ctx, p)
	if err != nil {
		missing := instanceMissing(id)
		if p.StepKey != "" {
			missing = fmt.Sprintf("instance %q or its step %q not found", id, p.StepKey)
		}
		return nil, storeError(fmt.Sprintf("%s instance %q", action, id), err, missing)
	}
	e.worker.notify()
	e.worker.signalControl(id)
	if action == store.ActionTerminate && inst.Status == store.StatusTerminated {
		e.observeFinish(inst.ID, inst.Workflow, inst.Status)
	}
	if action == store.ActionTerminate || action == store.ActionCancel {
		// The store closed the children in the action's transaction.
		e.closedChildren(ctx, id, now)
	}
	return &Instance{Instance: *inst}, nil
}

// Pause stops an instance at its next step boundary (a running step
// finishes and is recorded). Allowed from queued, running and waiting.
func (e *Engine) Pause(ctx context.Context, id string) (*Instance, error) {
	return e.control(ctx, id, store.ActionPause, "")
}

// Resume continues a paused instance.
func (e *Engine) Resume(ctx context.Context, id string) (*Instance, error) {
	return e.control(ctx, id, store.ActionResume, "")
}

// Terminate stops an instance for good; a running step's context is
// cancelled. No compensation runs.
func (e *Engine) Terminate(ctx context.Context, id string) (*Instance, error) {
	return e.control(ctx, id, store.ActionTerminate, "")
}

// Cancel stops an instance and rolls it back: a running step's context is
// cancelled at once (the worker learns it from its heartbeat, or at once
// in this process), then a worker replays the run so its compensations are
// registered, runs the compensations of the completed steps in reverse
// order, durably and with their retries, and ends the instance cancelled
// with an error of kind cancelled holding reason (and any compensation
// that failed for good). A step cut off by the cancel is not recorded, so
// it is not compensated. Allowed from queued, running, waiting and
// paused; a finished instance, or one already being cancelled, is
// refused with ErrInvalidTransition. Terminate stays the hard stop.
func (e *Engine) Cancel(ctx context.Context, id string, reason string) (*Instance, error) {
	return e.CancelWith(ctx, id, &CancelOptions{Reason: reason})
}

// CancelOptions configure Engine.CancelWith. nil means defaults.
type CancelOptions struct {
	// Reason is recorded on the instance and in the audit trail. Default
	// "": the reason of ctx (WithReason), if any.
	Reason string
	// AfterCompletion also cancels a complete instance: the compensations
	// of all its completed steps run and it ends cancelled. Default false:
	// a complete instance is refused like any finished one.
	AfterCompletion bool
}

// CancelWith is Cancel with options.
func (e *Engine) CancelWith(ctx context.Context, id string, opts *CancelOptions) (*Instance, error) {
	if opts == nil {
		opts = &CancelOptions{}
	}
	return e.controlWith(ctx, &store.ControlParams{InstanceID: id, Action: store.ActionCancel,
		Reason: opts.Reason, AfterCompletion: opts.AfterCompletion})
}

// CompensationAction is what an operator does about a compensation that
// failed for good.
type CompensationAction = store.ControlAction

// Compensation actions (see Engine.Compensation).
const (
	// CompensationRetry runs the compensation again with its retry policy.
	CompensationRetry = store.ActionCompensationRetry
	// CompensationDone marks it completed: the operator undid the step
	// by hand.
	CompensationDone = store.ActionCompensationDone
	// CompensationSkip marks it skipped: the step stays done.
	CompensationSkip = store.ActionCompensationSkip
)

// Compensation acts on the compensation of step stepKey ("charge#1") of an
// errored or cancelled instance, which failed for good: retry, done or
// skip (the CompensationAction constants), with the operator's reason
// recorded on the step. The instance then rolls back again: a worker runs
// what compensations are still due (the retried one) in reverse order and
// ends it with its status and error as before, listing the compensations
// that still failed. Refused with ErrInvalidTransition when the instance
// is not errored or cancelled or the step's compensation did not fail;
// ErrNotFound for an unknown step.
func (e *Engine) Compensation(ctx context.Context, id, stepKey string, action CompensationAction, reason string) (*Instance, error) {
	switch action {
	case CompensationRetry, CompensationDone, CompensationSkip:
	default:
		return nil, &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("compensation action %q: want %s, %s or %s", action, CompensationRetry, CompensationDone, CompensationSkip)}
	}
	if stepKey == "" || len(stepKey) > maxLookupBytes || !utf8.ValidString(stepKey) || strings.IndexByte(stepKey, 0) >= 0 {
		return nil, &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("step key must be a step's key (\"charge#1\"): at most %d bytes of UTF-8 text without NUL", maxLookupBytes)}
	}
	return e.controlWith(ctx, &store.ControlParams{InstanceID: id, Action: action, StepKey: stepKey, Reason: reason})
}

// maxReasonBytes bounds an operator's reason.
const maxReasonBytes = 2000

func checkReason(reason string) error {
	if len(reason) > maxReasonBytes || !utf8.ValidString(reason) || strings.IndexByte(reason, 0) >= 0 {
		return &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("reason must be at most %d bytes of UTF-8 text without NUL", maxReasonBytes)}
	}
	return nil
}

// Restart runs an instance again, from the beginning or from a named step
// (see RestartOptions), as a new run: the steps it runs again, with their
// attempts, are kept as the ended run's record (Engine.Runs), never
// deleted. Restarting from a step is refused with ErrInvalidTransition
// when compensations already undid earlier steps, unless
// RestartOptions.AllowCompensated. With RestartOptions.Params it is a
// redrive: the new run gets those params, and the audit entry (action
// "redrive") holds the params before and after.
func (e *Engine) Restart(ctx context.Context, id string, opts *RestartOptions) (*Instance, error) {
	if opts == nil {
		opts = &RestartOptions{}
	}
	from := opts.FromStep
	// Step names are text; a NUL or invalid UTF-8 would reach the store,
	// whose text columns refuse it.
	if len(from) > maxLookupBytes || !utf8.ValidString(from) || strings.IndexByte(from, 0) >= 0 {
		return nil, &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("fromStep must be a step name: at most %d bytes of UTF-8 text without NUL", maxLookupBytes)}
	}
	p := &store.ControlParams{InstanceID: id, Action: store.ActionRestart, FromStep: from,
		AllowCompensated: opts.AllowCompensated, Reason: opts.Reason}
	audit := &store.Action{Action: string(store.ActionRestart)}
	if opts.Params != nil {
		if err := checkLookupID(id); err != nil {
			return nil, err
		}
		inst, err := e.store.InstanceGet(ctx, id)
		if err != nil {
			return nil, storeError(fmt.Sprintf("restart instance %q", id), err, instanceMissing(id))
		}
		if err := e.checkRedriveParams(inst.Workflow, opts.Params); err != nil {
			return nil, err
		}
		if !bytes.Equal(inst.Params, opts.Params) {
			p.Params = opts.Params
			audit.Action = ActionRedrive
			audit.Before, audit.After = inst.Params, opts.Params
		}
	}
	return e.controlAudit(ctx, p, audit)
}

// ActionRedrive is the audit-trail action of a restart that gave the new
// run other params (store.Action.Action); a plain restart is "restart".
const ActionRedrive = "redrive"

// checkRedriveParams checks the params of a redrive as Create checks an
// instance's.
func (e *Engine) checkRedriveParams(workflow string, params json.RawMessage) error {
	if !json.Valid(params) {
		return fmt.Errorf("%w: params of the redrive are not valid JSON", ErrInvalidArgument)
	}
	if err := e.checkPayload("params", params); err != nil {
		return err
	}
	if def, ok := e.workflow(workflow); ok {
		return def.validateParams(params)
	}
	return nil
}

// Runs returns the ended runs of an instance, oldest first: each restart
// ends one, keeping the steps it runs again with their attempts (see
// store.Run). An instance never restarted has none; Instance.Run is the
// current run's number.
func (e *Engine) Runs(ctx context.Context, id string) ([]*store.Run, error) {
	if err := checkLookupID(id); err != nil {
		return nil, err
	}
	runs, err := e.store.InstanceRuns(ctx, id)
	if err != nil {
		return nil, storeError(fmt.Sprintf("runs of instance %q", id), err, instanceMissing(id))
	}
	return runs, nil
}
