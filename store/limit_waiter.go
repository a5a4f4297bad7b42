package store

import (
	"slices"
	"time"
)

// LimitWaiter is a step that a limit's concurrency refused, in line for a
// slot. Waiters are served in the order of their place (Since, then
// instance ID and step key): a step is refused while the waiters ahead of
// it that are still active fill the free slots (DecideLimit).
type LimitWaiter struct {
	InstanceID string
	StepKey    string
	// Since is the time of the refusal that gave the waiter its place.
	Since time.Time
	// ActiveUntil is when the waiter loses its place unless refused again
	// (LimitWaiterActiveUntil of its latest refusal).
	ActiveUntil time.Time
	// Status and WakeAt are the instance's now.
	Status InstanceStatus
	WakeAt *time.Time
}

// LimitWaiterStatuses are the instance statuses of an active waiter: one
// that will try for its slot again. A waiter of a paused, finished or
// rolled-back instance holds no place.
var LimitWaiterStatuses = []InstanceStatus{StatusQueued, StatusRunning, StatusWaiting}

// LimitWaiterActiveUntil is how long a waiter refused at now keeps its
// place: twice the recheck after which it tries again at the latest, so
// that a waiter whose instance is no longer claimed (its workers are gone
// or busy) does not hold the line for ever.
func LimitWaiterActiveUntil(now time.Time, recheck time.Duration) time.Time {
	return now.Add(2 * recheck)
}

// Active reports whether w holds its place at now.
func (w *LimitWaiter) Active(now time.Time) bool {
	return w.ActiveUntil.After(now) && slices.Contains(LimitWaiterStatuses, w.Status)
}

// Asleep reports whether w's instance is stored waiting and not due at
// now, so that a release must wake it.
func (w *LimitWaiter) Asleep(now time.Time) bool {
	return w.Status == StatusWaiting && (w.WakeAt == nil || w.WakeAt.After(now))
}

// Before reports whether w's place is ahead of o's.
func (w *LimitWaiter) Before(o *LimitWaiter) bool {
	if c := w.Since.Compare(o.Since); c != 0 {
		return c < 0
	}
	if w.InstanceID != o.InstanceID {
		return w.InstanceID < o.InstanceID
	}
	return w.StepKey < o.StepKey
}

// LimitWaitersAhead counts the active waiters at now that are ahead of me
// (all of them when me is nil or no longer active), me excluded.
func LimitWaitersAhead(now time.Time, me *LimitWaiter, waiters []LimitWaiter) int {
	n := 0
	for i := range waiters {
		w := &waiters[i]
		if !w.Active(now) || me != nil && w.InstanceID == me.InstanceID && w.StepKey == me.StepKey {
			continue
		}
		if me == nil || !me.Active(now) || w.Before(me) {
			n++
		}
	}
	return n
}

// LiveHolders counts the holders that still hold their slot at now
// (LimitHolder.Live).
func LiveHolders(holders []LimitHolder, now time.Time) int {
	n := 0
	for i := range holders {
		if holders[i].Live(now) {
			n++
		}
	}
	return n
}

// LimitWakeCount is how many of a limit's oldest active waiters a release
// serves: the slots free besides the live ones, or one when the
// concurrency is not given (0).
func LimitWakeCount(concurrency, live int) int {
	if concurrency <= 0 {
		return 1
	}
	return max(concurrency-live, 0)
}

// LimitWake returns the waiters a release at now wakes: of the first n
// active waiters in order, those asleep.
func LimitWake(now time.Time, waiters []LimitWaiter, n int) []LimitWaiter {
	var active []LimitWaiter
	for _, w := range waiters {
		if w.Active(now) {
			active = append(active, w)
		}
	}
	slices.SortFunc(active, func(a, b LimitWaiter) int {
		switch {
		case a.Before(&b):
			return -1
		case b.Before(&a):
			return 1
		}
		return 0
	})
	var out []LimitWaiter
	for _, w := range active[:min(n, len(active))] {
		if w.Asleep(now) {
			out = append(out, w)
		}
	}
	return out
}
