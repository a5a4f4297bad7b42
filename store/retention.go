package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// PurgeStore is the optional capability of deleting finished instances:
// retention (package retention) and the delete and purge operations of
// the engine. What may be deleted is decided here once (Deletable,
// PurgeParams.Matches); a backend encodes the same rule in its query with
// the values DeletableStatuses and DeleteBound give.
//
// Deleting an instance removes, in one transaction: the instance row, its
// steps and their attempts, its events, matched waits and copied events,
// its ended runs, its search attributes, and its webhook deliveries (with
// their attempts). It keeps the audit trail (ActionStore: the record of
// who did what, including the deletion itself), the deliveries of
// published events (a delivery is what keeps a late redelivery from
// starting the instance again) and schedule fires (the same, for a
// schedule's times).
type PurgeStore interface {
	// PurgeLock takes the store-wide purge lock if it is free and reports
	// whether it did; unlock releases it (a second call does nothing). On
	// a store shared by several processes (PostgreSQL) the lock is shared
	// by them, so that one deletes at a time; a lock whose holder died is
	// free again.
	PurgeLock(ctx context.Context) (unlock func(), ok bool, err error)
	// InstancePurgeList returns up to p.Limit instances that p matches
	// (PurgeParams.Matches), those that finished first first.
	InstancePurgeList(ctx context.Context, p *PurgeParams) ([]PurgeCandidate, error)
	// InstancePurgeCount counts the instances p matches (p.Limit is
	// ignored).
	InstancePurgeCount(ctx context.Context, p *PurgeParams) (int64, error)
	// InstanceDelete deletes, in one transaction, those of p.IDs that are
	// still Deletable (an ID that is not, or names no instance, is left
	// alone) with everything tied to them, and appends PurgeAudit(p.Audit)
	// when it deleted any. It returns the IDs it deleted.
	InstanceDelete(ctx context.Context, p *InstanceDeleteParams) ([]string, error)
}

// PurgeCandidate is an instance a purge selected.
type PurgeCandidate struct {
	ID       string `json:"id"`
	Workflow string `json:"workflow"`
}

// Bounds of a purge batch (PurgeParams.Limit, InstanceDeleteParams.IDs):
// small, so that a delete transaction never holds its locks for long.
const (
	DefaultPurgeBatch = 200
	MaxPurgeBatch     = 1000
)

// DeletableStatuses are the statuses an instance may be deleted in: the
// terminal ones (InstanceStatus.Terminal).
var DeletableStatuses = []InstanceStatus{StatusComplete, StatusErrored, StatusTerminated, StatusCancelled}

// Deletable reports whether in may be deleted: it finished (a terminal
// status and a finish time) strictly before finishedBefore, or at any time
// when finishedBefore is zero.
func Deletable(in *Instance, finishedBefore time.Time) bool {
	if !in.Status.Terminal() || in.FinishedAt == nil {
		return false
	}
	return finishedBefore.IsZero() || in.FinishedAt.Before(finishedBefore)
}

// DeleteBound is the finish time a backend's query compares with (finished
// strictly before it): finishedBefore, or for zero a time after every
// finish time a store holds.
func DeleteBound(finishedBefore time.Time) time.Time {
	if finishedBefore.IsZero() {
		return time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return finishedBefore
}

// PurgeParams select finished instances to delete
// (PurgeStore.InstancePurgeList, InstancePurgeCount).
type PurgeParams struct {
	// FinishedBefore: instances that finished strictly before it.
	// Required.
	FinishedBefore time.Time
	// Statuses, if set, keeps instances in one of them, each a terminal
	// status. Default: every terminal status (DeletableStatuses).
	Statuses []InstanceStatus
	// Workflows, if set, keeps instances of these workflows only.
	Workflows []string
	// ExceptWorkflows, if set, leaves out instances of these workflows
	// (the workflows retention keeps for a period of their own).
	ExceptWorkflows []string
	// Limit is how many IDs InstancePurgeList returns at most: 1 to
	// MaxPurgeBatch; 0 means DefaultPurgeBatch.
	Limit int
}

// Matches reports whether p selects in (the rule InstancePurgeList and
// InstancePurgeCount apply).
func (p *PurgeParams) Matches(in *Instance) bool {
	return Deletable(in, p.FinishedBefore) && slices.Contains(p.StatusList(), in.Status) &&
		(len(p.Workflows) == 0 || slices.Contains(p.Workflows, in.Workflow)) &&
		!slices.Contains(p.ExceptWorkflows, in.Workflow)
}

// StatusList returns the statuses p keeps: Statuses, or DeletableStatuses.
func (p *PurgeParams) StatusList() []InstanceStatus {
	if len(p.Statuses) == 0 {
		return DeletableStatuses
	}
	return p.Statuses
}

// ValidatePurge checks p and returns the page size (Limit applied): a
// finish time is required, every status must be terminal, the limit at
// most MaxPurgeBatch. Errors are *Error matching ErrInvalidArgument and
// naming the field.
func ValidatePurge(p *PurgeParams) (int, error) {
	if p == nil {
		return 0, invalidArg("purge: nil params")
	}
	if p.FinishedBefore.IsZero() {
		return 0, &Error{Err: ErrInvalidArgument, Field: "finishedBefore", Message: "purge: a finish time (finishedBefore) is required"}
	}
	for _, s := range p.Statuses {
		if !s.Terminal() {
			return 0, &Error{Err: ErrInvalidArgument, Field: "status",
				Message: fmt.Sprintf("purge: status %q is not a finished status; one of %v is", s, DeletableStatuses)}
		}
	}
	switch {
	case p.Limit == 0:
		return DefaultPurgeBatch, nil
	case p.Limit < 0 || p.Limit > MaxPurgeBatch:
		return 0, &Error{Err: ErrInvalidArgument, Field: "limit",
			Message: fmt.Sprintf("purge: limit %d is not between 1 and %d", p.Limit, MaxPurgeBatch)}
	}
	return p.Limit, nil
}

// InstanceDeleteParams are the arguments of PurgeStore.InstanceDelete.
type InstanceDeleteParams struct {
	// IDs are the instances to delete: 1 to MaxPurgeBatch.
	IDs []string
	// FinishedBefore, if set, deletes only instances that finished
	// strictly before it (see Deletable); zero deletes any finished one.
	FinishedBefore time.Time
	// Audit, if set, is the audit-trail entry of the deletion; a backend
	// that keeps an audit trail writes PurgeAudit(Audit, deleted) in the
	// deletion's transaction when it deleted any instance.
	Audit *Action
}

// ValidateDelete checks p: 1 to MaxPurgeBatch IDs and a valid audit entry
// (PrepareAttached, whose result it returns).
func ValidateDelete(p *InstanceDeleteParams) (*Action, error) {
	if p == nil {
		return nil, invalidArg("instance delete: nil params")
	}
	if len(p.IDs) == 0 || len(p.IDs) > MaxPurgeBatch {
		return nil, &Error{Err: ErrInvalidArgument, Field: "ids",
			Message: fmt.Sprintf("instance delete: %d IDs; 1 to %d are allowed", len(p.IDs), MaxPurgeBatch)}
	}
	return PrepareAttached(p.Audit)
}

// PurgeAudit returns the audit entry a backend writes for a deletion of
// the instances deleted, given the prepared entry a (nil: none): a with
// After set to {"deleted": n} and, for one instance, InstanceID set to it.
func PurgeAudit(a *Action, deleted []string) *Action {
	if a == nil || len(deleted) == 0 {
		return nil
	}
	c := *a
	c.After = []byte(fmt.Sprintf(`{"deleted":%d}`, len(deleted)))
	if len(deleted) == 1 && c.InstanceID == "" {
		c.InstanceID = deleted[0]
	}
	return &c
}

// LocalLock is the purge lock of a store that one process uses (memory,
// SQLite, whose writes a single connection serialises anyway). The zero
// value is free.
type LocalLock struct{ mu sync.Mutex }

// TryLock takes the lock if it is free; unlock releases it (a second call
// does nothing).
func (l *LocalLock) TryLock() (unlock func(), ok bool) {
	if !l.mu.TryLock() {
		return nil, false
	}
	var once sync.Once
	return func() { once.Do(l.mu.Unlock) }, true
}
