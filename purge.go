package ordo

import (
	"context"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// DeleteHook deletes what belongs to finished instances outside the store
// (an order's production files). The engine calls it with the instances
// it is about to delete, before their rows go: an error keeps the rows, so
// the next purge offers the same instances again; a hook must therefore
// accept instances whose data it already deleted.
type DeleteHook func(ctx context.Context, instances []store.PurgeCandidate) error

// OnDelete adds a hook that Delete and Purge call before they delete
// instances.
func (e *Engine) OnDelete(h DeleteHook) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.deleteHooks = append(e.deleteHooks, h)
}

// runDeleteHooks calls the delete hooks on cs.
func (e *Engine) runDeleteHooks(ctx context.Context, cs []store.PurgeCandidate) error {
	e.mu.RLock()
	hooks := e.deleteHooks
	e.mu.RUnlock()
	for _, h := range hooks {
		if err := h(ctx, cs); err != nil {
			return fmt.Errorf("delete hook: %w", err)
		}
	}
	return nil
}

// purgeStore returns the store's PurgeStore capability.
func (e *Engine) purgeStore() (store.PurgeStore, error) {
	ps, ok := e.store.(store.PurgeStore)
	if !ok {
		return nil, &Error{Sentinel: ErrNotFound, Message: fmt.Sprintf("deleting instances: the store (%T) cannot", e.store)}
	}
	return ps, nil
}

// Delete deletes a finished instance (complete, errored, terminated or
// cancelled) with its journal, events, runs, search attributes and
// webhook deliveries, after the delete hooks (OnDelete) ran; the deletion
// is recorded in the audit trail with the actor and reason of ctx. An
// instance that has not finished is refused with an error matching
// ErrNotFinished and ErrInvalidTransition; an unknown one, ErrNotFound.
func (e *Engine) Delete(ctx context.Context, id string) error {
	if err := checkLookupID(id); err != nil {
		return err
	}
	ps, err := e.purgeStore()
	if err != nil {
		return err
	}
	in, err := e.store.InstanceGet(ctx, id)
	if err != nil {
		return storeError(fmt.Sprintf("delete instance %q", id), err, instanceMissing(id))
	}
	if !store.Deletable(in, time.Time{}) {
		return notFinished(in)
	}
	if err := e.runDeleteHooks(ctx, []store.PurgeCandidate{{ID: in.ID, Workflow: in.Workflow}}); err != nil {
		return fmt.Errorf("delete instance %q: %w", id, err)
	}
	audit := ActionEntry(ctx, e.clock.Now(), store.ActionInstanceDelete)
	audit.InstanceID = id
	deleted, err := ps.InstanceDelete(ctx, &store.InstanceDeleteParams{IDs: []string{id}, Audit: audit})
	if err != nil {
		return storeError(fmt.Sprintf("delete instance %q", id), err, instanceMissing(id))
	}
	if len(deleted) == 1 {
		return nil
	}
	// Changed meanwhile: deleted by someone else, or restarted.
	if in, err = e.store.InstanceGet(ctx, id); err != nil {
		return storeError(fmt.Sprintf("delete instance %q", id), err, instanceMissing(id))
	}
	return notFinished(in)
}

func notFinished(in *store.Instance) error {
	return &Error{Sentinel: ErrInvalidTransition, Cause: ErrNotFinished,
		Message: fmt.Sprintf("instance %q is %s: only a finished instance (complete, errored, terminated, cancelled) can be deleted",
			truncateID(in.ID), in.Status)}
}

// PurgeOptions select the finished instances Engine.Purge deletes.
type PurgeOptions struct {
	// FinishedBefore: instances that finished strictly before it.
	// Required.
	FinishedBefore time.Time
	// Statuses, if set, keeps instances in these statuses, each a
	// finished one. Default: every finished status.
	Statuses []Status
	// Workflows, if set, keeps instances of these workflows only.
	Workflows []string
	// ExceptWorkflows, if set, leaves out instances of these workflows.
	ExceptWorkflows []string
	// BatchSize is how many instances one delete transaction takes.
	// Default store.DefaultPurgeBatch (200), at most store.MaxPurgeBatch.
	BatchSize int
	// MaxInstances, if positive, stops the purge once it deleted this many
	// (PurgeResult.More then says whether more may match). Default 0: no
	// bound.
	MaxInstances int
	// DryRun counts the instances that match and deletes nothing.
	DryRun bool
	// PauseRatio paces the purge: after each batch it waits PauseRatio
	// times as long as the batch took, so that deleting takes at most
	// 1/(1+PauseRatio) of the database's time and the workflows' writes
	// go on beside it (SQLite has a single writer). The pause is on the
	// wall clock: it paces the database, not workflow time. Default 0: no
	// pause.
	PauseRatio float64
	// Audit records each batch in the audit trail (action
	// instance.purge, with the actor and reason of ctx): set it for an
	// operator's purge. Retention's own deletions are not recorded.
	Audit bool
}

// PurgeResult is what Engine.Purge did.
type PurgeResult struct {
	// Matched is how many instances matched (a dry run only).
	Matched int64 `json:"matched"`
	// Deleted is how many instances were deleted.
	Deleted int `json:"deleted"`
	// Batches is how many delete transactions ran.
	Batches int `json:"batches"`
	// Busy says another purge (in this process or, on PostgreSQL, in
	// another) held the purge lock, so nothing was deleted.
	Busy bool `json:"busy,omitempty"`
	// More says the purge stopped at MaxInstances, and more may match.
	More bool `json:"more,omitempty"`
}

// Purge deletes the finished instances opts selects, in batches of one
// short transaction each, oldest finish first, after the delete hooks
// (OnDelete) ran on each batch. Only one purge deletes at a time: on a
// store shared by several processes (PostgreSQL) the purge lock is taken
// in the database, and a purge that finds it held returns at once with
// Busy set. A dry run only counts. It stops early, returning what it did
// and the error, when ctx ends or a batch fails.
func (e *Engine) Purge(ctx context.Context, opts *PurgeOptions) (*PurgeResult, error) {
	if opts == nil {
		return nil, fmt.Errorf("%w: purge: options are required (a finish time)", ErrInvalidArgument)
	}
	ps, err := e.purgeStore()
	if err != nil {
		return nil, err
	}
	p := &store.PurgeParams{FinishedBefore: opts.FinishedBefore, Statuses: opts.Statuses, Workflows: opts.Workflows,
		ExceptWorkflows: opts.ExceptWorkflows, Limit: opts.BatchSize}
	batch, err := store.ValidatePurge(p)
	if err != nil {
		return nil, storeError("purge", err, "")
	}
	res := &PurgeResult{}
	if opts.DryRun {
		n, err := ps.InstancePurgeCount(ctx, p)
		if err != nil {
			return nil, storeError("purge", err, "")
		}
		res.Matched = n
		return res, nil
	}
	unlock, ok, err := ps.PurgeLock(ctx)
	if err != nil {
		return nil, storeError("purge", err, "")
	}
	if !ok {
		res.Busy = true
		return res, nil
	}
	defer unlock()
	for {
		p.Limit = batch
		if opts.MaxInstances > 0 {
			left := opts.MaxInstances - res.Deleted
			if left <= 0 {
				res.More = true
				return res, nil
			}
			p.Limit = min(batch, left)
		}
		began := time.Now()
		n, err := e.purgeBatch(ctx, ps, p, opts.Audit)
		if n > 0 {
			res.Batches++
			res.Deleted += n
		}
		if err != nil || n == 0 {
			return res, err
		}
		if err := pause(ctx, time.Duration(opts.PauseRatio*float64(time.Since(began)))); err != nil {
			return res, fmt.Errorf("purge: %w", err)
		}
	}
}

// pause waits d on the wall clock, or until ctx ends.
func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// purgeBatch deletes one batch of what p selects and returns how many it
// deleted: 0 when nothing matches (any more).
func (e *Engine) purgeBatch(ctx context.Context, ps store.PurgeStore, p *store.PurgeParams, audit bool) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("purge: %w", err)
	}
	cs, err := ps.InstancePurgeList(ctx, p)
	if err != nil || len(cs) == 0 {
		return 0, storeError("purge", err, "")
	}
	if err := e.runDeleteHooks(ctx, cs); err != nil {
		return 0, fmt.Errorf("purge: %w", err)
	}
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	dp := &store.InstanceDeleteParams{IDs: ids, FinishedBefore: p.FinishedBefore}
	if audit {
		dp.Audit = ActionEntry(ctx, e.clock.Now(), store.ActionInstancePurge)
	}
	deleted, err := ps.InstanceDelete(ctx, dp)
	if err != nil {
		return 0, storeError("purge", err, "")
	}
	return len(deleted), nil
}
