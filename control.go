package ordo

import (
	"context"
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
	if err := checkLookupID(id); err != nil {
		return nil, err
	}
	now := e.clock.Now()
	inst, err := e.store.InstanceControl(ctx, &store.ControlParams{
		InstanceID: id, Action: action, FromStep: from, Now: now,
		Audit: &store.Action{At: now, Actor: Actor(ctx), Action: string(action), InstanceID: id, Reason: Reason(ctx)},
	})
	if err != nil {
		return nil, storeError(fmt.Sprintf("%s instance %q", action, id), err, instanceMissing(id))
	}
	e.worker.notify()
	e.worker.signalControl(id)
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

// Restart runs an instance again, from the beginning or from a named step
// (see RestartOptions). Restarting from a step is refused with
// ErrInvalidTransition when compensations already undid earlier steps.
func (e *Engine) Restart(ctx context.Context, id string, opts *RestartOptions) (*Instance, error) {
	from := ""
	if opts != nil {
		from = opts.FromStep
	}
	// Step names are text; a NUL or invalid UTF-8 would reach the store,
	// whose text columns refuse it.
	if len(from) > maxLookupBytes || !utf8.ValidString(from) || strings.IndexByte(from, 0) >= 0 {
		return nil, &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("fromStep must be a step name: at most %d bytes of UTF-8 text without NUL", maxLookupBytes)}
	}
	return e.control(ctx, id, store.ActionRestart, from)
}
