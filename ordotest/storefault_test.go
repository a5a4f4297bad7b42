package ordotest_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

// outageStore fails every Commit while its clock reads before until: an
// outage measured in virtual time.
type outageStore struct {
	store.Store
	mu       sync.Mutex
	clock    *ordotest.Clock
	until    time.Time
	failures int
}

func (s *outageStore) begin(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.until = s.clock.Now().Add(d)
}

func (s *outageStore) Commit(ctx context.Context, upds []*store.Update) ([]store.UpdateResult, error) {
	s.mu.Lock()
	down := s.clock != nil && s.clock.Now().Before(s.until)
	if down {
		s.failures++
	}
	s.mu.Unlock()
	if down {
		return nil, errors.New("database is restarting")
	}
	return s.Store.Commit(ctx, upds)
}

// TestStoreFaultInVirtualTime: a store that refuses writes for 10 s of
// virtual time, beginning while a step runs, delays the step's result
// until the outage ends and the instance then completes. The outage ends
// only when the virtual clock passes it, and nothing but the engine's
// retries advances that clock while the instance runs: were the retries
// waiting on the wall clock, the outage would never end.
func TestStoreFaultInVirtualTime(t *testing.T) {
	t.Parallel()
	st := &outageStore{Store: memory.New()}
	env := ordotest.New(t, &ordotest.Options{Store: st})
	st.mu.Lock()
	st.clock = env.Clock
	st.mu.Unlock()
	const outage = 10 * time.Second
	var began time.Time
	wf := ordo.NewWorkflow("fault", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "charge", nil, func(context.Context) (string, error) {
			began = env.Clock.Now()
			st.begin(outage)
			return "paid", nil
		})
	})
	out, final, err := ordotest.Run(env, wf, struct{}{})
	if err != nil || out != "paid" {
		t.Fatalf("run: %q, %v (instance %+v)", out, err, final)
	}
	st.mu.Lock()
	failures := st.failures
	st.mu.Unlock()
	if failures < 2 {
		t.Errorf("%d commits refused, want the retries of a 10 s outage", failures)
	}
	if passed := env.Clock.Now().Sub(began); passed < outage {
		t.Errorf("virtual clock moved %s, want at least the %s outage", passed, outage)
	}
	if at, ok := env.Engine.StoreRetryAt(); ok {
		t.Errorf("a store retry is still pending at %s", at)
	}
}
