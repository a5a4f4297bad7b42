package bulk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// Action is what a bulk job does to each instance it selects.
type Action string

// Bulk actions: each is the engine control method of the same name.
const (
	// ActionCancel cancels with compensation (Engine.Cancel, with the
	// job's reason).
	ActionCancel    Action = "cancel"
	ActionTerminate Action = "terminate"
	ActionRestart   Action = "restart"
	ActionResume    Action = "resume"
	ActionPause     Action = "pause"
)

// Actions lists the bulk actions, in the order help texts show them.
var Actions = []Action{ActionCancel, ActionTerminate, ActionRestart, ActionResume, ActionPause}

// Valid reports whether a is one of Actions.
func (a Action) Valid() bool {
	for _, x := range Actions {
		if a == x {
			return true
		}
	}
	return false
}

// outcome is what applying the action did to one instance.
type outcome int

const (
	applied outcome = iota
	skipped         // the instance's status (or a change since the job started) did not allow it
	failed
)

// apply applies p's action to the instance id with the engine's control
// method; ctx carries the job's actor and reason for the audit trail. The
// outcome says whether it was applied, skipped (the instance's status
// did not allow it) or failed on this instance, and why; an error is a
// failure of the storage (or the run stopping), not of this instance.
func (s *Service) apply(ctx context.Context, p *Params, id string) (outcome, string, error) {
	var err error
	switch p.Action {
	case ActionCancel:
		_, err = s.eng.Cancel(ctx, id, p.Reason)
	case ActionTerminate:
		_, err = s.eng.Terminate(ctx, id)
	case ActionResume:
		_, err = s.eng.Resume(ctx, id)
	case ActionPause:
		_, err = s.eng.Pause(ctx, id)
	case ActionRestart:
		o, why, rerr := s.restartable(ctx, id, p.Start)
		if rerr != nil || o != applied {
			return o, why, rerr
		}
		_, err = s.eng.Restart(ctx, id, &ordo.RestartOptions{FromStep: p.FromStep})
	default:
		return failed, fmt.Sprintf("unknown action %q", p.Action), nil
	}
	switch {
	case err == nil:
		return applied, "", nil
	case errors.Is(err, ordo.ErrInvalidTransition):
		// Not in a status that allows the action, which is also what a
		// page run again after an interruption finds for the instances
		// its first run already acted on: the store never applies a
		// cancel, pause, resume or terminate twice.
		return skipped, err.Error(), nil
	case errors.Is(err, ordo.ErrNotFound), errors.Is(err, ordo.ErrInvalidArgument):
		return failed, err.Error(), nil
	}
	return failed, "", err
}

// restartable checks that instance id has not changed since start, the
// job's start (applied when it has not): restart is allowed from any
// status, so this is what keeps an instance restarted by an interrupted
// run of the page (or by an earlier run of a restarted job) from being
// restarted again.
func (s *Service) restartable(ctx context.Context, id string, start time.Time) (outcome, string, error) {
	in, err := s.eng.Store().InstanceGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return failed, fmt.Sprintf("instance %q does not exist", id), nil
	}
	if err != nil {
		return failed, "", fmt.Errorf("get instance %q: %w", id, err)
	}
	if in.UpdatedAt.After(start) {
		return skipped, fmt.Sprintf("instance %q changed at %s, after the job started: restart acts only on instances as they were at the start",
			id, in.UpdatedAt.UTC().Format(time.RFC3339Nano)), nil
	}
	return applied, "", nil
}
