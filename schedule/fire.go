package schedule

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// Bounds of one claim of one schedule.
const (
	// maxFiresPerClaim is how many pending fires one claim of a schedule
	// makes; a schedule further behind stays due for the next claim.
	maxFiresPerClaim = 100
	// maxSkippedRecorded is how many of the fires older than the catch-up
	// window one claim records (the latest of those it scanned); the
	// others are only counted in the log.
	maxSkippedRecorded = 100
	// maxCatchupScan bounds the times scanned before the window; past it
	// the scan jumps to the window's start.
	maxCatchupScan = 10000
)

// MaxScheduleIDLength leaves room in instance IDs for the scheduled time.
const MaxScheduleIDLength = ordo.MaxIDLength - 40

// InstanceID is the ID of the instance (or order) that schedule id starts
// for the scheduled time at: "sched:<id>:<UTC time>". Starting it twice
// fails with ordo.ErrAlreadyExists, so a time never fires twice.
func InstanceID(id string, at time.Time) string {
	return "sched:" + id + ":" + at.UTC().Format("20060102T150405Z")
}

// jitterOf is the fixed delay of schedule id's fire at at: up to max,
// derived from both so every worker computes the same.
func jitterOf(id string, at time.Time, maxJitter time.Duration) time.Duration {
	if maxJitter <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(id))
	h.Write([]byte(at.UTC().Format(time.RFC3339)))
	return time.Duration(h.Sum64()%uint64(maxJitter/time.Millisecond+1)) * time.Millisecond
}

// fire is a new fire of c at at.
func (c *compiled) fire(at time.Time, o store.FireOutcome) *store.ScheduleFire {
	f := &store.ScheduleFire{ScheduleID: c.spec.ID, ScheduledAt: at, InstanceID: InstanceID(c.spec.ID, at), Outcome: o}
	if o == store.FirePending {
		f.LeaseUntil = at.Add(jitterOf(c.spec.ID, at, c.jitter))
	}
	return f
}

// plan returns the claim's Plan at now: the due times of a schedule inside
// its catch-up window become pending fires, older ones skipped-catchup.
func (s *Scheduler) plan(now time.Time) func(*store.Schedule) ([]*store.ScheduleFire, time.Time) {
	return func(row *store.Schedule) ([]*store.ScheduleFire, time.Time) {
		c, err := decode(row)
		if err != nil {
			s.log.Error("schedule: unreadable schedule stops firing", "schedule", row.ID, "err", err)
			return nil, time.Time{}
		}
		t := row.NextRunAt
		cutoff := now.Add(-c.catchup)
		var skipped []*store.ScheduleFire
		dropped, jumped := 0, false
		for n := 0; !t.IsZero() && t.Before(cutoff); n++ {
			if n == maxCatchupScan { // far behind: jump to the window
				t, jumped = c.next(cutoff.Add(-time.Second)), true
				break
			}
			skipped = append(skipped, c.fire(t, store.FireSkippedCatchup))
			if len(skipped) > maxSkippedRecorded {
				skipped = skipped[1:]
				dropped++
			}
			t = c.next(t)
		}
		if dropped > 0 {
			s.log.Warn("schedule: missed fires older than the catch-up window", "schedule", row.ID,
				"unrecorded", dropped, "moreNotCounted", jumped)
		}
		fires := skipped
		for n := 0; !t.IsZero() && !t.After(now) && n < maxFiresPerClaim; n++ {
			fires = append(fires, c.fire(t, store.FirePending))
			t = c.next(t)
		}
		return fires, t
	}
}

// startFire starts the instance of a pending fire this scheduler holds and
// records the outcome. overlap false starts it whatever still runs
// (backfill). An error means the fire stays pending (to be retried after
// its lease).
func (s *Scheduler) startFire(ctx context.Context, f *store.ScheduleFire, overlap bool) error {
	row, err := s.st.ScheduleGet(ctx, f.ScheduleID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // deleted with its fires
	}
	if err != nil {
		return err
	}
	c, err := decode(row)
	if err != nil {
		return s.record(ctx, f, store.FireFailed, err)
	}
	if overlap && c.spec.Overlap != OverlapAllowAll {
		busy, older, err := s.previousRunning(ctx, f)
		if err != nil {
			return err
		}
		switch {
		case busy && c.spec.Overlap == OverlapBufferOne && !older:
			f.LeaseUntil = s.clock.Now().Add(s.cfg.PollInterval) // wait, and look again
			return s.record(ctx, f, store.FirePending, nil)
		case busy:
			return s.record(ctx, f, store.FireSkippedOverlap, nil)
		}
	}
	err = s.create(ctx, c, f.InstanceID)
	switch {
	case err == nil:
		return s.record(ctx, f, store.FireStarted, nil)
	case errors.Is(err, ordo.ErrAlreadyExists):
		return s.record(ctx, f, store.FireAlreadyExisted, nil)
	case errors.Is(err, ordo.ErrNotFound), errors.Is(err, ordo.ErrInvalidArgument), errors.Is(err, ordo.ErrPayloadTooLarge),
		errors.Is(err, errNoOrders):
		return s.record(ctx, f, store.FireFailed, err)
	}
	return fmt.Errorf("schedule %q: start %s: %w", f.ScheduleID, f.InstanceID, err)
}

var errNoOrders = errors.New("no order service is registered to create recurring orders")

// create starts the fire's instance or order.
func (s *Scheduler) create(ctx context.Context, c *compiled, id string) error {
	if c.spec.Flow != "" {
		o := s.orderTarget()
		if o == nil {
			return fmt.Errorf("%w: flow %q", errNoOrders, c.spec.Flow)
		}
		return o.StartOrder(ctx, c.spec.Flow, id, c.spec.Order)
	}
	_, err := s.eng.Create(ctx, c.spec.Workflow, c.spec.Params, &ordo.CreateOptions{ID: id})
	return err
}

// previousRunning reports whether the instance of the latest started fire
// before f still runs, and whether an older fire than f is pending (a
// buffered one).
func (s *Scheduler) previousRunning(ctx context.Context, f *store.ScheduleFire) (busy, olderPending bool, err error) {
	fires, err := s.st.ScheduleFires(ctx, f.ScheduleID, 50)
	if err != nil {
		return false, false, err
	}
	for _, p := range fires {
		if !p.ScheduledAt.Before(f.ScheduledAt) {
			continue
		}
		if p.Outcome == store.FirePending {
			olderPending = true
			continue
		}
		if p.Outcome != store.FireStarted && p.Outcome != store.FireAlreadyExisted {
			continue
		}
		inst, err := s.eng.Get(ctx, p.InstanceID)
		if errors.Is(err, ordo.ErrNotFound) {
			return false, olderPending, nil
		}
		if err != nil {
			return false, false, err
		}
		return !inst.Status.Terminal(), olderPending, nil
	}
	return false, olderPending, nil
}

// record records f's outcome, and sets it on f.
func (s *Scheduler) record(ctx context.Context, f *store.ScheduleFire, o store.FireOutcome, cause error) error {
	d := *f
	d.Outcome, d.RecordedAt, d.Error = o, s.clock.Now(), ""
	if o != store.FirePending {
		d.LeaseUntil = time.Time{}
	}
	if cause != nil {
		d.Error = cause.Error()
		if len(d.Error) > 1000 {
			d.Error = d.Error[:1000]
		}
	}
	if err := s.st.ScheduleFireDone(ctx, &d); err != nil {
		return fmt.Errorf("schedule %q: record %s: %w", f.ScheduleID, o, err)
	}
	if o != store.FirePending && s.cfg.OnFire != nil {
		s.cfg.OnFire(f.ScheduleID, o)
	}
	*f = d
	if o != store.FirePending {
		s.log.Info("schedule: fired", "schedule", f.ScheduleID, "scheduledAt", f.ScheduledAt, "outcome", o, "instance", f.InstanceID)
	}
	return nil
}
