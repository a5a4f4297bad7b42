package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// testInstanceStats: over an instance in every situation (populate), the
// unfinished ones are counted by status, and the oldest due follows each
// kind of runnable instance as claims take them away: the queue, a due
// timer, an expired lease.
func testInstanceStats(t *testing.T, s suite) {
	f := s.setup(t)
	ss, ok := f.s.(store.StatsStore)
	if !ok {
		t.Skipf("%T does not implement store.StatsStore", f.s)
	}
	now := at(time.Hour)
	populate(f, now)
	stats := func() *store.InstanceStats {
		t.Helper()
		got, err := ss.InstanceStats(context.Background(), now)
		if err != nil {
			t.Fatalf("InstanceStats: %v", err)
		}
		return got
	}
	want := map[store.InstanceStatus]int{store.StatusQueued: 1, store.StatusWaiting: 4, store.StatusRunning: 2, store.StatusPaused: 3}
	if diff := cmp.Diff(want, stats().ByStatus); diff != "" {
		t.Errorf("ByStatus (-want +got):\n%s", diff)
	}
	for _, step := range []struct {
		claim string     // the workflow claimed before looking
		due   *time.Time // nil: nothing runnable is left
	}{
		{"", ptr(at(0))},
		{"wf-queued", ptr(now.Add(-time.Minute))},
		{"wf-waiting-past", ptr(now.Add(-time.Second))},
		{"wf-running-expired", ptr(now)},
		{"wf-waiting-now", nil},
	} {
		if step.claim != "" {
			f.claimOne(step.claim, now, now.Add(time.Hour))
		}
		got := stats().OldestDue
		if (got == nil) != (step.due == nil) || got != nil && !got.Equal(*step.due) {
			t.Errorf("after claiming %q: OldestDue %v, want %v", step.claim, got, step.due)
		}
	}
	want = map[store.InstanceStatus]int{store.StatusQueued: 0, store.StatusWaiting: 2, store.StatusRunning: 5, store.StatusPaused: 3}
	if diff := cmp.Diff(want, stats().ByStatus); diff != "" {
		t.Errorf("ByStatus after the claims (-want +got):\n%s", diff)
	}
}
