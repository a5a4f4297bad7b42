package ordo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/ordohq/ordo/store"
)

// Create starts an instance of the named workflow with JSON params. The
// instance is queued durably before Create returns, with the trace context
// of ctx's span, if any (TraceContextFrom), to which its runs' spans link. An ID that exists
// returns the existing instance together with an error wrapping
// ErrAlreadyExists.
func (e *Engine) Create(ctx context.Context, workflow string, params json.RawMessage, opts *CreateOptions) (*Instance, error) {
	cp, err := e.CreateParams(workflow, params, opts)
	if err != nil {
		return nil, err
	}
	cp.Trace = TraceContextFrom(ctx)
	id, now, params := cp.ID, cp.Now, cp.Params
	upd := &store.Update{Create: cp, InstanceID: id, Now: now}
	// A running engine with a free slot creates the instance already
	// claimed and runs it at once: no separate claim transaction, and the
	// create shares its commit with the other instances' step results.
	slot, reserved := e.worker.reserve()
	if reserved {
		cp.Claim = &store.CreateClaim{Owner: e.cfg.WorkerID, Token: slot, LeaseUntil: now.Add(e.cfg.LeaseDuration),
			Version: e.cfg.Version}
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
		return nil, storeError(fmt.Sprintf("create instance of %q", workflow), err, "")
	}
	inst := &store.Instance{ID: id, Workflow: workflow, Status: store.StatusQueued, Params: params, CreatedAt: now, UpdatedAt: now,
		Run: 1, Trace: cp.Trace, Priority: cp.Priority}
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
	if err := checkLookupID(id); err != nil {
		return nil, err
	}
	inst, err := e.store.InstanceGet(ctx, id)
	if err != nil {
		return nil, storeError(fmt.Sprintf("get instance %q", id), err, instanceMissing(id))
	}
	j, err := e.store.JournalLoad(ctx, id)
	if err != nil {
		return nil, storeError(fmt.Sprintf("load journal of instance %q", id), err, instanceMissing(id))
	}
	return &Instance{Instance: *inst, Steps: j.Steps, Reason: e.reason(inst)}, nil
}

// List returns instances newest first.
func (e *Engine) List(ctx context.Context, opts *ListOptions) (*InstancePage, error) {
	if opts == nil {
		opts = &ListOptions{}
	}
	if opts.Limit > store.MaxListLimit {
		return nil, checkListLimit(opts.Limit)
	}
	p := opts.storeParams()
	if err := store.ValidateList(p); err != nil {
		return nil, storeError("list instances", err, "")
	}
	page, err := e.store.InstanceList(ctx, p)
	if err != nil {
		return nil, storeError("list instances", err, "")
	}
	out := &InstancePage{NextCursor: page.NextCursor, Instances: make([]*Instance, len(page.Instances))}
	for i, in := range page.Instances {
		out.Instances[i] = &Instance{Instance: *in, Reason: e.reason(in)}
	}
	return out, nil
}

// Wait waits until an instance is complete, errored, terminated or
// cancelled, or ctx ends. It suits request handlers that run a short
// workflow to the end (as Medusa's workflow.run does). It looks again
// whenever this engine releases an instance and, for instances other
// processes run, polls with backoff (5 ms to 200 ms) on the engine's
// Clock: on a virtual clock only the first kind of wake-up happens until
// the clock is advanced.
func (e *Engine) Wait(ctx context.Context, id string) (*Instance, error) {
	delay := 5 * time.Millisecond
	for {
		released := e.released.next()
		inst, err := e.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if inst.Status.Terminal() {
			return inst, nil
		}
		t := e.clock.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return inst, fmt.Errorf("wait for instance %q: %w", id, ctx.Err())
		case <-t.C():
		case <-released:
			t.Stop()
		}
		delay = min(delay*2, 200*time.Millisecond)
	}
}

// checkListLimit checks a listing's page size: 0 (the default) or 1..1000.
func checkListLimit(n int) error {
	if n < 0 || n > store.MaxListLimit {
		return &Error{Sentinel: ErrInvalidArgument,
			Message: fmt.Sprintf("limit must be between 1 and %d, got %d", store.MaxListLimit, n)}
	}
	return nil
}

// CreateParams checks a create as Create does (the workflow is registered
// and not reserved, the params are valid JSON within the payload limit
// and decode as the workflow's params, the ID follows the id rules; a new
// UUIDv7 when opts has none) and returns what the store's InstanceCreate,
// or the PostgreSQL store's CreateTx, needs to create the instance in a
// transaction of your own.
func (e *Engine) CreateParams(workflow string, params json.RawMessage, opts *CreateOptions) (*store.InstanceCreateParams, error) {
	if err := e.checkReserved(workflow, opts); err != nil {
		return nil, err
	}
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
	cp := &store.InstanceCreateParams{ID: id, Workflow: workflow, Params: params, Now: e.clock.Now()}
	if opts != nil {
		if err := store.ValidatePriority(opts.Priority); err != nil {
			return nil, storeError("create instance of "+strconv.Quote(workflow), err, "")
		}
		cp.Priority = opts.Priority
	}
	if opts != nil && len(opts.Attributes) > 0 {
		attrs, err := store.NormalizeAttributes(opts.Attributes)
		if err != nil {
			return nil, storeError("create instance of "+strconv.Quote(workflow), err, "")
		}
		cp.Attributes = attrs
	}
	return cp, nil
}
