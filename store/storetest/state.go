package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// testCommitState: each accepted state change from running, and what it
// sets on the instance.
func testCommitState(t *testing.T, s suite) {
	now := at(10 * time.Minute)
	errInfo := &store.ErrorInfo{Message: "payment declined", Kind: "non_retryable", Step: "charge"}
	tests := []struct {
		name    string
		state   store.StateChange
		release bool
		check   func(t *testing.T, in *store.Instance)
	}{
		{"waiting with timer", store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(at(time.Hour))}, true,
			func(t *testing.T, in *store.Instance) {
				wantTime(t, "WakeAt", in.WakeAt, ptr(at(time.Hour)))
				wantTime(t, "FinishedAt", in.FinishedAt, nil)
			}},
		{"waiting for an event", store.StateChange{Status: store.StatusWaiting, AwaitEvents: []string{"paid"}}, true,
			func(t *testing.T, in *store.Instance) { wantTime(t, "WakeAt", in.WakeAt, nil) }},
		{"waiting without release", store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(at(time.Hour))}, false,
			func(t *testing.T, in *store.Instance) {
				if in.LeaseToken == "" {
					t.Error("lease cleared without Release")
				}
			}},
		{"queued", store.StateChange{Status: store.StatusQueued}, true,
			func(t *testing.T, in *store.Instance) {
				wantTime(t, "WakeAt", in.WakeAt, nil)
				wantTime(t, "FinishedAt", in.FinishedAt, nil)
			}},
		{"complete", store.StateChange{Status: store.StatusComplete, Output: json.RawMessage(`{"shipped":true}`)}, true,
			func(t *testing.T, in *store.Instance) {
				checkRaw(t, "Output", json.RawMessage(`{"shipped":true}`), in.Output)
				wantTime(t, "FinishedAt", in.FinishedAt, &now)
				wantTime(t, "WakeAt", in.WakeAt, nil)
				if in.Error != nil {
					t.Errorf("Error = %+v, want nil", in.Error)
				}
			}},
		{"errored", store.StateChange{Status: store.StatusErrored, Error: errInfo}, true,
			func(t *testing.T, in *store.Instance) {
				if diff := cmp.Diff(errInfo, in.Error); diff != "" {
					t.Errorf("Error (-want +got):\n%s", diff)
				}
				wantTime(t, "FinishedAt", in.FinishedAt, &now)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := s.setup(t)
			in := f.inStatus("a", store.StatusRunning)
			state := tc.state
			res := f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: now, State: &state, Release: tc.release})
			if res.Status != tc.state.Status {
				t.Errorf("result Status = %s, want %s", res.Status, tc.state.Status)
			}
			got := f.get("a")
			if got.Status != tc.state.Status || !got.UpdatedAt.Equal(now) {
				t.Errorf("status %s updated %v, want %s at %v", got.Status, got.UpdatedAt, tc.state.Status, now)
			}
			tc.check(t, got)
		})
	}
}

func wantTime(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case want == nil && got != nil:
		t.Errorf("%s = %v, want nil", what, *got)
	case want != nil && got == nil:
		t.Errorf("%s = nil, want %v", what, *want)
	case want != nil && !got.Equal(*want):
		t.Errorf("%s = %v, want %v", what, *got, *want)
	}
}

// testCommitStateDropped: once an operator paused or terminated the
// instance, a worker's update still records its steps but not its state.
func testCommitStateDropped(t *testing.T, s suite) {
	for _, action := range []store.ControlAction{store.ActionPause, store.ActionTerminate} {
		for _, state := range []store.InstanceStatus{store.StatusWaiting, store.StatusQueued, store.StatusComplete, store.StatusErrored} {
			t.Run(string(action)+"/"+string(state), func(t *testing.T) {
				t.Parallel()
				f := s.setup(t)
				in := f.inStatus("a", store.StatusRunning)
				controlled := f.mustControl("a", action, "", at(time.Minute))
				res := f.mustApply(&store.Update{
					InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(2 * time.Minute),
					Steps:        []*store.Step{{Key: "s#1", Name: "s", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted, StartedAt: at(0)}},
					CustomStatus: ptr("late"),
					State: &store.StateChange{Status: state, Output: json.RawMessage(`1`),
						Error: &store.ErrorInfo{Message: "x"}, WakeAt: ptr(at(time.Hour))},
					Release: true,
				})
				if res.Status != controlled.Status {
					t.Errorf("result Status = %s, want the stored %s", res.Status, controlled.Status)
				}
				got := f.get("a")
				if got.Status != controlled.Status || got.Output != nil || got.Error != nil || got.WakeAt != nil {
					t.Errorf("state applied after %s: status %s output %q error %v wake %v", action, got.Status, got.Output, got.Error, got.WakeAt)
				}
				wantTime(t, "FinishedAt", got.FinishedAt, controlled.FinishedAt)
				if got.CustomStatus != "late" {
					t.Errorf("CustomStatus = %q, want late (only the state is dropped)", got.CustomStatus)
				}
				if got.LeaseToken != "" {
					t.Errorf("Release did not clear the lease")
				}
				if j := f.journal("a"); len(j.Steps) != 1 {
					t.Errorf("%d steps recorded, want 1", len(j.Steps))
				}
			})
		}
	}
}

// testCommitInvalidState: a state the engine may not set fails the whole
// batch and applies nothing.
func testCommitInvalidState(t *testing.T, s suite) {
	f := s.setup(t)
	a := f.inStatus("a", store.StatusRunning)
	b := f.inStatus("b", store.StatusRunning)
	for _, bad := range []store.InstanceStatus{store.StatusRunning, store.StatusPaused, store.StatusTerminated, "bogus"} {
		_, err := f.s.Commit(f.ctx, []*store.Update{
			{InstanceID: "a", LeaseToken: a.LeaseToken, Now: at(time.Minute), CustomStatus: ptr("applied"),
				Steps: []*store.Step{{Key: "s#1", Name: "s", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted, StartedAt: at(0)}}},
			{InstanceID: "b", LeaseToken: b.LeaseToken, Now: at(time.Minute), State: &store.StateChange{Status: bad}},
		})
		if err == nil {
			t.Errorf("Commit with state %q: no error", bad)
		}
	}
	if got := f.get("a"); got.CustomStatus != "" || len(f.journal("a").Steps) != 0 {
		t.Errorf("a failed batch applied: custom %q", got.CustomStatus)
	}
	if got := f.get("b"); got.Status != store.StatusRunning {
		t.Errorf("b: status %s after a failed batch", got.Status)
	}
}

func testCommitRelease(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	res := f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Minute),
		State: &store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(at(time.Hour))}, Release: true})
	if res.Status != store.StatusWaiting {
		t.Errorf("result Status = %s, want waiting", res.Status)
	}
	got := f.get("a")
	if got.LeaseOwner != "" || got.LeaseToken != "" || got.LeaseExpiresAt != nil {
		t.Errorf("lease after Release: owner %q token %q expires %v; want all cleared", got.LeaseOwner, got.LeaseToken, got.LeaseExpiresAt)
	}
	if got.Claims != 1 {
		t.Errorf("Claims = %d, want 1", got.Claims)
	}
	res = f.commit(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(2 * time.Minute)})
	wantErr(t, "Commit after Release", res.Err, store.ErrLeaseLost)
	if res.Status != store.StatusWaiting {
		t.Errorf("lease-lost result Status = %s, want waiting", res.Status)
	}
	if hb := f.heartbeat(at(time.Hour), at(2*time.Minute), in.LeaseToken); hb[0].Held {
		t.Errorf("heartbeat holds a released lease")
	}
}

// testCommitAwaitEvents: an instance that starts waiting for event types
// of which an unconsumed event already exists is due at once.
func testCommitAwaitEvents(t *testing.T, s suite) {
	now := at(10 * time.Minute)
	timer := ptr(at(time.Hour))
	tests := []struct {
		name     string
		events   []string // types sent while running
		consume  []int    // indexes of events consumed earlier
		consumeU []int    // indexes consumed by the waiting update itself
		await    []string
		wake     *time.Time
		want     *time.Time
	}{
		{"pending event", []string{"paid"}, nil, nil, []string{"paid"}, timer, &now},
		{"pending event, no timer", []string{"paid"}, nil, nil, []string{"paid"}, nil, &now},
		{"one of several types", []string{"shipped"}, nil, nil, []string{"paid", "shipped"}, timer, &now},
		{"event consumed earlier", []string{"paid"}, []int{0}, nil, []string{"paid"}, timer, timer},
		{"event consumed by this update", []string{"paid"}, nil, []int{0}, []string{"paid"}, timer, timer},
		{"second event still pending", []string{"paid", "paid"}, nil, []int{0}, []string{"paid"}, timer, &now},
		{"other type", []string{"refund"}, nil, nil, []string{"paid"}, timer, timer},
		{"not awaiting", []string{"paid"}, nil, nil, nil, timer, timer},
		{"no events", nil, nil, nil, []string{"paid"}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := s.setup(t)
			in := f.inStatus("a", store.StatusRunning)
			var evs []*store.Event
			for i, typ := range tc.events {
				evs = append(evs, f.send("a", typ, `{}`, at(time.Duration(i+1)*time.Second)))
			}
			consume := func(idx []int) (out []store.EventConsumption) {
				for _, i := range idx {
					out = append(out, store.EventConsumption{EventID: evs[i].ID, StepKey: "got#1"})
				}
				return out
			}
			if len(tc.consume) > 0 {
				f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Minute), ConsumeEvents: consume(tc.consume)})
			}
			f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: now, ConsumeEvents: consume(tc.consumeU),
				State: &store.StateChange{Status: store.StatusWaiting, WakeAt: tc.wake, AwaitEvents: tc.await}, Release: true})
			wantTime(t, "WakeAt", f.get("a").WakeAt, tc.want)
		})
	}
}
