package storetest

import (
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// testNextWakeAt: the earliest timer among waiting instances only.
func testNextWakeAt(t *testing.T, s suite) {
	f := s.setup(t)
	check := func(want *time.Time) {
		t.Helper()
		got, ok, err := f.s.NextWakeAt(f.ctx)
		if err != nil {
			t.Fatalf("NextWakeAt: %v", err)
		}
		switch {
		case want == nil && ok:
			t.Errorf("NextWakeAt = %v, want none", got)
		case want != nil && (!ok || !got.Equal(*want)):
			t.Errorf("NextWakeAt = %v, %v; want %v", got, ok, *want)
		}
	}
	check(nil)
	wait := func(id string, wake *time.Time) {
		f.create(id, "wf-"+id, at(0))
		c := f.claimOne("wf-"+id, at(time.Second), at(time.Minute))
		f.mustApply(&store.Update{InstanceID: id, LeaseToken: c.LeaseToken, Now: at(2 * time.Second),
			State: &store.StateChange{Status: store.StatusWaiting, WakeAt: wake}, Release: true})
	}
	f.inStatus("queued", store.StatusQueued)
	f.inStatus("running", store.StatusRunning)
	wait("event-only", nil)
	check(nil)
	wait("late", ptr(at(3*time.Hour)))
	check(ptr(at(3 * time.Hour)))
	wait("early", ptr(at(2*time.Hour)))
	check(ptr(at(2 * time.Hour)))
	// A paused instance's timer does not count.
	wait("paused", ptr(at(time.Hour)))
	check(ptr(at(time.Hour)))
	f.mustControl("paused", store.ActionPause, "", at(3*time.Second))
	check(ptr(at(2 * time.Hour)))
	// Neither does one that was claimed after its timer fired.
	f.claimOne("wf-early", at(2*time.Hour), at(3*time.Hour))
	check(ptr(at(3 * time.Hour)))
	// An event makes the event-only instance due now.
	f.send("event-only", "ping", "", at(5*time.Second))
	check(ptr(at(5 * time.Second)))
}
