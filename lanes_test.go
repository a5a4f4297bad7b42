package ordo_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

// laneStore is a memory store that lets the engine keep several commit
// batches in flight (store.ParallelCommitter) and records whether two
// Commit calls in flight ever held one instance. A Commit of step results
// that begins alone waits (at most 20 ms) for the next one to begin, so
// that batches overlap as they do on a real database.
type laneStore struct {
	*memory.Store
	mu       sync.Mutex
	began    chan struct{} // closed and replaced when a Commit begins
	inFlight map[string]int
	overlaps atomic.Int64 // an instance in two Commit calls at once
	parallel atomic.Int64 // Commit calls that began while another ran
	running  atomic.Int64
}

func (s *laneStore) CommitLanes() int { return 3 }

func (s *laneStore) Commit(ctx context.Context, updates []*store.Update) ([]store.UpdateResult, error) {
	mine := map[string]bool{}
	creates := false
	for _, u := range updates {
		creates = creates || u.Create != nil
		mine[u.InstanceID] = true
		for _, ev := range u.Notify {
			mine[ev.InstanceID] = true
		}
	}
	s.mu.Lock()
	for id := range mine {
		if s.inFlight[id] > 0 {
			s.overlaps.Add(1)
		}
		s.inFlight[id]++
	}
	close(s.began)
	s.began = make(chan struct{})
	next := s.began
	s.mu.Unlock()
	if s.running.Add(1) > 1 {
		s.parallel.Add(1)
	} else if !creates {
		select {
		case <-next:
		case <-time.After(20 * time.Millisecond):
		}
	}
	defer func() {
		s.running.Add(-1)
		s.mu.Lock()
		for id := range mine {
			s.inFlight[id]--
		}
		s.mu.Unlock()
	}()
	return s.Store.Commit(ctx, updates)
}

// TestCommitLanes runs parallel steps and children on a store that takes
// three commit batches at once: every instance finishes with all its
// steps, and no instance is ever in two batches in flight.
func TestCommitLanes(t *testing.T) {
	t.Parallel()
	st := &laneStore{Store: memory.New(), inFlight: map[string]int{}, began: make(chan struct{})}
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: quietLogger(), Concurrency: 32})
	if err != nil {
		t.Fatal(err)
	}
	child := ordo.NewWorkflow("lanes-child", func(ctx context.Context, n int) (int, error) {
		return ordo.Do(ctx, "double", nil, func(context.Context) (int, error) { return 2 * n, nil })
	})
	parent := ordo.NewWorkflow("lanes-parent", func(ctx context.Context, n int) (int, error) {
		fs := make([]ordo.Awaitable, 8)
		for i := range fs {
			fs[i] = ordo.Go(ctx, fmt.Sprintf("part-%d", i), nil, func(context.Context) (int, error) { return i, nil })
		}
		if err := ordo.Await(ctx, fs...); err != nil {
			return 0, err
		}
		return ordo.ExecuteChild(ctx, "child", child, n, nil)
	})
	mustRegister(t, e, child, parent)
	startEngine(t, e)
	// One creator, as one submitter: creates arrive while batches of
	// step results commit, and take a lane of their own.
	ids := make([]string, 40)
	for i := range ids {
		inst, err := parent.Create(context.Background(), e, i, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = inst.ID
	}
	for i, id := range ids {
		inst := waitDone(t, e, id)
		if inst.Status != ordo.StatusComplete || string(inst.Output) != fmt.Sprint(2*i) {
			t.Fatalf("instance %d: %s with output %s, want complete with %d", i, inst.Status, inst.Output, 2*i)
		}
		if len(inst.Steps) != 9 {
			t.Fatalf("instance %d has %d steps, want 9", i, len(inst.Steps))
		}
	}
	if n := st.overlaps.Load(); n > 0 {
		t.Fatalf("an instance was in two commit batches in flight %d times", n)
	}
	t.Logf("%d commits began while another was in flight", st.parallel.Load())
}
