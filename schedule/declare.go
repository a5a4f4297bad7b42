package schedule

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// MaxDeclare bounds how many schedules one Declare call takes.
const MaxDeclare = 1000

// Declare makes the stored schedules match specs declared in code, at
// start-up: a schedule that does not exist is created; one whose stored
// definition differs is updated (a new timing moves its next fire to the
// first new time after now); an identical one is left as it is, so every
// worker may call Declare with the same specs. Paused in a declared spec
// pauses the schedule; a spec without it keeps a pause an operator set.
// Schedules not in specs are not touched.
func (s *Scheduler) Declare(ctx context.Context, specs ...*Spec) error {
	if len(specs) > MaxDeclare {
		return fmt.Errorf("%w: %d schedules declared at once; at most %d", ordo.ErrInvalidArgument, len(specs), MaxDeclare)
	}
	for _, sp := range specs {
		if sp == nil {
			return fmt.Errorf("%w: a declared schedule is nil", ordo.ErrInvalidArgument)
		}
		if err := s.declare(ctx, sp); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scheduler) declare(ctx context.Context, sp *Spec) error {
	c, err := s.check(ctx, sp)
	if err != nil {
		return err
	}
	row, err := s.st.ScheduleGet(ctx, sp.ID)
	if errors.Is(err, store.ErrNotFound) {
		_, err = s.Create(ctx, sp)
		if errors.Is(err, ordo.ErrAlreadyExists) { // another worker declared it first
			return nil
		}
		return err
	}
	if err != nil {
		return fmt.Errorf("schedule %q: declare: %w", sp.ID, err)
	}
	old, err := decode(row)
	if err != nil {
		return err
	}
	want := *c.spec
	want.Paused = want.Paused || row.Paused
	a, _ := stored(old.spec)
	b, _ := stored(&want)
	if bytes.Equal(a, b) && want.Paused == row.Paused {
		return nil
	}
	next := row.NextRunAt
	if old.spec.Cron != want.Cron || old.spec.Timezone != want.Timezone || old.spec.Every != want.Every || next.IsZero() {
		next = c.next(s.clock.Now())
	}
	_, err = s.put(ctx, &want, next)
	return err
}
