package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ordohq/ordo/store"
)

// ignoreStepInstance compares steps without their InstanceID (a backend
// may leave it to the caller).
var ignoreStepInstance = cmpopts.IgnoreFields(store.Step{}, "InstanceID")

func (f *fixture) runs(id string) []*store.Run {
	f.t.Helper()
	runs, err := f.s.InstanceRuns(f.ctx, id)
	if err != nil {
		f.t.Fatalf("InstanceRuns %q: %v", id, err)
	}
	return runs
}

func (f *fixture) restart(p *store.ControlParams) *store.Instance {
	f.t.Helper()
	p.Action = store.ActionRestart
	in, err := f.s.InstanceControl(f.ctx, p)
	if err != nil {
		f.t.Fatalf("InstanceControl restart %s from %q: %v", p.InstanceID, p.FromStep, err)
	}
	return in
}

// doneStep is a completed do step that set custom status cs ("" none).
func doneStep(name string, ord int, cs string, at time.Time) *store.Step {
	return &store.Step{Key: name + "#1", Name: name, Seq: 1, Ordinal: ord, Kind: store.KindDo, Status: store.StepCompleted,
		Output: json.RawMessage(`{"ok":true}`), Attempts: 1, CustomStatus: cs, StartedAt: at, FinishedAt: &at}
}

func attemptOf(key string, n int, at time.Time, failed bool) store.AttemptRecord {
	a := store.Attempt{Number: n, StartedAt: at, FinishedAt: at}
	if failed {
		a.Error = &store.ErrorInfo{Message: "erp down", Kind: store.ErrorKindStep}
	}
	return store.AttemptRecord{StepKey: key, Attempt: a}
}

// failRun records, on the claimed instance in, a failed notify#1 (two
// attempts, consuming ev) and errors the instance.
func failRun(f *fixture, in *store.Instance, now time.Time, ev int64) {
	f.t.Helper()
	failed := &store.Step{Key: "notify#1", Name: "notify", Seq: 1, Ordinal: 2, Kind: store.KindDo, Status: store.StepFailed,
		Error: &store.ErrorInfo{Message: "erp down", Kind: store.ErrorKindStep}, Attempts: 2, StartedAt: now}
	f.mustApply(&store.Update{InstanceID: in.ID, LeaseToken: in.LeaseToken, Now: now,
		Steps:         []*store.Step{failed},
		Attempts:      []store.AttemptRecord{attemptOf("notify#1", 1, now, true), attemptOf("notify#1", 2, now, true)},
		ConsumeEvents: []store.EventConsumption{{EventID: ev, StepKey: "notify#1"}},
		State:         &store.StateChange{Status: store.StatusErrored, Error: &store.ErrorInfo{Message: "erp down", Step: "notify"}},
		Release:       true})
}

// testRestartKeepsHistory: three restarts (from a step; a redrive with
// new params from an earlier step; from the beginning) each end a run whose
// record keeps the steps it took out of the journal with their attempts,
// while kept steps stay in the journal and set the custom status.
func testRestartKeepsHistory(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	if in.Run != 1 {
		t.Errorf("new instance: Run %d, want 1", in.Run)
	}
	if runs := f.runs("a"); len(runs) != 0 {
		t.Errorf("InstanceRuns of an instance never restarted: %d runs, want 0", len(runs))
	}
	_, err := f.s.InstanceRuns(f.ctx, "missing")
	wantErr(t, "InstanceRuns of an unknown instance", err, store.ErrNotFound)

	ev := f.send("a", "erp", `{}`, at(30*time.Second))
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Minute),
		Steps: []*store.Step{doneStep("reserve", 0, "Reserved", at(time.Minute)), doneStep("charge", 1, "Charged", at(time.Minute))},
		Attempts: []store.AttemptRecord{attemptOf("reserve#1", 1, at(time.Minute), false),
			attemptOf("charge#1", 1, at(time.Minute), true), attemptOf("charge#1", 2, at(time.Minute), false)},
		CustomStatus: ptr("Charged")})
	failRun(f, in, at(2*time.Minute), ev.ID)
	before := f.journal("a")

	// 1. From notify: reserve and charge stay, notify's attempts go to run 1.
	t1 := at(time.Hour)
	got := f.restart(&store.ControlParams{InstanceID: "a", FromStep: "notify", Now: t1,
		Audit: &store.Action{At: t1, Actor: "ops", Action: "restart", InstanceID: "a", Reason: "erp back"}})
	if got.Run != 2 || got.Status != store.StatusQueued || got.CustomStatus != "Charged" || got.Error != nil {
		t.Errorf("after restart from notify: run %d status %s custom %q error %v; want run 2 queued %q no error",
			got.Run, got.Status, got.CustomStatus, got.Error, "Charged")
	}
	if diff := cmp.Diff(got, f.get("a")); diff != "" {
		t.Errorf("returned instance differs from InstanceGet (-returned +get):\n%s", diff)
	}
	j := f.journal("a")
	if diff := cmp.Diff(before.Steps[:2], j.Steps, ignoreStepInstance); diff != "" {
		t.Errorf("kept steps (-want +got):\n%s", diff)
	}
	if j.Events[0].ConsumedBy != "" {
		t.Errorf("event consumed by the re-run step: ConsumedBy %q after restart, want none", j.Events[0].ConsumedBy)
	}
	run1 := &store.Run{InstanceID: "a", Number: 1, StartedAt: createdAt, EndedAt: t1, Status: store.StatusErrored,
		Error: &store.ErrorInfo{Message: "erp down", Step: "notify"}, CustomStatus: "Charged", Params: json.RawMessage(`{"id":"a"}`),
		Restart: store.RunRestart{FromStep: "notify", Actor: "ops", Reason: "erp back", CustomStatus: "Charged", Kept: []string{"reserve#1", "charge#1"}}, Steps: before.Steps[2:]}
	runs := f.runs("a")
	if diff := cmp.Diff([]*store.Run{run1}, runs, ignoreStepInstance, cmpEmpty); diff != "" {
		t.Errorf("runs after the first restart (-want +got):\n%s", diff)
	}
	if len(runs) == 1 && len(runs[0].Steps) == 1 && len(runs[0].Steps[0].History) != 2 {
		t.Errorf("run 1's notify#1 has %d attempts, want 2", len(runs[0].Steps[0].History))
	}

	// 2. Run 2 fails again; a redrive from charge with new params.
	in2 := f.claimOne("wf-a", at(61*time.Minute), at(2*time.Hour))
	if in2.Run != 2 {
		t.Errorf("claimed restarted instance: Run %d, want 2", in2.Run)
	}
	failRun(f, in2, at(62*time.Minute), ev.ID)
	before2 := f.journal("a")
	t2 := at(2 * time.Hour)
	got = f.restart(&store.ControlParams{InstanceID: "a", FromStep: "charge", Now: t2, Params: json.RawMessage(`{"id":"a","v":2}`)})
	if got.Run != 3 || got.CustomStatus != "Reserved" || string(got.Params) != `{"id":"a","v":2}` {
		t.Errorf("after redrive from charge: run %d custom %q params %s; want run 3, %q, the new params", got.Run, got.CustomStatus, got.Params, "Reserved")
	}
	run2 := &store.Run{InstanceID: "a", Number: 2, StartedAt: t1, EndedAt: t2, Status: store.StatusErrored,
		Error: &store.ErrorInfo{Message: "erp down", Step: "notify"}, CustomStatus: "Charged", Params: json.RawMessage(`{"id":"a"}`),
		Restart: store.RunRestart{FromStep: "charge", Redrive: true, CustomStatus: "Reserved", Kept: []string{"reserve#1"}}, Steps: before2.Steps[1:]}
	if diff := cmp.Diff([]*store.Run{run1, run2}, f.runs("a"), ignoreStepInstance, cmpEmpty); diff != "" {
		t.Errorf("runs after the second restart (-want +got):\n%s", diff)
	}

	// 3. From the beginning: nothing is kept, the custom status is cleared.
	t3 := at(3 * time.Hour)
	got = f.restart(&store.ControlParams{InstanceID: "a", Now: t3})
	if got.Run != 4 || got.CustomStatus != "" || string(got.Params) != `{"id":"a","v":2}` {
		t.Errorf("after restart from the beginning: run %d custom %q params %s; want run 4, none, the redrive's params", got.Run, got.CustomStatus, got.Params)
	}
	if n := len(f.journal("a").Steps); n != 0 {
		t.Errorf("%d steps in the journal after restart from the beginning, want 0", n)
	}
	run3 := &store.Run{InstanceID: "a", Number: 3, StartedAt: t2, EndedAt: t3, Status: store.StatusQueued,
		CustomStatus: "Reserved", Params: json.RawMessage(`{"id":"a","v":2}`), Steps: before2.Steps[:1]}
	if diff := cmp.Diff([]*store.Run{run1, run2, run3}, f.runs("a"), ignoreStepInstance, cmpEmpty); diff != "" {
		t.Errorf("runs after the third restart (-want +got):\n%s", diff)
	}
}

// testRestartAllowCompensated: with AllowCompensated a restart from a step
// re-runs the kept steps whose compensation completed; kept steps whose
// compensation failed stay with their compensation state cleared.
func testRestartAllowCompensated(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	ev := f.send("a", "paid", `{}`, at(30*time.Second))
	step := func(name string, ord int, comp store.CompensationStatus) *store.Step {
		st := doneStep(name, ord, "", at(time.Minute))
		st.HasCompensation, st.CompensationStatus, st.CompensationAttempts = comp != store.CompNone, comp, 1
		if comp == store.CompFailed {
			st.CompensationError = &store.ErrorInfo{Message: "refund failed", Kind: store.ErrorKindCompensation}
		}
		return st
	}
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(2 * time.Minute),
		Steps:         []*store.Step{step("charge", 0, store.CompCompleted), step("email", 1, store.CompFailed), step("ship", 2, store.CompNone)},
		ConsumeEvents: []store.EventConsumption{{EventID: ev.ID, StepKey: "charge#1"}},
		State:         &store.StateChange{Status: store.StatusErrored, Error: &store.ErrorInfo{Message: "rolled back"}}, Release: true})

	_, err := f.s.InstanceControl(f.ctx, &store.ControlParams{InstanceID: "a", Action: store.ActionRestart, FromStep: "ship", Now: at(time.Hour)})
	wantErr(t, "restart from ship without AllowCompensated", err, store.ErrInvalidTransition)
	if runs := f.runs("a"); len(runs) != 0 {
		t.Errorf("refused restart recorded %d runs", len(runs))
	}

	got := f.restart(&store.ControlParams{InstanceID: "a", FromStep: "ship", AllowCompensated: true, Now: at(time.Hour)})
	if got.Run != 2 || got.Status != store.StatusQueued {
		t.Errorf("after restart: run %d status %s, want run 2 queued", got.Run, got.Status)
	}
	j := f.journal("a")
	if len(j.Steps) != 1 || j.Steps[0].Key != "email#1" {
		t.Fatalf("journal after restart: %d steps, want only email#1 (charge#1 re-runs)", len(j.Steps))
	}
	if e := j.Steps[0]; e.CompensationStatus != store.CompNone || e.CompensationError != nil || e.CompensationAttempts != 0 {
		t.Errorf("kept email#1: compensation %q error %v attempts %d; want it cleared", e.CompensationStatus, e.CompensationError, e.CompensationAttempts)
	}
	if j.Events[0].ConsumedBy != "" {
		t.Errorf("event of the re-run charge#1 still consumed by %q", j.Events[0].ConsumedBy)
	}
	runs := f.runs("a")
	if len(runs) != 1 {
		t.Fatalf("%d runs, want 1", len(runs))
	}
	var keys []string
	for _, st := range runs[0].Steps {
		keys = append(keys, st.Key)
	}
	if diff := cmp.Diff([]string{"charge#1", "ship#1"}, keys); diff != "" {
		t.Errorf("steps of run 1 (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"charge#1"}, runs[0].Restart.Compensated); diff != "" {
		t.Errorf("Restart.Compensated (-want +got):\n%s", diff)
	}
}
