package ordo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// ChildPolicy is what terminating or cancelling a parent instance does to
// a child that still runs (ChildOptions.Policy).
type ChildPolicy = store.ChildPolicy

// Child policies.
const (
	// ChildTerminate terminates the child; no compensation runs (the
	// default, as Temporal's parent close policy).
	ChildTerminate = store.ChildTerminate
	// ChildCancel cancels the child: its compensations run, newest first.
	ChildCancel = store.ChildCancel
	// ChildAbandon leaves the child running on its own.
	ChildAbandon = store.ChildAbandon
)

// ChildOptions configure ExecuteChild and StartChild. nil means defaults.
type ChildOptions struct {
	// ID is the child's instance ID. Default: ChildInstanceID(the
	// parent's ID, the step's key), so a replay or a retried parent finds
	// the same child.
	ID string
	// Policy says what terminating or cancelling the parent does to the
	// child while it runs. Default ChildTerminate.
	Policy ChildPolicy
}

// ChildInstanceID is the default ID of the child a parent's step stepKey
// ("payment#1") starts: "<parent>:payment-1", hashed past MaxIDLength
// (as SubscriptionInstanceID).
func ChildInstanceID(parentID, stepKey string) string {
	key := []byte(stepKey)
	for i, c := range key {
		switch {
		case c == '#':
			key[i] = '-'
		case !idChar(c):
			key[i] = '_'
		}
	}
	return SubscriptionInstanceID(parentID, string(key))
}

// ExecuteChild starts the registered workflow wf as a child of this
// instance, exactly once, and waits for its output as a step named name.
// While the child runs the parent holds no worker: the child's end (in
// its final transaction) sends the parent an event that wakes it. A child
// that ends errored, cancelled or terminated fails the step with a
// non-retryable *StepError, so the parent's compensations apply as for
// any step.
//
// The child is created once, with the ID opts.ID or ChildInstanceID:
// replays and a parent that crashed after creating it find it again. The
// step has no retries of its own (the child's steps retry); a child that
// failed is not started again by the parent: restart it (Engine.Restart),
// or call ExecuteChild under another name for a new child. An instance
// with the ID that is no child of this instance fails the step.
func ExecuteChild[In, Out any](ctx context.Context, name string, wf *Workflow[In, Out], in In, opts *ChildOptions) (Out, error) {
	var zero Out
	raw, err := child(ctx, name, wf, in, opts, true)
	if err != nil {
		return zero, err
	}
	return decodeOutput[Out](name, raw)
}

// StartChild starts wf as a child of this instance, exactly once (as
// ExecuteChild), and returns the child's ID without waiting for it: the
// step completes when the child is created. The child's end still shows
// in the parent's events (type "ordo.child:<id>") while the parent runs.
func StartChild[In, Out any](ctx context.Context, name string, wf *Workflow[In, Out], in In, opts *ChildOptions) (string, error) {
	raw, err := child(ctx, name, wf, in, opts, false)
	if err != nil {
		return "", err
	}
	var id string
	err = json.Unmarshal(raw, &id)
	return id, err
}

func child[In, Out any](ctx context.Context, name string, wf *Workflow[In, Out], in In, opts *ChildOptions, await bool) (json.RawMessage, error) {
	r, err := runFrom(ctx)
	if err != nil {
		return nil, err
	}
	if name == "" || wf == nil {
		return nil, fmt.Errorf("%w: a child step needs a name and a workflow", ErrInvalidArgument)
	}
	if opts == nil {
		opts = &ChildOptions{}
	}
	policy := opts.Policy
	if policy == "" {
		policy = ChildTerminate
	}
	if !policy.Valid() {
		return nil, fmt.Errorf("%w: child policy %q: want terminate, cancel or abandon", ErrInvalidArgument, policy)
	}
	params, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("%w: marshal params of child %q: %w", ErrInvalidArgument, name, err)
	}
	return r.child(name, wf.Name(), params, opts.ID, policy, await)
}

// child runs a child step: answered from the journal, or by creating the
// child (and, for an awaited one, suspending until its end).
func (r *run) child(name, workflow string, params json.RawMessage, id string, policy ChildPolicy, await bool) (json.RawMessage, error) {
	r.checkStop()
	key, seq, ord := r.nextCall(name)
	r.expect(key, ord, store.KindChild)
	if id == "" {
		id = ChildInstanceID(r.inst.ID, key)
	}
	rec := r.lookup(key)
	if rec != nil {
		switch rec.Status {
		case store.StepCompleted:
			return rec.Output, nil
		case store.StepFailed:
			return nil, stepErrorFromRecord(rec)
		}
		r.replayEnd()
		return r.awaitChild(rec, id)
	}
	r.replayEnd()
	now := r.now()
	step := &store.Step{InstanceID: r.inst.ID, Key: key, Name: name, Seq: seq, Ordinal: ord, Kind: store.KindChild,
		Attempts: 1, StartedAt: now}
	if err := r.e.createChild(r.inst.ID, key, workflow, params, id, policy); err != nil {
		var se *Error
		if !errors.As(err, &se) {
			// The store failed: stop; the replay creates it later.
			r.setStop(err)
			panic(&stopSignal{cause: err})
		}
		step.Status, step.FinishedAt = store.StepFailed, &now
		step.Error = &store.ErrorInfo{Message: fmt.Sprintf("start child %q: %s", id, se.Message), Kind: store.ErrorKindNonRetryable, Step: name}
		return nil, r.recordChild(step, nil)
	}
	if !await {
		out, _ := json.Marshal(id)
		step.Status, step.Output, step.FinishedAt = store.StepCompleted, out, &now
		return out, r.recordChild(step, nil)
	}
	step.Status = store.StepWaiting
	r.addPending(step)
	return r.awaitChild(step, id)
}

// awaitChild answers a waiting child step with the child's end, if its
// result event arrived, or suspends the run until it does.
func (r *run) awaitChild(rec *store.Step, id string) (json.RawMessage, error) {
	typ := store.ChildResultType(id)
	ev := r.takeEvent(typ, nil)
	if ev == nil {
		panic(&suspendSignal{await: []string{typ}})
	}
	var res store.ChildResult
	now := r.now()
	step := *rec
	step.FinishedAt = &now
	if err := json.Unmarshal(ev.Payload, &res); err != nil || !res.Status.Terminal() {
		res = store.ChildResult{Status: store.StatusErrored, Error: &store.ErrorInfo{Message: "unreadable result event"}}
	}
	if res.Status == store.StatusComplete {
		step.Status, step.Output = store.StepCompleted, res.Output
		if len(step.Output) == 0 {
			step.Output = json.RawMessage("null")
		}
		return step.Output, r.recordChild(&step, ev)
	}
	msg := fmt.Sprintf("child %q ended %s", id, res.Status)
	if res.Error != nil && res.Error.Message != "" {
		msg += ": " + res.Error.Message
	}
	step.Status = store.StepFailed
	step.Error = &store.ErrorInfo{Message: msg, Kind: store.ErrorKindNonRetryable, Step: rec.Name}
	return nil, r.recordChild(&step, ev)
}

// recordChild commits a child step's final row (consuming ev, if any) and
// returns the step's error, if it failed.
func (r *run) recordChild(step *store.Step, ev *store.Event) error {
	upd := &store.Update{Steps: []*store.Step{step}}
	if ev != nil {
		upd.ConsumeEvents = []store.EventConsumption{{EventID: ev.ID, StepKey: step.Key}}
	}
	if _, err := r.commit(upd); err != nil {
		panic(&stopSignal{cause: err})
	}
	r.record(step)
	if step.Status == store.StepFailed {
		se := &StepError{Step: step.Name, Attempts: 1, Message: step.Error.Message, Kind: step.Error.Kind}
		se.setFlags()
		return se
	}
	return nil
}

// createChild creates the child instance id of parentID's step key, once:
// an existing instance that is that step's child counts as created. A
// refusal the caller can act on (an unregistered workflow, bad params, an
// ID taken by another instance) is an *Error; anything else is the
// store's failure.
func (e *Engine) createChild(parentID, key, workflow string, params json.RawMessage, id string, policy ChildPolicy) error {
	cp, err := e.CreateParams(workflow, params, &CreateOptions{ID: id})
	if err != nil {
		return &Error{Sentinel: ErrInvalidArgument, Message: Message(err), Cause: err}
	}
	cp.Parent = &store.ParentLink{ID: parentID, Step: key, Policy: policy}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	existing, err := e.store.InstanceCreate(ctx, cp)
	switch {
	case errors.Is(err, store.ErrAlreadyExists):
		if existing == nil || existing.ParentID != parentID || existing.ParentStep != key {
			return &Error{Sentinel: ErrAlreadyExists, Message: fmt.Sprintf("instance %q exists and is not the child of step %q", truncateID(id), key)}
		}
	case err != nil:
		return fmt.Errorf("create child %q: %w", id, err)
	}
	e.worker.notify()
	return nil
}

// closedChildren tells this engine's runs of id's descendants that
// closing id (a terminate or cancel applied at now) closed them: the
// store applied their policies in the action's transaction
// (store.CloseChildren), and a local run learns of it at once instead of
// at its next heartbeat. It observes the end of the children terminated.
func (e *Engine) closedChildren(ctx context.Context, id string, now time.Time) {
	p := &store.InstanceListParams{ParentID: id, Limit: store.MaxListLimit}
	for {
		page, err := e.store.InstanceList(ctx, p)
		if err != nil {
			e.log.Warn("ordo: list the children of an instance", LogKeyInstanceID, id, "err", err)
			return
		}
		for _, c := range page.Instances {
			// Stores keep microseconds.
			if d := c.UpdatedAt.Sub(now); c.ChildPolicy == store.ChildAbandon || d <= -time.Microsecond || d >= time.Microsecond {
				continue // left running, or closed before
			}
			if c.Status == store.StatusTerminated {
				e.observeFinish(c.ID, c.Workflow, c.Status)
			}
			e.worker.signalControl(c.ID)
			e.closedChildren(ctx, c.ID, now)
		}
		if page.NextCursor == "" {
			return
		}
		p.Cursor = page.NextCursor
	}
}
