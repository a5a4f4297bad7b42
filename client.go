package ordo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ordohq/ordo/store"
)

// Create starts an instance of the named workflow with JSON params. The
// instance is queued durably before Create returns. An ID that exists
// returns the existing instance together with an error wrapping
// ErrAlreadyExists.
func (e *Engine) Create(ctx context.Context, workflow string, params json.RawMessage, opts *CreateOptions) (*Instance, error) {
	def, ok := e.workflow(workflow)
	if !ok {
		return nil, fmt.Errorf("%w: workflow %q is not registered", ErrNotFound, workflow)
	}
	if len(params) == 0 {
		params = json.RawMessage("{}")
	}
	if !json.Valid(params) {
		return nil, fmt.Errorf("%w: params of workflow %q are not valid JSON", ErrInvalidArgument, workflow)
	}
	if err := e.checkPayload("params", params); err != nil {
		return nil, err
	}
	if err := def.validateParams(params); err != nil {
		return nil, err
	}
	id := ""
	if opts != nil {
		id = opts.ID
	}
	if id == "" {
		id = uuid.Must(uuid.NewV7()).String()
	} else if err := ValidateID("instance id", id); err != nil {
		return nil, err
	}
	now := e.clock.Now()
	cp := &store.InstanceCreateParams{ID: id, Workflow: workflow, Params: params, Now: now}
	upd := &store.Update{Create: cp, InstanceID: id, Now: now}
	// A running engine with a free slot creates the instance already
	// claimed and runs it at once: no separate claim transaction, and the
	// create shares its commit with the other instances' step results.
	slot, reserved := e.worker.reserve()
	if reserved {
		cp.Claim = &store.CreateClaim{Owner: e.cfg.WorkerID, Token: slot, LeaseUntil: now.Add(e.cfg.LeaseDuration)}
		upd.LeaseToken = slot
	}
	res, err := e.committer.commit(ctx, upd)
	if err == nil {
		err = res.Err
	}
	if err != nil {
		if reserved {
			e.worker.unreserve()
		}
		if errors.Is(err, store.ErrAlreadyExists) {
			existing, gerr := e.store.InstanceGet(ctx, id)
			if gerr != nil {
				return nil, fmt.Errorf("instance %q already exists: %w", id, ErrAlreadyExists)
			}
			return &Instance{Instance: *existing}, fmt.Errorf("instance %q already exists: %w", id, ErrAlreadyExists)
		}
		return nil, fmt.Errorf("create instance of %q: %w", workflow, translateStoreErr(err))
	}
	inst := &store.Instance{ID: id, Workflow: workflow, Status: store.StatusQueued, Params: params, CreatedAt: now, UpdatedAt: now}
	if reserved {
		lease := cp.Claim.LeaseUntil
		inst.Status, inst.StartedAt, inst.Claims = store.StatusRunning, &now, 1
		inst.LeaseOwner, inst.LeaseToken, inst.LeaseExpiresAt = e.cfg.WorkerID, slot, &lease
		out := *inst
		e.worker.launchFresh(inst)
		return &Instance{Instance: out}, nil
	}
	e.worker.notify()
	return &Instance{Instance: *inst}, nil
}

// Get returns an instance with its journal.
func (e *Engine) Get(ctx context.Context, id string) (*Instance, error) {
	inst, err := e.store.InstanceGet(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("get instance %q: %w", id, translateStoreErr(err))
	}
	j, err := e.store.JournalLoad(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load journal of instance %q: %w", id, translateStoreErr(err))
	}
	return &Instance{Instance: *inst, Steps: j.Steps}, nil
}

// Events returns the events sent to an instance, consumed or not.
func (e *Engine) Events(ctx context.Context, id string) ([]*store.Event, error) {
	j, err := e.store.JournalLoad(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load events of instance %q: %w", id, translateStoreErr(err))
	}
	return j.Events, nil
}

// List returns instances newest first.
func (e *Engine) List(ctx context.Context, opts *ListOptions) (*InstancePage, error) {
	if opts == nil {
		opts = &ListOptions{}
	}
	if opts.Status != "" && !opts.Status.Valid() {
		return nil, fmt.Errorf("%w: unknown status %q", ErrInvalidArgument, opts.Status)
	}
	if opts.Limit < 0 || opts.Limit > 1000 {
		return nil, fmt.Errorf("%w: limit must be between 1 and 1000, got %d", ErrInvalidArgument, opts.Limit)
	}
	page, err := e.store.InstanceList(ctx, &store.InstanceListParams{
		Workflow: opts.Workflow, WorkflowPrefix: opts.WorkflowPrefix, Status: opts.Status,
		CustomStatus: opts.CustomStatus, Limit: opts.Limit, Cursor: opts.Cursor,
	})
	if err != nil {
		return nil, fmt.Errorf("list instances: %w", translateStoreErr(err))
	}
	out := &InstancePage{NextCursor: page.NextCursor, Instances: make([]*Instance, len(page.Instances))}
	for i, in := range page.Instances {
		out.Instances[i] = &Instance{Instance: *in}
	}
	return out, nil
}

func (e *Engine) control(ctx context.Context, id string, action store.ControlAction, from string) (*Instance, error) {
	inst, err := e.store.InstanceControl(ctx, &store.ControlParams{
		InstanceID: id, Action: action, FromStep: from, Now: e.clock.Now(),
	})
	if err != nil {
		return nil, fmt.Errorf("%s instance %q: %w", action, id, translateStoreErr(err))
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
	return e.control(ctx, id, store.ActionRestart, from)
}

// SendEvent delivers an event to an instance. An instance waiting for this
// event type wakes at once; an event sent before the wait starts is kept
// until a WaitForEvent of that type receives it.
func (e *Engine) SendEvent(ctx context.Context, id, eventType string, payload any) error {
	if eventType == "" {
		return fmt.Errorf("%w: event type must not be empty", ErrInvalidArgument)
	}
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
			return fmt.Errorf("%w: marshal event payload: %w", ErrInvalidArgument, err)
		}
		raw = b
	}
	if len(raw) > 0 && !json.Valid(raw) {
		return fmt.Errorf("%w: event payload is not valid JSON", ErrInvalidArgument)
	}
	if err := e.checkPayload("event payload", raw); err != nil {
		return err
	}
	if _, err := e.store.EventSend(ctx, &store.EventSendParams{
		InstanceID: id, Type: eventType, Payload: raw, Now: e.clock.Now(),
	}); err != nil {
		return fmt.Errorf("send event %q to instance %q: %w", eventType, id, translateStoreErr(err))
	}
	e.worker.notify()
	return nil
}

// Wait polls an instance until it is complete, errored or terminated, or
// ctx ends. It suits request handlers that run a short workflow to the end
// (as Medusa's workflow.run does).
func (e *Engine) Wait(ctx context.Context, id string) (*Instance, error) {
	delay := 5 * time.Millisecond
	for {
		inst, err := e.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if inst.Status.Terminal() {
			return inst, nil
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return inst, fmt.Errorf("wait for instance %q: %w", id, ctx.Err())
		case <-t.C:
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}
