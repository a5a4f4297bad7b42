package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// testCommitFencing: in one batch, an update with a wrong or stale token is
// skipped with ErrLeaseLost while the others apply.
func testCommitFencing(t *testing.T, s suite) {
	f := s.setup(t)
	a := f.inStatus("a", store.StatusRunning)
	b := f.inStatus("b", store.StatusRunning)
	c := f.inStatus("c", store.StatusRunning)
	f.inStatus("q", store.StatusQueued)
	step := func(key string) []*store.Step {
		return []*store.Step{{Key: key, Name: "s", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted, StartedAt: at(time.Minute)}}
	}
	done := &store.StateChange{Status: store.StatusComplete}
	res := f.commitAll(
		&store.Update{InstanceID: "a", LeaseToken: a.LeaseToken, Now: at(time.Minute), Steps: step("a1"), State: done},
		&store.Update{InstanceID: "b", LeaseToken: c.LeaseToken, Now: at(time.Minute), Steps: step("b1"), State: done, CustomStatus: ptr("x")},
		&store.Update{InstanceID: "c", LeaseToken: "", Now: at(time.Minute), Steps: step("c1"), State: done, Release: true},
		&store.Update{InstanceID: "q", LeaseToken: "", Now: at(time.Minute), Steps: step("q1")},
		&store.Update{InstanceID: "missing", LeaseToken: b.LeaseToken, Now: at(time.Minute), Steps: step("m1")},
		&store.Update{InstanceID: "b", LeaseToken: b.LeaseToken, Now: at(time.Minute), Steps: step("b2")},
	)
	want := []store.UpdateResult{
		{Status: store.StatusComplete},
		{Err: store.ErrLeaseLost, Status: store.StatusRunning},
		{Err: store.ErrLeaseLost, Status: store.StatusRunning},
		{Err: store.ErrLeaseLost, Status: store.StatusQueued},
		{Err: store.ErrLeaseLost},
		{Status: store.StatusRunning},
	}
	for i := range want {
		wantErr(t, "result "+string(rune('0'+i)), res[i].Err, want[i].Err)
		if res[i].Status != want[i].Status {
			t.Errorf("result %d Status = %q, want %q", i, res[i].Status, want[i].Status)
		}
	}
	if got := f.get("a"); got.Status != store.StatusComplete {
		t.Errorf("a: status %s, want complete", got.Status)
	}
	if got := f.get("b"); got.Status != store.StatusRunning || got.CustomStatus != "" {
		t.Errorf("b: status %s custom %q; the fenced update must not apply", got.Status, got.CustomStatus)
	}
	if got := f.get("c"); got.LeaseToken != c.LeaseToken {
		t.Errorf("c: the fenced update released the lease")
	}
	for id, wantKeys := range map[string][]string{"a": {"a1"}, "b": {"b2"}, "c": nil, "q": nil} {
		var keys []string
		for _, st := range f.journal(id).Steps {
			keys = append(keys, st.Key)
		}
		if diff := cmp.Diff(wantKeys, keys, cmpEmpty); diff != "" {
			t.Errorf("%s steps (-want +got):\n%s", id, diff)
		}
	}
}

// testCommitSteps: steps are upserted by key (the row replaced, History on
// input ignored) and come back ordered by Ordinal.
func testCommitSteps(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	first := &store.Step{
		Key: "charge#1", Name: "charge", Seq: 1, Ordinal: 1, Kind: store.KindDo, Status: store.StepRetrying,
		Error: &store.ErrorInfo{Message: "timeout", Kind: "timeout"}, Attempts: 1, NextAttemptAt: ptr(at(time.Hour)),
		HasCompensation: true, CompensationData: json.RawMessage(`{"charge":"ch_1"}`), StartedAt: at(time.Minute),
		History: []store.Attempt{{Number: 99}},
	}
	other := &store.Step{Key: "reserve#1", Name: "reserve", Seq: 1, Ordinal: 0, Kind: store.KindDo, Status: store.StepCompleted,
		Output: json.RawMessage(`true`), Attempts: 1, StartedAt: at(time.Second), FinishedAt: ptr(at(2 * time.Second))}
	later := &store.Step{Key: "wait#1", Name: "wait", Seq: 1, Ordinal: 2, Kind: store.KindSleep, Status: store.StepWaiting,
		WakeAt: ptr(at(time.Hour)), StartedAt: at(3 * time.Minute)}
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Minute), Steps: []*store.Step{later, first}})
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Minute), Steps: []*store.Step{other}})

	replaced := &store.Step{
		Key: "charge#1", Name: "charge", Seq: 1, Ordinal: 1, Kind: store.KindDo, Status: store.StepCompleted,
		Output: json.RawMessage(`{"id":"ch_1"}`), Attempts: 2, CustomStatus: "paid",
		HasCompensation: true, CompensationData: json.RawMessage(`{"charge":"ch_2"}`), CompensationStatus: store.CompRetrying,
		CompensationError: &store.ErrorInfo{Message: "refund failed"}, CompensationAttempts: 1, CompensationNextAt: ptr(at(2 * time.Hour)),
		StartedAt: at(time.Minute), FinishedAt: ptr(at(5 * time.Minute)),
	}
	res := f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(5 * time.Minute), Steps: []*store.Step{replaced}})
	if res.Status != store.StatusRunning {
		t.Errorf("result Status = %s, want running", res.Status)
	}
	j := f.journal("a")
	want := []*store.Step{other, replaced, later}
	for _, st := range want {
		st.InstanceID = "a"
	}
	if diff := cmp.Diff(want, j.Steps, cmpEmpty); diff != "" {
		t.Errorf("journal steps (-want +got):\n%s", diff)
	}
	if got := f.get("a"); !got.UpdatedAt.Equal(at(5 * time.Minute)) {
		t.Errorf("UpdatedAt = %v, want the last commit's Now %v", got.UpdatedAt, at(5*time.Minute))
	}
}

// testCommitAttempts: attempts are appended, across commits, in order, to
// their steps' History.
func testCommitAttempts(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	st := func(key, name string, ord int) *store.Step {
		return &store.Step{Key: key, Name: name, Seq: 1, Ordinal: ord, Kind: store.KindDo, Status: store.StepRetrying, StartedAt: at(0)}
	}
	att := func(key string, n int, comp bool, msg string) store.AttemptRecord {
		a := store.Attempt{Number: n, Compensation: comp, StartedAt: at(time.Duration(n) * time.Second), FinishedAt: at(time.Duration(n)*time.Second + time.Millisecond)}
		if msg != "" {
			a.Error = &store.ErrorInfo{Message: msg, Kind: "step"}
		}
		return store.AttemptRecord{StepKey: key, Attempt: a}
	}
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Minute),
		Steps:    []*store.Step{st("x#1", "x", 0), st("y#1", "y", 1)},
		Attempts: []store.AttemptRecord{att("x#1", 1, false, "e1"), att("y#1", 1, false, ""), att("x#1", 2, false, "e2")},
	})
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(2 * time.Minute),
		Steps:    []*store.Step{st("x#1", "x", 0)},
		Attempts: []store.AttemptRecord{att("x#1", 3, false, ""), att("x#1", 1, true, "comp")},
	})
	j := f.journal("a")
	if len(j.Steps) != 2 {
		t.Fatalf("%d steps, want 2", len(j.Steps))
	}
	wantX := []store.Attempt{att("x#1", 1, false, "e1").Attempt, att("x#1", 2, false, "e2").Attempt, att("x#1", 3, false, "").Attempt, att("x#1", 1, true, "comp").Attempt}
	if diff := cmp.Diff(wantX, j.Steps[0].History); diff != "" {
		t.Errorf("x#1 History (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]store.Attempt{att("y#1", 1, false, "").Attempt}, j.Steps[1].History); diff != "" {
		t.Errorf("y#1 History (-want +got):\n%s", diff)
	}
}

func testCommitConsumeEvents(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	f.create("b", "other", at(0))
	e1 := f.send("a", "paid", `1`, at(time.Second))
	e2 := f.send("a", "paid", `2`, at(2*time.Second))
	e3 := f.send("a", "shipped", `3`, at(3*time.Second))
	eb := f.send("b", "paid", `4`, at(3*time.Second))
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Minute),
		Steps: []*store.Step{{Key: "pay#1", Name: "pay", Seq: 1, Kind: store.KindEvent, Status: store.StepCompleted, StartedAt: at(0)},
			{Key: "ship#1", Name: "ship", Seq: 1, Ordinal: 1, Kind: store.KindEvent, Status: store.StepCompleted, StartedAt: at(0)}},
		ConsumeEvents: []store.EventConsumption{{EventID: e1.ID, StepKey: "pay#1"}, {EventID: e3.ID, StepKey: "ship#1"},
			// Another instance's event is not this update's to consume.
			{EventID: eb.ID, StepKey: "pay#1"}},
	})
	got := map[int64]string{}
	for _, ev := range f.journal("a").Events {
		got[ev.ID] = ev.ConsumedBy
	}
	want := map[int64]string{e1.ID: "pay#1", e2.ID: "", e3.ID: "ship#1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ConsumedBy (-want +got):\n%s", diff)
	}
	if ev := f.journal("b").Events[0]; ev.ConsumedBy != "" {
		t.Errorf("b's event consumed by %q through a's update", ev.ConsumedBy)
	}
}

func testCommitCustomStatus(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	for _, tc := range []struct {
		set  *string
		want string
	}{
		{ptr("paid"), "paid"},
		{nil, "paid"},
		{ptr("shipped"), "shipped"},
		{ptr(""), ""},
	} {
		f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Minute), CustomStatus: tc.set})
		if got := f.get("a").CustomStatus; got != tc.want {
			t.Errorf("after setting %v: CustomStatus %q, want %q", tc.set, got, tc.want)
		}
	}
	// Set together with a final state, and kept after it.
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Minute), CustomStatus: ptr("delivered"),
		State: &store.StateChange{Status: store.StatusComplete}, Release: true})
	if got := f.get("a"); got.CustomStatus != "delivered" || got.Status != store.StatusComplete {
		t.Errorf("CustomStatus %q status %s, want delivered, complete", got.CustomStatus, got.Status)
	}
}

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

func testCommitEmpty(t *testing.T, s suite) {
	f := s.setup(t)
	res, err := f.s.Commit(f.ctx, nil)
	if err != nil || len(res) != 0 {
		t.Fatalf("Commit(nil) = %v, %v; want no results, no error", res, err)
	}
}

// testCommitCreate: updates that create their instance, claimed or not,
// share a batch with ordinary updates; an existing ID fails only its own
// update.
func testCommitCreate(t *testing.T, s suite) {
	f := s.setup(t)
	run := f.inStatus("run", store.StatusRunning)
	existing := f.inStatus("old", store.StatusWaiting)
	now := at(time.Minute)
	step := func(key string) []*store.Step {
		return []*store.Step{{Key: key, Name: "s", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted, StartedAt: now}}
	}
	create := func(id string, claim *store.CreateClaim) *store.InstanceCreateParams {
		return &store.InstanceCreateParams{ID: id, Workflow: "new", Params: json.RawMessage(`{"id":"` + id + `"}`), Now: now, Claim: claim}
	}
	res := f.commitAll(
		&store.Update{InstanceID: "queued", Create: create("queued", nil)},
		&store.Update{InstanceID: "claimed", LeaseToken: "tok-c", Now: now,
			Create: create("claimed", &store.CreateClaim{Owner: "e1", Token: "tok-c", LeaseUntil: at(time.Hour)}),
			Steps:  step("c#1"), CustomStatus: ptr("started"),
			State: &store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(at(2 * time.Hour))}, Release: true},
		&store.Update{InstanceID: "old", LeaseToken: "tok-o", Now: now,
			Create: create("old", &store.CreateClaim{Owner: "e1", Token: "tok-o", LeaseUntil: at(time.Hour)}),
			Steps:  step("o#1"), CustomStatus: ptr("hijacked")},
		&store.Update{InstanceID: "run", LeaseToken: run.LeaseToken, Now: now, Steps: step("r#1")},
		&store.Update{InstanceID: "queued", Create: create("queued", nil)},
	)
	want := []store.UpdateResult{
		{Status: store.StatusQueued},
		{Status: store.StatusWaiting},
		{Err: store.ErrAlreadyExists, Status: store.StatusWaiting},
		{Status: store.StatusRunning},
		{Err: store.ErrAlreadyExists, Status: store.StatusQueued},
	}
	for i := range want {
		wantErr(t, fmt.Sprintf("result %d", i), res[i].Err, want[i].Err)
		if res[i].Status != want[i].Status {
			t.Errorf("result %d Status = %q, want %q", i, res[i].Status, want[i].Status)
		}
	}

	q := f.get("queued")
	wantQ := &store.Instance{ID: "queued", Workflow: "new", Status: store.StatusQueued, Params: json.RawMessage(`{"id":"queued"}`), CreatedAt: now, UpdatedAt: now}
	if diff := cmp.Diff(wantQ, q); diff != "" {
		t.Errorf("created queued instance (-want +got):\n%s", diff)
	}
	c := f.get("claimed")
	if c.Status != store.StatusWaiting || c.CustomStatus != "started" || c.Claims != 1 || c.LeaseToken != "" ||
		!deref(c.StartedAt).Equal(now) || !deref(c.WakeAt).Equal(at(2*time.Hour)) || !c.CreatedAt.Equal(now) {
		t.Errorf("created claimed instance after its update: %+v", c)
	}
	if n := len(f.journal("claimed").Steps); n != 1 {
		t.Errorf("claimed: %d steps, want 1", n)
	}
	if diff := cmp.Diff(existing, f.get("old")); diff != "" {
		t.Errorf("a create of an existing ID changed it (-before +after):\n%s", diff)
	}
	if n := len(f.journal("old").Steps); n != 0 {
		t.Errorf("old: %d steps recorded by a failed create, want 0", n)
	}
	if n := len(f.journal("run").Steps); n != 1 {
		t.Errorf("run: %d steps, want 1", n)
	}
	// The created queued instance is claimable like any other.
	f.claimOne("new", at(90*time.Minute), at(4*time.Hour))
}

// testCommitCreateInvalid: a Create that contradicts its update fails the
// whole batch.
func testCommitCreateInvalid(t *testing.T, s suite) {
	f := s.setup(t)
	run := f.inStatus("run", store.StatusRunning)
	claim := &store.CreateClaim{Owner: "e", Token: "tok", LeaseUntil: at(time.Hour)}
	tests := []struct {
		name string
		u    *store.Update
	}{
		{"ID differs", &store.Update{InstanceID: "x", LeaseToken: "tok", Create: &store.InstanceCreateParams{ID: "y", Workflow: "wf", Claim: claim}}},
		{"token differs", &store.Update{InstanceID: "x", LeaseToken: "other", Create: &store.InstanceCreateParams{ID: "x", Workflow: "wf", Claim: claim}}},
		{"no workflow", &store.Update{InstanceID: "x", Create: &store.InstanceCreateParams{ID: "x"}}},
		{"unclaimed with a state", &store.Update{InstanceID: "x", Create: &store.InstanceCreateParams{ID: "x", Workflow: "wf"},
			State: &store.StateChange{Status: store.StatusComplete}}},
	}
	for _, tc := range tests {
		_, err := f.s.Commit(f.ctx, []*store.Update{
			{InstanceID: "run", LeaseToken: run.LeaseToken, Now: at(time.Minute), CustomStatus: ptr("applied")},
			tc.u,
		})
		if err == nil {
			t.Errorf("%s: Commit succeeded", tc.name)
		}
	}
	if got := f.get("run"); got.CustomStatus != "" {
		t.Errorf("a failed batch applied: custom status %q", got.CustomStatus)
	}
	if _, err := f.s.InstanceGet(f.ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a failed batch created x: %v", err)
	}
}
