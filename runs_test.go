package ordo_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

// auditStore records the audit entries of the control actions it applies.
type auditStore struct {
	*memory.Store
	mu      sync.Mutex
	entries []store.Action
}

func (s *auditStore) InstanceControl(ctx context.Context, p *store.ControlParams) (*store.Instance, error) {
	in, err := s.Store.InstanceControl(ctx, p)
	if err == nil && p.Audit != nil {
		s.mu.Lock()
		s.entries = append(s.entries, *p.Audit)
		s.mu.Unlock()
	}
	return in, err
}

func (s *auditStore) last() store.Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.entries[len(s.entries)-1]
}

// TestRestartKeepsHistory: three restarts from a failing step keep every
// earlier run's attempts (Engine.Runs), the kept step runs once, and a
// redrive with new params is audited with the params before and after.
func TestRestartKeepsHistory(t *testing.T) {
	t.Parallel()
	st := &auditStore{Store: memory.New()}
	env := ordotest.New(t, &ordotest.Options{Store: st})
	type in struct {
		Target string `json:"target"`
	}
	var charges, notifies atomic.Int32
	wf := ordo.NewWorkflow("notify", func(ctx context.Context, p in) (string, error) {
		if _, err := ordo.Do(ctx, "charge", nil, func(ctx context.Context) (string, error) {
			charges.Add(1)
			return "charged", ordo.SetCustomStatus(ctx, "Charged")
		}); err != nil {
			return "", err
		}
		return ordo.Do(ctx, "notify", &ordo.StepOptions{Retries: ordo.NoRetries}, func(ctx context.Context) (string, error) {
			notifies.Add(1)
			if p.Target != "good" {
				return "", errors.New("erp down")
			}
			return "notified", ordo.SetCustomStatus(ctx, "Notified")
		})
	})
	env.Register(wf)
	ctx := context.Background()
	id := env.Start("notify", in{Target: "bad"})
	env.WaitDone(id)
	for i := range 2 {
		got, err := env.Engine.Restart(ordo.WithReason(ctx, "try again"), id, &ordo.RestartOptions{FromStep: "notify"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Run != i+2 || got.CustomStatus != "Charged" {
			t.Errorf("restart %d: run %d custom status %q, want run %d, %q", i+1, got.Run, got.CustomStatus, i+2, "Charged")
		}
		if a := st.last(); a.Action != "restart" || a.Reason != "try again" || a.Actor != ordo.LocalActor || a.Before != nil {
			t.Errorf("audit of restart %d: %+v", i+1, a)
		}
		if got := env.WaitDone(id); got.Status != ordo.StatusErrored {
			t.Fatalf("run %d: %s, want errored", i+2, got.Status)
		}
	}
	// The third restart is a redrive that fixes the step.
	fixed := json.RawMessage(`{"target":"good"}`)
	if _, err := env.Engine.Restart(ctx, id, &ordo.RestartOptions{FromStep: "notify", Params: fixed}); err != nil {
		t.Fatal(err)
	}
	if a := st.last(); a.Action != ordo.ActionRedrive || string(a.Before) != `{"target":"bad"}` || string(a.After) != string(fixed) {
		t.Errorf("audit of the redrive: action %q before %s after %s", a.Action, a.Before, a.After)
	}
	got := env.WaitDone(id)
	if got.Status != ordo.StatusComplete || got.CustomStatus != "Notified" || got.Run != 4 {
		t.Fatalf("after the redrive: %s %q run %d, want complete %q run 4", got.Status, got.CustomStatus, got.Run, "Notified")
	}
	if charges.Load() != 1 || notifies.Load() != 4 {
		t.Errorf("charge ran %d times, notify %d; want 1 and 4", charges.Load(), notifies.Load())
	}
	runs, err := env.Engine.Runs(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 3 {
		t.Fatalf("%d runs, want 3", len(runs))
	}
	for i, r := range runs {
		if r.Number != i+1 || r.Status != ordo.StatusErrored || len(r.Steps) != 1 || r.Steps[0].Key != "notify#1" ||
			len(r.Steps[0].History) != 1 || r.Steps[0].History[0].Error == nil {
			t.Errorf("run %d: %+v, want errored with notify#1's failed attempt", i+1, r)
		}
	}
	if !runs[2].Restart.Redrive || string(runs[2].Params) != `{"target":"bad"}` || runs[0].Restart.Reason != "try again" {
		t.Errorf("restart records: %+v %+v", runs[0].Restart, runs[2].Restart)
	}
	if _, err := env.Engine.Runs(ctx, "missing"); !errors.Is(err, ordo.ErrNotFound) {
		t.Errorf("Runs of a missing instance: %v", err)
	}
	if _, err := env.Engine.Restart(ctx, id, &ordo.RestartOptions{Params: json.RawMessage(`{"target":`)}); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("redrive with invalid params: %v", err)
	}
}

// TestRestartAllowCompensated: a restart from a step after compensations
// ran is refused, and with AllowCompensated the undone step runs again.
func TestRestartAllowCompensated(t *testing.T) {
	t.Parallel()
	env := ordotest.New(t, nil)
	var reserves, undos atomic.Int32
	var fail atomic.Bool
	fail.Store(true)
	wf := ordo.NewWorkflow("saga3", func(ctx context.Context, _ struct{}) (string, error) {
		if _, err := ordo.DoWithCompensation(ctx, "reserve", nil,
			func(ctx context.Context) (string, string, error) { reserves.Add(1); return "r", "undo", nil },
			func(ctx context.Context, data string) error { undos.Add(1); return nil }); err != nil {
			return "", err
		}
		return ordo.Do(ctx, "ship", &ordo.StepOptions{Retries: ordo.NoRetries}, func(ctx context.Context) (string, error) {
			if fail.Load() {
				return "", errors.New("no carrier")
			}
			return "shipped", nil
		})
	})
	env.Register(wf)
	ctx := context.Background()
	id := env.Start("saga3", struct{}{})
	env.WaitDone(id)
	_, err := env.Engine.Restart(ctx, id, &ordo.RestartOptions{FromStep: "ship"})
	var oe *ordo.Error
	if !errors.Is(err, ordo.ErrInvalidTransition) || !errors.As(err, &oe) {
		t.Fatalf("restart after compensation: %v, want ErrInvalidTransition", err)
	}
	fail.Store(false)
	if _, err := env.Engine.Restart(ctx, id, &ordo.RestartOptions{FromStep: "ship", AllowCompensated: true}); err != nil {
		t.Fatal(err)
	}
	got := env.WaitDone(id)
	if got.Status != ordo.StatusComplete || reserves.Load() != 2 || undos.Load() != 1 {
		t.Fatalf("after restart: %s, reserve ran %d, compensation %d; want complete, 2, 1", got.Status, reserves.Load(), undos.Load())
	}
}
