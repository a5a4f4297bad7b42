package enginetest

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo"
)

// testPriorityOrdersTheQueue: an engine with one slot runs the queued
// instances of higher priority first and, within one priority, the
// oldest first.
func testPriorityOrdersTheQueue(t *testing.T, s Suite) {
	e := newEngine(t, ordo.Config{Store: s.Open(t), Concurrency: 1, PollInterval: 5 * time.Millisecond})
	var (
		mu  sync.Mutex
		ran []string
	)
	mustRegister(t, e, ordo.NewWorkflow("job", func(ctx context.Context, id string) (string, error) {
		return ordo.Do(ctx, "run", nil, func(context.Context) (string, error) {
			mu.Lock()
			defer mu.Unlock()
			ran = append(ran, id)
			return id, nil
		})
	}))
	// Created before the engine starts, so all are queued.
	created := []struct {
		id       string
		priority int
	}{{"low", -10}, {"normal-1", 0}, {"urgent", 100}, {"normal-2", 0}, {"high", 5}}
	for _, c := range created {
		params, err := json.Marshal(c.id)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Create(t.Context(), "job", params, &ordo.CreateOptions{ID: c.id, Priority: c.priority}); err != nil {
			t.Fatal(err)
		}
	}
	startEngine(t, e)
	for _, c := range created {
		if in := waitDone(t, e, c.id); in.Status != ordo.StatusComplete || in.Priority != c.priority {
			t.Fatalf("%s: %s with priority %d, want complete with %d", c.id, in.Status, in.Priority, c.priority)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"urgent", "high", "normal-1", "normal-2", "low"}
	if diff := cmp.Diff(want, slices.Clone(ran)); diff != "" {
		t.Errorf("run order (-want +got):\n%s", diff)
	}
}
