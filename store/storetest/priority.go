package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// testClaimPriority: a claim takes queued instances of higher priority
// first and, within one priority, the oldest first; whether created alone
// (InstanceCreate) or in a commit (Update.Create), the priority is stored
// and read back.
func testClaimPriority(t *testing.T, s suite) {
	f := s.setup(t)
	create := func(id string, priority int, now time.Time) {
		t.Helper()
		in, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: id, Workflow: "wf",
			Params: json.RawMessage(`{}`), Now: now, Priority: priority})
		if err != nil {
			t.Fatalf("InstanceCreate %q: %v", id, err)
		}
		if in.Priority != priority {
			t.Fatalf("created %q with priority %d, got %d", id, priority, in.Priority)
		}
	}
	create("low-old", -5, at(0))
	create("mid-new", 0, at(3*time.Second))
	create("mid-old", 0, at(time.Second))
	create("high-new", store.MaxPriority, at(4*time.Second))
	create("high-old", 7, at(2*time.Second))
	f.mustApply(&store.Update{InstanceID: "high-commit", Now: at(5 * time.Second),
		Create: &store.InstanceCreateParams{ID: "high-commit", Workflow: "wf", Params: json.RawMessage(`{}`),
			Now: at(5 * time.Second), Priority: 7}})
	if got := f.get("high-commit").Priority; got != 7 {
		t.Errorf("committed create: priority %d, want 7", got)
	}
	var order []string
	for range 6 {
		got := f.claim(&store.ClaimParams{Owner: "w", Limit: 1, Now: at(time.Minute), LeaseUntil: at(time.Hour)})
		if len(got) != 1 {
			t.Fatalf("claim took %v, want one instance", ids(got))
		}
		order = append(order, got[0].ID)
	}
	want := []string{"high-new", "high-old", "high-commit", "mid-old", "mid-new", "low-old"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("claim order (-want +got):\n%s", diff)
	}
	// One claim of several takes the first ones in the same order.
	for i, id := range []string{"b", "a", "c"} {
		create(id, i%2, at(time.Duration(10+i)*time.Second))
	}
	got := ids(f.claim(&store.ClaimParams{Owner: "w", Limit: 2, Now: at(time.Minute), LeaseUntil: at(time.Hour)}))
	slices.Sort(got)
	if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" {
		t.Errorf("claim of 2 (-want +got):\n%s", diff)
	}
}

// testPriorityBounds: a priority outside MinPriority..MaxPriority is
// refused before anything is stored, as an error naming the field.
func testPriorityBounds(t *testing.T, s suite) {
	f := s.setup(t)
	for _, p := range []int{store.MinPriority - 1, store.MaxPriority + 1} {
		_, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "x", Workflow: "wf", Priority: p})
		var se *store.Error
		if !errors.As(err, &se) || se.Field != "priority" || !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("priority %d: err %v, want an invalid argument naming priority", p, err)
		}
	}
	if _, err := f.s.InstanceGet(f.ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused create stored an instance: %v", err)
	}
}
