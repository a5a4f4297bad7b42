package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// LimitStore is an optional capability of a backend: named step limits,
// shared by every engine on the store (every worker process on one
// PostgreSQL database, every engine on one SQLite file or memory store).
// Discover it with a type assertion:
//
//	ls, ok := st.(store.LimitStore)
//
// A limit caps the steps that hold one of its slots at once
// (Limit.Concurrency) and the slots it hands out per window
// (Limit.Rate per Limit.Per). LimitAcquire runs as one transaction that
// serializes the acquirers of one limit (on PostgreSQL a row lock on the
// limit's row), so concurrent acquirers never pass the limit.
//
// A slot is held by one step (instance and step key) under the lease it
// was acquired with, and only while that lease is: it is free again as
// soon as the instance's lease ends (released, expired after a worker
// died, or taken over by another worker) or the step is completed or
// failed in the journal, whichever comes first (LimitHolder.Live). So a
// worker killed while it holds a slot gives it back when its lease
// expires, and a step's final commit frees its slot in the commit's own
// transaction. LimitRelease frees it at once and wakes the oldest waiters.
//
// The rate is a sliding window: a slot is handed out at Now only if fewer
// than Rate were handed out in (Now-Per, Now], so no window of length Per
// ever holds more than Rate grants, and a burst of up to Rate grants is
// allowed when the previous Per was idle. Every acquire that is granted
// counts, also a second attempt of the same step. A Now earlier than the
// limit's latest grant (its engine read the clock before another one's
// grant was stored) counts as that grant's time: grants are dated in the
// order they are handed out.
type LimitStore interface {
	// LimitAcquire grants p.StepKey of p.InstanceID, leased with
	// p.LeaseToken (ErrLeaseLost otherwise), a slot of p.Limit, or says
	// when to try again (per DecideLimit) and records the step as a waiter
	// of the limit. A step that holds a live slot of the limit already
	// keeps it (the concurrency is not counted twice).
	LimitAcquire(ctx context.Context, p *LimitAcquireParams) (*LimitGrant, error)
	// LimitRelease frees the slot of p.Limit that p.StepKey of
	// p.InstanceID holds, if any, and makes due at p.Now those of the
	// oldest active waiters that the free slots serve (LimitWakeCount)
	// whose instance sleeps (LimitWaiter.Asleep); a waiter on its way to
	// its slot already is left alone. It reports whether it woke one. A
	// step refused by the concurrency calls it too once its refusal is
	// stored, so that a slot freed while it was on its way to waiting is
	// not lost.
	LimitRelease(ctx context.Context, p *LimitReleaseParams) (bool, error)
}

// Limit is a named limit shared by every step that names it.
type Limit struct {
	// Name identifies the limit (see ValidateLimitName).
	Name string `json:"name"`
	// Concurrency, if > 0, is how many steps may hold a slot at once.
	Concurrency int `json:"concurrency,omitempty"`
	// Rate, if > 0, is how many slots are handed out per Per.
	Rate int `json:"rate,omitempty"`
	// Per is the rate's window; required with Rate.
	Per time.Duration `json:"per,omitempty"`
}

// Bounds of a Limit.
const (
	MaxLimitNameLen     = 64
	MaxLimitConcurrency = 10000
	MaxLimitRate        = 10000
	MinLimitPer         = time.Millisecond
	MaxLimitPer         = 24 * time.Hour
	// MaxLimitRecheck bounds LimitAcquireParams.Recheck.
	MaxLimitRecheck = time.Hour
)

// String describes the limit for people: "erp (5 at once)",
// "payments (10 per 1s)", "erp (5 at once, 10 per 1s)".
func (l Limit) String() string {
	var s string
	if l.Concurrency > 0 {
		s = fmt.Sprintf("%d at once", l.Concurrency)
	}
	if l.Rate > 0 {
		if s != "" {
			s += ", "
		}
		s += fmt.Sprintf("%d per %s", l.Rate, l.Per)
	}
	return l.Name + " (" + s + ")"
}

// ValidateLimitName checks a limit's name: 1 to MaxLimitNameLen ASCII
// letters, digits, '.', '_' or '-', or a name of WorkflowLimitName's
// reserved form.
func ValidateLimitName(name string) error {
	if IsWorkflowLimitName(name) {
		return nil
	}
	if name == "" || len(name) > MaxLimitNameLen {
		return &Error{Err: ErrInvalidArgument, Field: "name",
			Message: fmt.Sprintf("limit name %q must be 1 to %d characters", name, MaxLimitNameLen)}
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return &Error{Err: ErrInvalidArgument, Field: "name",
				Message: fmt.Sprintf("limit name %q may hold only letters, digits, '.', '_' and '-'", name)}
		}
	}
	return nil
}

// Validate checks l against the bounds above: a valid name and a
// concurrency, a rate with its window, or both.
func (l Limit) Validate() error {
	if err := ValidateLimitName(l.Name); err != nil {
		return err
	}
	bad := func(field, msg string) error {
		return &Error{Err: ErrInvalidArgument, Field: field, Message: fmt.Sprintf("limit %q: %s", l.Name, msg)}
	}
	switch {
	case l.Concurrency < 0 || l.Concurrency > MaxLimitConcurrency:
		return bad("concurrency", fmt.Sprintf("concurrency %d is not in 0..%d", l.Concurrency, MaxLimitConcurrency))
	case l.Rate < 0 || l.Rate > MaxLimitRate:
		return bad("rate", fmt.Sprintf("rate %d is not in 0..%d", l.Rate, MaxLimitRate))
	case l.Concurrency == 0 && l.Rate == 0:
		return bad("concurrency", "needs a concurrency, a rate or both")
	case l.Rate > 0 && (l.Per < MinLimitPer || l.Per > MaxLimitPer):
		return bad("per", fmt.Sprintf("window %s is not in %s..%s", l.Per, MinLimitPer, MaxLimitPer))
	case l.Rate == 0 && l.Per != 0:
		return bad("per", "a window needs a rate")
	}
	return nil
}

// LimitAcquireParams are the arguments of LimitStore.LimitAcquire.
type LimitAcquireParams struct {
	Limit      Limit
	InstanceID string
	StepKey    string
	LeaseToken string
	// Now is the time of the acquire (the wall clock when zero).
	Now time.Time
	// Recheck is how long a step denied by the concurrency waits at most
	// before it tries again, in case no release wakes it (its holder's
	// lease expired instead). Required, at most MaxLimitRecheck.
	Recheck time.Duration
}

// ValidateLimitAcquire checks p before a backend acts on it.
func ValidateLimitAcquire(p *LimitAcquireParams) error {
	if p == nil || p.InstanceID == "" || p.StepKey == "" || p.LeaseToken == "" {
		return &Error{Err: ErrInvalidArgument, Message: "limit acquire: instance, step key and lease token are required"}
	}
	if p.Recheck <= 0 || p.Recheck > MaxLimitRecheck {
		return &Error{Err: ErrInvalidArgument, Field: "recheck",
			Message: fmt.Sprintf("limit acquire: recheck %s is not in (0, %s]", p.Recheck, MaxLimitRecheck)}
	}
	return p.Limit.Validate()
}

// LimitReleaseParams are the arguments of LimitStore.LimitRelease.
type LimitReleaseParams struct {
	Limit      string
	InstanceID string
	StepKey    string
	// LeaseToken, if set, frees the slot only if it was acquired under
	// this lease: a run that lost its lease must not free the slot the
	// instance's new owner holds under the same step key. "" frees it
	// whatever its lease.
	LeaseToken string
	// Now is the wake-up time of the waiter woken (the wall clock when
	// zero).
	Now time.Time
	// Concurrency is the limit's concurrency, which tells how many of the
	// oldest active waiters the free slots serve (LimitWakeCount); 0 for
	// one.
	Concurrency int
}

// LimitNudgeKey is the step key of a LimitRelease that frees no slot and
// only wakes the line (the call a refused step makes once its refusal is
// stored): no step holds a slot under it.
const LimitNudgeKey = "$nudge"

// ValidateLimitRelease checks p before a backend acts on it.
func ValidateLimitRelease(p *LimitReleaseParams) error {
	if p == nil || p.InstanceID == "" || p.StepKey == "" {
		return &Error{Err: ErrInvalidArgument, Message: "limit release: instance and step key are required"}
	}
	return ValidateLimitName(p.Limit)
}

// LimitGrant is the answer of LimitStore.LimitAcquire.
type LimitGrant struct {
	// Granted: the step holds a slot (and took a rate grant) now.
	Granted bool
	// RetryAt, when not granted, is when to try again: the time the
	// oldest rate grant in the window leaves it, or Now+Recheck when all
	// concurrency slots are held (the later of the two when both are).
	RetryAt time.Time
	// Full says what refused the step: "concurrency", "rate" or both
	// ("concurrency,rate"); "" when granted.
	Full string
}

// LimitHolder is a slot of a limit with what its liveness depends on: the
// instance's status and lease now, and the status of the step in the
// journal ("" when not recorded).
type LimitHolder struct {
	InstanceID string
	StepKey    string
	// SlotToken is the lease token the slot was acquired under.
	SlotToken string
	// Status, LeaseToken and LeaseExpiresAt are the instance's now.
	Status         InstanceStatus
	LeaseToken     string
	LeaseExpiresAt *time.Time
	StepStatus     StepStatus
}

// Live reports whether h still holds its slot at now: its instance is
// running under the lease the slot was acquired with, that lease has not
// expired, and the step is neither completed nor failed.
func (h *LimitHolder) Live(now time.Time) bool {
	return h.Status == StatusRunning && h.LeaseToken != "" && h.LeaseToken == h.SlotToken &&
		h.LeaseExpiresAt != nil && h.LeaseExpiresAt.After(now) &&
		h.StepStatus != StepCompleted && h.StepStatus != StepFailed
}

// LimitDecision is what a backend writes for one LimitAcquire, decided by
// DecideLimit.
type LimitDecision struct {
	Grant LimitGrant
	// Dead are the slots that no longer hold (delete them).
	Dead []LimitHolder
	// PruneBefore: delete the rate grants at or before it (they left the
	// window).
	PruneBefore time.Time
	// Hold: upsert the step's slot with p.LeaseToken.
	Hold bool
	// Take: record a rate grant at At.
	Take bool
	// At is the rate grant's time: p.Now, or the latest grant's time if
	// that is later.
	At time.Time
	// ActiveUntil, when refused by a limit with a concurrency, is the
	// waiter's new LimitWaiter.ActiveUntil (upsert the waiter: a new one,
	// or one no longer active, waits since now; an active one keeps its
	// place). Zero: record no waiter.
	ActiveUntil time.Time
}

// DecideLimit is the rule of LimitAcquire, given the limit's slots
// (holders, the step's own included if it has one), the number of active
// waiters ahead of the step (LimitWaitersAhead; a backend may stop
// counting at p.Limit.Concurrency) and the times of its rate grants still
// stored (any order). now is p.Now resolved.
//
// A concurrency serves its waiters first come, first served: a step is
// refused while the live slots and the active waiters ahead of it fill
// the concurrency, even when a slot is free, so a newcomer never takes the
// slot a woken waiter is on its way to. A refused step keeps its place
// (the time of its first refusal) as long as it stays active
// (LimitWaiter.Active).
func DecideLimit(p *LimitAcquireParams, now time.Time, holders []LimitHolder, ahead int, grants []time.Time) LimitDecision {
	var d LimitDecision
	l := p.Limit
	live, own := 0, false
	for i := range holders {
		h := &holders[i]
		switch {
		case !h.Live(now):
			d.Dead = append(d.Dead, *h)
		case h.InstanceID == p.InstanceID && h.StepKey == p.StepKey:
			own = true
		default:
			live++
		}
	}
	var full []string
	var retry time.Time
	if l.Concurrency > 0 && !own && live+ahead >= l.Concurrency {
		full = append(full, "concurrency")
		retry = now.Add(p.Recheck)
	}
	if l.Rate > 0 {
		// Acquirers reach the limit's lock in another order than their
		// clocks read: an engine reads Now before it waits. Dated at the
		// latest grant if that is later, grants only grow, so pruning what
		// left the latest one's window drops no grant that a later
		// acquirer's window holds (it would pass the rate if it did).
		var latest time.Time
		for _, g := range grants {
			if g.After(latest) {
				latest = g
			}
		}
		d.At = now
		if latest.After(now) {
			d.At = latest
		}
		d.PruneBefore = d.At.Add(-l.Per) // granted; refused, keep the latest's window
		if !latest.IsZero() {
			d.PruneBefore = latest.Add(-l.Per)
		}
		var in []time.Time
		for _, g := range grants {
			if g.After(d.At.Add(-l.Per)) {
				in = append(in, g)
			}
		}
		if len(in) >= l.Rate {
			slices.SortFunc(in, time.Time.Compare)
			// The window frees a grant when the len(in)-Rate+1'th oldest
			// leaves it.
			next := in[len(in)-l.Rate].Add(l.Per)
			full = append(full, "rate")
			if next.After(retry) {
				retry = next
			}
		}
	}
	if len(full) > 0 {
		d.Grant = LimitGrant{RetryAt: retry, Full: strings.Join(full, ",")}
		if l.Concurrency > 0 {
			d.ActiveUntil = LimitWaiterActiveUntil(now, p.Recheck)
		}
		return d
	}
	d.Grant.Granted = true
	d.Hold = l.Concurrency > 0
	if d.Take = l.Rate > 0; d.Take {
		d.PruneBefore = d.At.Add(-l.Per)
	}
	return d
}
