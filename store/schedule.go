package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// ScheduleStore is an optional capability of a backend: it keeps durable
// schedules, their next fire time (next_run_at) and the fires they made.
// Discover it with a type assertion:
//
//	ss, ok := st.(store.ScheduleStore)
//
// The store does not read a schedule's Spec (package schedule owns it); it
// persists next_run_at and claims due schedules so that, however many
// workers claim at once, each scheduled time is handed to one of them.
type ScheduleStore interface {
	// ScheduleCreate stores a new schedule; an ID already stored returns
	// ErrAlreadyExists.
	ScheduleCreate(ctx context.Context, s *Schedule) (*Schedule, error)
	// ScheduleUpdate replaces the Spec, Paused and NextRunAt of a stored
	// schedule (CreatedAt is kept) or returns ErrNotFound.
	ScheduleUpdate(ctx context.Context, s *Schedule) (*Schedule, error)
	// ScheduleGet returns the schedule with that ID, or ErrNotFound.
	ScheduleGet(ctx context.Context, id string) (*Schedule, error)
	// ScheduleList returns at most MaxScheduleList schedules sorted by ID,
	// starting after the ID after ("" from the first).
	ScheduleList(ctx context.Context, after string) ([]*Schedule, error)
	// ScheduleDelete removes a schedule and its fires, or returns
	// ErrNotFound.
	ScheduleDelete(ctx context.Context, id string) error

	// ScheduleClaim, in one transaction, locks the due schedules (not
	// paused, NextRunAt <= Now; at most Limit, skipping rows another
	// transaction holds), calls Plan for each, stores the fires it returns
	// (a scheduled time already recorded is left as it is) and the new
	// NextRunAt. It also takes at most Limit pending fires whose lease
	// expired (oldest lease first). It returns the pending fires the caller
	// must now start, each leased to it until Now+Lease.
	ScheduleClaim(ctx context.Context, p *ScheduleClaimParams) ([]*ScheduleFire, error)
	// ScheduleFireAdd records fires made outside the due claim (trigger,
	// backfill). A scheduled time already recorded is left as it is and
	// not returned; the fires that were added are returned. ErrNotFound if
	// the schedule does not exist.
	ScheduleFireAdd(ctx context.Context, fires []*ScheduleFire) ([]*ScheduleFire, error)
	// ScheduleFireDone records the outcome of a pending fire (or, with
	// Outcome FirePending, extends its lease to LeaseUntil). A fire that is
	// not pending is left as it is.
	ScheduleFireDone(ctx context.Context, f *ScheduleFire) error
	// ScheduleFires returns a schedule's latest fires, newest scheduled
	// time first, at most limit (1..MaxScheduleList).
	ScheduleFires(ctx context.Context, id string, limit int) ([]*ScheduleFire, error)
}

// MaxScheduleList bounds ScheduleList's page and ScheduleFires' limit.
const MaxScheduleList = 1000

// Schedule is one stored schedule.
type Schedule struct {
	ID string `json:"id"`
	// Spec is the schedule's definition (package schedule's JSON).
	Spec   json.RawMessage `json:"spec"`
	Paused bool            `json:"paused"`
	// NextRunAt is the next scheduled time; zero when none is left.
	NextRunAt time.Time `json:"nextRunAt"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// FireOutcome is what became of one scheduled time.
type FireOutcome string

// The fire outcomes.
const (
	// FirePending: claimed, its instance is being started.
	FirePending FireOutcome = "pending"
	// FireStarted: its instance (or order) was created.
	FireStarted FireOutcome = "started"
	// FireAlreadyExisted: its instance already existed (started before a
	// crash, or by another path): nothing was started again.
	FireAlreadyExisted FireOutcome = "already-existed"
	// FireSkippedOverlap: the previous fire's instance was still running.
	FireSkippedOverlap FireOutcome = "skipped-overlap"
	// FireSkippedCatchup: the time passed while no worker ran, longer ago
	// than the catch-up window.
	FireSkippedCatchup FireOutcome = "skipped-catchup"
	// FireFailed: the instance could not be created (Error says why).
	FireFailed FireOutcome = "failed"
)

// Valid reports whether o is one of the outcomes.
func (o FireOutcome) Valid() bool {
	switch o {
	case FirePending, FireStarted, FireAlreadyExisted, FireSkippedOverlap, FireSkippedCatchup, FireFailed:
		return true
	}
	return false
}

// ScheduleFire is one scheduled time of a schedule and what it did.
type ScheduleFire struct {
	ScheduleID  string      `json:"scheduleId"`
	ScheduledAt time.Time   `json:"scheduledAt"`
	InstanceID  string      `json:"instanceId"`
	Outcome     FireOutcome `json:"outcome"`
	Error       string      `json:"error,omitempty"`
	// RecordedAt is when the outcome was recorded.
	RecordedAt time.Time `json:"recordedAt"`
	// LeaseUntil is when a pending fire may be taken (by another worker,
	// or, given to ScheduleClaim's Plan or ScheduleFireAdd, when it may
	// first be started: its jitter). Zero: at once.
	LeaseUntil time.Time `json:"-"`
}

// ScheduleClaimParams are the arguments of ScheduleStore.ScheduleClaim.
type ScheduleClaimParams struct {
	Now time.Time
	// Limit is how many due schedules one claim takes (1..1000).
	Limit int
	// Lease is how long the returned pending fires stay with the caller.
	Lease time.Duration
	// Plan returns, for a due schedule, the fires to record (pending, or
	// skipped) and the schedule's next NextRunAt (zero: none). It runs
	// inside the transaction: it must not block or call the store.
	Plan func(s *Schedule) (fires []*ScheduleFire, next time.Time)
}

// ValidateSchedule checks a schedule given to ScheduleCreate or
// ScheduleUpdate.
func ValidateSchedule(s *Schedule) error {
	switch {
	case s == nil:
		return fmt.Errorf("%w: schedule is nil", ErrInvalidArgument)
	case s.ID == "" || len(s.ID) > 200:
		return fmt.Errorf("%w: schedule id must be 1..200 bytes", ErrInvalidArgument)
	case !json.Valid(s.Spec):
		return fmt.Errorf("%w: schedule %q: spec is not JSON", ErrInvalidArgument, s.ID)
	}
	return nil
}

// ValidateScheduleClaim checks ScheduleClaimParams.
func ValidateScheduleClaim(p *ScheduleClaimParams) error {
	switch {
	case p == nil || p.Plan == nil:
		return fmt.Errorf("%w: schedule claim needs a Plan", ErrInvalidArgument)
	case p.Limit < 1 || p.Limit > MaxScheduleList:
		return fmt.Errorf("%w: schedule claim limit must be 1..%d, got %d", ErrInvalidArgument, MaxScheduleList, p.Limit)
	case p.Lease <= 0:
		return fmt.Errorf("%w: schedule claim lease must be positive", ErrInvalidArgument)
	}
	return nil
}

// ValidateScheduleFire checks a fire given to ScheduleFireAdd or
// ScheduleFireDone.
func ValidateScheduleFire(f *ScheduleFire) error {
	switch {
	case f == nil:
		return fmt.Errorf("%w: fire is nil", ErrInvalidArgument)
	case f.ScheduleID == "" || f.InstanceID == "":
		return fmt.Errorf("%w: fire needs a schedule id and an instance id", ErrInvalidArgument)
	case !f.Outcome.Valid():
		return fmt.Errorf("%w: fire outcome %q is not one of pending, started, already-existed, skipped-overlap, skipped-catchup, failed", ErrInvalidArgument, f.Outcome)
	}
	return nil
}

// ScheduleFireLimit clamps a ScheduleFires limit into 1..MaxScheduleList
// (0 means 20).
func ScheduleFireLimit(limit int) int {
	switch {
	case limit <= 0:
		return 20
	case limit > MaxScheduleList:
		return MaxScheduleList
	}
	return limit
}

// SortFires orders fires by scheduled time, then schedule ID.
func SortFires(fires []*ScheduleFire) {
	sort.Slice(fires, func(i, j int) bool {
		if !fires[i].ScheduledAt.Equal(fires[j].ScheduledAt) {
			return fires[i].ScheduledAt.Before(fires[j].ScheduledAt)
		}
		return fires[i].ScheduleID < fires[j].ScheduleID
	})
}
