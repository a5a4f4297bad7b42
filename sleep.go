package ordo

import (
	"context"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// Sleep pauses the workflow durably for d. The wake-up time is fixed when
// the sleep is first reached and survives restarts; while it waits the
// instance holds no goroutine and no worker slot.
func Sleep(ctx context.Context, name string, d time.Duration) error {
	return sleep(ctx, name, func(now time.Time) time.Time { return now.Add(d) })
}

// SleepUntil pauses the workflow durably until t.
func SleepUntil(ctx context.Context, name string, t time.Time) error {
	return sleep(ctx, name, func(time.Time) time.Time { return t })
}

func sleep(ctx context.Context, name string, wakeAt func(now time.Time) time.Time) error {
	r, err := runFrom(ctx)
	if err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("%w: sleep name must not be empty", ErrInvalidArgument)
	}
	r.checkStop()
	key, seq, ord := r.nextCall(name)
	r.expect(key, ord, store.KindSleep)
	now := r.now()
	rec := r.lookup(key)
	if rec != nil {
		if rec.Status == store.StepCompleted {
			return nil
		}
		r.replayEnd()
		if rec.WakeAt != nil && rec.WakeAt.After(now) {
			panic(&suspendSignal{wakeAt: rec.WakeAt})
		}
		done := *rec
		done.Status = store.StepCompleted
		done.FinishedAt = &now
		r.addPending(&done)
		return nil
	}
	r.replayEnd()
	wake := wakeAt(now)
	rec = &store.Step{InstanceID: r.inst.ID, Key: key, Name: name, Seq: seq, Ordinal: ord,
		Kind: store.KindSleep, Status: store.StepWaiting, WakeAt: &wake, StartedAt: now}
	if !wake.After(now) {
		rec.Status = store.StepCompleted
		rec.FinishedAt = &now
		r.addPending(rec)
		return nil
	}
	r.addPending(rec)
	panic(&suspendSignal{wakeAt: &wake})
}
