package ordo

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// gatedPublishStore records the batch sizes of EventPublishBatch; the
// first batch waits for gate.
type gatedPublishStore struct {
	store.PublishStore
	gate    chan struct{}
	mu      sync.Mutex
	batches []int
}

func (g *gatedPublishStore) EventPublishBatch(ctx context.Context, ps []*store.EventPublishParams) ([]store.PublishOutcome, error) {
	g.mu.Lock()
	first := len(g.batches) == 0
	g.batches = append(g.batches, len(ps))
	g.mu.Unlock()
	if first {
		<-g.gate
	}
	out := make([]store.PublishOutcome, len(ps))
	for i, p := range ps {
		out[i] = store.PublishOutcome{Event: &store.PublishedEvent{ID: p.ID}, Created: true}
	}
	return out, nil
}

// Publishes that arrive while a batch is written share the next one.
func TestPublisherGroupsConcurrentPublishes(t *testing.T) {
	st := &gatedPublishStore{gate: make(chan struct{})}
	var b publisher
	const waiting = 20
	var wg sync.WaitGroup
	results := make([]string, waiting+1)
	for i := range waiting + 1 {
		if i == 1 {
			// Wait until the first publish writes its batch.
			waitFor(t, func() bool { st.mu.Lock(); defer st.mu.Unlock(); return len(st.batches) == 1 })
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := b.publish(context.Background(), st, &store.EventPublishParams{ID: fmt.Sprint(i), Type: "t"})
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = out.Event.ID
		}()
	}
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return len(b.pending) == waiting })
	close(st.gate)
	wg.Wait()
	waitFor(t, func() bool { b.mu.Lock(); defer b.mu.Unlock(); return !b.flushing && len(b.pending) == 0 })
	st.mu.Lock()
	defer st.mu.Unlock()
	if fmt.Sprint(st.batches) != "[1 20]" {
		t.Errorf("batches %v, want [1 20]", st.batches)
	}
	for i, id := range results {
		if id != fmt.Sprint(i) {
			t.Errorf("publish %d got the outcome of %q", i, id)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within a minute")
		}
		time.Sleep(time.Millisecond)
	}
}
