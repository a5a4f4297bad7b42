package ordo_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

// unreachableForStep is a store whose Commit fails, as if the database
// were unreachable, for every update that records an attempt of one step
// without releasing the instance: the step's own commit fails through all
// of the committer's retries, and the release after it goes through.
type unreachableForStep struct {
	store.Store
	stepKey  string
	failures atomic.Int32
}

func (s *unreachableForStep) Commit(ctx context.Context, updates []*store.Update) ([]store.UpdateResult, error) {
	for _, u := range updates {
		if u.Release {
			continue
		}
		for _, a := range u.Attempts {
			if a.StepKey == s.stepKey {
				s.failures.Add(1)
				return nil, errors.New("connection reset by peer (injected)")
			}
		}
	}
	return s.Store.Commit(ctx, updates)
}

// TestUnrecordedAttemptIsCarriedByRelease: when the commit recording a
// step's result fails past the committer's retries, the run stops and its
// release carries the unrecorded result, so the step, which did run, is not
// run again and its attempt is in the history.
func TestUnrecordedAttemptIsCarriedByRelease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sq, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "ordo.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sq.Close() })
	if err := sq.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st := &unreachableForStep{Store: sq, stepKey: "charge#1"}
	var charges, ships atomic.Int32
	wf := ordo.NewWorkflow("order", func(ctx context.Context, _ struct{}) (string, error) {
		id, err := ordo.Do(ctx, "charge", nil, func(ctx context.Context) (string, error) {
			charges.Add(1)
			return "ch_1", nil
		})
		if err != nil {
			return "", err
		}
		return ordo.Do(ctx, "ship", nil, func(ctx context.Context) (string, error) {
			ships.Add(1)
			return id + "/shipped", nil
		})
	})
	e, err := ordo.NewEngine(ordo.Config{Store: st, LeaseDuration: 2 * time.Second, // long enough for heartbeats on a loaded machine
		PollInterval: 20 * time.Millisecond, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	mustRegister(t, e, wf)
	startEngine(t, e)
	in, err := wf.Create(ctx, e, struct{}{}, &ordo.CreateOptions{ID: "o-1"})
	if err != nil {
		t.Fatal(err)
	}
	final := waitDone(t, e, in.ID)
	if final.Status != ordo.StatusComplete || string(final.Output) != `"ch_1/shipped"` {
		t.Fatalf("instance %s with output %s (error %+v), want complete with ch_1/shipped", final.Status, final.Output, final.Error)
	}
	if st.failures.Load() == 0 {
		t.Fatal("no commit of the charge step failed: the test did not inject the fault")
	}
	if charges.Load() != 1 || ships.Load() != 1 {
		t.Errorf("charge ran %d times, ship %d; want once each", charges.Load(), ships.Load())
	}
	charge := final.Steps[0]
	if charge.Key != "charge#1" || charge.Attempts != 1 || len(charge.History) != 1 || charge.History[0].Error != nil {
		t.Errorf("charge step %s: %d attempts, history %+v; want one successful attempt", charge.Key, charge.Attempts, charge.History)
	}
}
