package ordo_test

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

// heldClaims is a store whose InstanceClaim, once held, waits until the
// test lets it go, and says when a claim began.
type heldClaims struct {
	store.Store
	mu      sync.Mutex
	hold    chan struct{} // nil: claims run at once
	entered chan struct{}
}

func (s *heldClaims) InstanceClaim(ctx context.Context, p *store.ClaimParams) ([]*store.Instance, error) {
	s.mu.Lock()
	hold, entered := s.hold, s.entered
	s.mu.Unlock()
	if hold != nil {
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return s.Store.InstanceClaim(ctx, p)
}

// TestCreateQueuesBehindBacklog: while the store holds runnable instances
// that the last claim left behind, a create does not take a slot that
// frees up ahead of them; it is queued and runs after them, in the
// claim's order.
func TestCreateQueuesBehindBacklog(t *testing.T) {
	t.Parallel()
	st := &heldClaims{Store: memory.New()}
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: quietLogger(), Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		started []int
		gates   = map[int]chan struct{}{}
		running = make(chan int, 8)
	)
	for n := range 4 {
		gates[n] = make(chan struct{})
	}
	wf := ordo.NewWorkflow("backlog", func(ctx context.Context, n int) (int, error) {
		return ordo.Do(ctx, "gate", nil, func(ctx context.Context) (int, error) {
			mu.Lock()
			started = append(started, n)
			mu.Unlock()
			running <- n
			select {
			case <-gates[n]:
				return n, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		})
	})
	mustRegister(t, e, wf)
	startEngine(t, e)
	ctx := context.Background()
	create := func(n int, want ordo.Status) string {
		t.Helper()
		inst, err := wf.Create(ctx, e, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		if inst.Status != want {
			t.Fatalf("instance %d created %s, want %s", n, inst.Status, want)
		}
		return inst.ID
	}
	ids := []string{create(0, ordo.StatusRunning)} // takes the one slot
	if n := <-running; n != 0 {
		t.Fatalf("instance %d runs, want 0", n)
	}
	ids = append(ids, create(1, ordo.StatusQueued), create(2, ordo.StatusQueued))
	close(gates[0]) // its slot goes to 1, by a claim that takes all it asks for
	if n := <-running; n != 1 {
		t.Fatalf("instance %d runs, want 1", n)
	}
	st.mu.Lock()
	st.hold, st.entered = make(chan struct{}), make(chan struct{}, 1)
	st.mu.Unlock()
	close(gates[1])
	// The slot is free and the claim that would give it to 2 is held: a
	// create now must not take it.
	<-st.entered
	ids = append(ids, create(3, ordo.StatusQueued))
	st.mu.Lock()
	close(st.hold)
	st.hold = nil
	st.mu.Unlock()
	close(gates[2])
	close(gates[3])
	for _, id := range ids {
		if inst := waitDone(t, e, id); inst.Status != ordo.StatusComplete {
			t.Fatalf("instance %s: %s, want complete", id, inst.Status)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []int{0, 1, 2, 3}; !slices.Equal(started, want) {
		t.Errorf("instances started in the order %v, want %v", started, want)
	}
}
