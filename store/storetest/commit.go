package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
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
	d := f.inStatus("d", store.StatusRunning)
	e := f.inStatus("e", store.StatusRunning)
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
		// Journal records and a release, no state: fenced alike.
		&store.Update{InstanceID: "d", LeaseToken: e.LeaseToken, Now: at(time.Minute), Steps: step("d1"), Release: true},
		&store.Update{InstanceID: "e", LeaseToken: e.LeaseToken, Now: at(time.Minute), Steps: step("e1"), Release: true},
	)
	want := []store.UpdateResult{
		{Status: store.StatusComplete},
		{Err: store.ErrLeaseLost, Status: store.StatusRunning},
		{Err: store.ErrLeaseLost, Status: store.StatusRunning},
		{Err: store.ErrLeaseLost, Status: store.StatusQueued},
		{Err: store.ErrLeaseLost},
		{Status: store.StatusRunning},
		{Err: store.ErrLeaseLost, Status: store.StatusRunning},
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
	if got := f.get("d"); got.LeaseToken != d.LeaseToken {
		t.Errorf("d: the fenced update released the lease")
	}
	if got := f.get("e"); got.LeaseToken != "" {
		t.Errorf("e: lease token %q after the release", got.LeaseToken)
	}
	for id, wantKeys := range map[string][]string{"a": {"a1"}, "b": {"b2"}, "c": nil, "q": nil, "d": nil, "e": {"e1"}} {
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
		Error: &store.ErrorInfo{Message: "timeout", Kind: store.ErrorKindTimeout}, Attempts: 1, NextAttemptAt: ptr(at(time.Hour)),
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
// their steps' History, each (step, number, compensation) once.
func testCommitAttempts(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	st := func(key, name string, ord int) *store.Step {
		return &store.Step{Key: key, Name: name, Seq: 1, Ordinal: ord, Kind: store.KindDo, Status: store.StepRetrying, StartedAt: at(0)}
	}
	att := func(key string, n int, comp bool, msg string) store.AttemptRecord {
		a := store.Attempt{Number: n, Compensation: comp, StartedAt: at(time.Duration(n) * time.Second), FinishedAt: at(time.Duration(n)*time.Second + time.Millisecond)}
		if msg != "" {
			a.Error = &store.ErrorInfo{Message: msg, Kind: store.ErrorKindStep}
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
	// The same commit sent again (its answer was lost) records nothing
	// twice: an attempt is identified by step, number and kind.
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

func testCommitEmpty(t *testing.T, s suite) {
	f := s.setup(t)
	res, err := f.s.Commit(f.ctx, nil)
	if err != nil || len(res) != 0 {
		t.Fatalf("Commit(nil) = %v, %v; want no results, no error", res, err)
	}
}

// testCommitParallelSteps: one batch holding several updates of one
// instance, as its parallel steps finish together (each its own step and
// attempt), then the same step again and a custom status, beside another
// instance's: every update applies, in order, and reports the instance
// running.
func testCommitParallelSteps(t *testing.T, s suite) {
	f := s.setup(t)
	a := f.inStatus("a", store.StatusRunning)
	b := f.inStatus("b", store.StatusRunning)
	step := func(key string, ord int, status store.StepStatus) *store.Step {
		return &store.Step{Key: key, Name: "s", Seq: ord + 1, Ordinal: ord, Kind: store.KindDo, Status: status,
			Attempts: 1, StartedAt: at(time.Second)}
	}
	att := func(key string, n int) []store.AttemptRecord {
		return []store.AttemptRecord{{StepKey: key, Attempt: store.Attempt{Number: n, StartedAt: at(time.Second), FinishedAt: at(2 * time.Second)}}}
	}
	upd := func(in *store.Instance, now time.Duration, st *store.Step, atts []store.AttemptRecord) *store.Update {
		return &store.Update{InstanceID: in.ID, LeaseToken: in.LeaseToken, Now: at(now), Steps: []*store.Step{st}, Attempts: atts}
	}
	last := upd(a, 5*time.Minute, step("p#3", 2, store.StepCompleted), att("p#3", 2))
	last.CustomStatus = ptr("charged")
	res := f.commitAll(
		upd(a, time.Minute, step("p#1", 0, store.StepCompleted), att("p#1", 1)),
		upd(b, time.Minute, step("p#1", 0, store.StepCompleted), att("p#1", 1)),
		upd(a, 2*time.Minute, step("p#2", 1, store.StepCompleted), att("p#2", 1)),
		upd(a, 3*time.Minute, step("p#3", 2, store.StepRetrying), att("p#3", 1)),
		last,
	)
	for i, r := range res {
		if r.Err != nil || r.Status != store.StatusRunning {
			t.Errorf("result %d = %+v, want running", i, r)
		}
	}
	j := f.journal("a")
	var got []string
	for _, st := range j.Steps {
		got = append(got, fmt.Sprintf("%s %s %d", st.Key, st.Status, len(st.History)))
	}
	if want := []string{"p#1 completed 1", "p#2 completed 1", "p#3 completed 2"}; !slices.Equal(got, want) {
		t.Errorf("a's journal %v, want %v", got, want)
	}
	if in := f.get("a"); in.CustomStatus != "charged" || !in.UpdatedAt.Equal(at(5*time.Minute)) {
		t.Errorf("a: custom status %q updated %v, want charged at %v", in.CustomStatus, in.UpdatedAt, at(5*time.Minute))
	}
	if n := len(f.journal("b").Steps); n != 1 {
		t.Errorf("b has %d steps, want 1", n)
	}
}

// testCommitManyStepResults: a batch of many instances' step results (a
// backend may write them with multi-row statements) is fenced and written
// per instance like any other: each stamped with its own Now, a wrong or
// missing token skipped with ErrLeaseLost, an instance's later update in
// the batch applied after its step result.
func testCommitManyStepResults(t *testing.T, s suite) {
	f := s.setup(t)
	const n = 75 // more than one chunk of any size a backend might pick
	var (
		updates []*store.Update
		want    []store.UpdateResult
		steps   = map[string][]string{}
	)
	for i := range n {
		id := fmt.Sprintf("i%02d", i)
		in := f.inStatus(id, store.StatusRunning)
		token, res := in.LeaseToken, store.UpdateResult{Status: store.StatusRunning}
		if i%7 == 3 {
			token, res = "stale", store.UpdateResult{Err: store.ErrLeaseLost, Status: store.StatusRunning}
		}
		u := &store.Update{InstanceID: id, LeaseToken: token, Now: at(time.Duration(i) * time.Second)}
		nsteps := 1 + i%3
		for k := range nsteps {
			key := fmt.Sprintf("s#%d", k+1)
			u.Steps = append(u.Steps, &store.Step{Key: key, Name: "s", Seq: k + 1, Ordinal: k, Kind: store.KindDo,
				Status: store.StepCompleted, Output: json.RawMessage(fmt.Sprintf(`{"i":%d,"k":%d}`, i, k)), Attempts: 1,
				StartedAt: at(time.Duration(i) * time.Second), FinishedAt: ptr(at(time.Duration(i)*time.Second + time.Millisecond))})
			u.Attempts = append(u.Attempts, store.AttemptRecord{StepKey: key, Attempt: store.Attempt{Number: 1,
				StartedAt: at(time.Duration(i) * time.Second), FinishedAt: at(time.Duration(i)*time.Second + time.Millisecond)}})
			if res.Err == nil {
				steps[id] = append(steps[id], key)
			}
		}
		updates, want = append(updates, u), append(want, res)
		if i == 12 {
			// The same instance finishes later in the batch.
			updates = append(updates, &store.Update{InstanceID: id, LeaseToken: token, Now: at(time.Hour),
				State: &store.StateChange{Status: store.StatusComplete, Output: json.RawMessage(`"done"`)}, Release: true})
			want = append(want, store.UpdateResult{Status: store.StatusComplete})
		}
	}
	updates = append(updates, &store.Update{InstanceID: "missing", LeaseToken: "tok", Now: at(time.Minute),
		Steps: []*store.Step{{Key: "m#1", Name: "m", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted, StartedAt: at(0)}}})
	want = append(want, store.UpdateResult{Err: store.ErrLeaseLost})
	res := f.commitAll(updates...)
	for i := range want {
		wantErr(t, fmt.Sprintf("result %d (%s)", i, updates[i].InstanceID), res[i].Err, want[i].Err)
		if res[i].Status != want[i].Status {
			t.Errorf("result %d (%s) Status = %q, want %q", i, updates[i].InstanceID, res[i].Status, want[i].Status)
		}
	}
	for i := range n {
		id := fmt.Sprintf("i%02d", i)
		j := f.journal(id)
		var keys []string
		for _, st := range j.Steps {
			keys = append(keys, st.Key)
			if len(st.History) != 1 || st.History[0].Number != 1 {
				t.Errorf("%s %s: history %+v, want attempt 1", id, st.Key, st.History)
			}
			if want := fmt.Sprintf(`{"i":%d,"k":%d}`, i, st.Ordinal); string(st.Output) != want {
				t.Errorf("%s %s: output %s, want %s", id, st.Key, st.Output, want)
			}
		}
		if diff := cmp.Diff(steps[id], keys, cmpEmpty); diff != "" {
			t.Errorf("%s steps (-want +got):\n%s", id, diff)
		}
		in := f.get(id)
		switch {
		case i == 12:
			if in.Status != store.StatusComplete || in.LeaseToken != "" || !in.UpdatedAt.Equal(at(time.Hour)) {
				t.Errorf("%s: %s, lease %q, updated %v; want complete, released, at %v", id, in.Status, in.LeaseToken, in.UpdatedAt, at(time.Hour))
			}
		case i%7 == 3:
			if in.UpdatedAt.Equal(at(time.Duration(i) * time.Second)) {
				t.Errorf("%s: updated %v by a fenced update", id, in.UpdatedAt)
			}
		default:
			if !in.UpdatedAt.Equal(at(time.Duration(i) * time.Second)) {
				t.Errorf("%s: updated %v, want its update's Now %v", id, in.UpdatedAt, at(time.Duration(i)*time.Second))
			}
		}
	}
}
