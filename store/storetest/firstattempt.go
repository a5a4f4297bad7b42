package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// RunFirstAttempt checks that a backend keeps a step's first attempt on
// the step's row (store.FirstAttempt): attemptRows must count the rows of
// its attempts table. A step that succeeds at once adds no row, its retries
// and compensations do, a re-sent commit adds nothing, a later write of the
// step keeps its first attempt, and an attempt 1 recorded without its step
// keeps a row and still shows once.
func RunFirstAttempt(t *testing.T, s store.Store, attemptRows func(t *testing.T) int) {
	t.Helper()
	ctx := context.Background()
	in, err := s.InstanceCreate(ctx, &store.InstanceCreateParams{ID: "fa", Workflow: "wf", Params: []byte(`{}`), Now: at(0),
		Claim: &store.CreateClaim{Owner: "w", Token: "tok-fa", LeaseUntil: at(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	commit := func(u *store.Update) {
		t.Helper()
		u.InstanceID, u.LeaseToken = "fa", in.LeaseToken
		res, err := s.Commit(ctx, []*store.Update{u})
		if err != nil || res[0].Err != nil {
			t.Fatalf("Commit: %v %+v", err, res)
		}
	}
	att := func(n int, comp bool, msg string) store.Attempt {
		a := store.Attempt{Number: n, Compensation: comp, StartedAt: at(time.Duration(n)*time.Second + 7*time.Microsecond),
			FinishedAt: at(time.Duration(n)*time.Second + 250*time.Millisecond)}
		if msg != "" {
			a.Error = &store.ErrorInfo{Message: msg, Kind: store.ErrorKindStep}
		}
		return a
	}
	step := func(key string, ord int, status store.StepStatus, attempts int) *store.Step {
		st := &store.Step{Key: key, Name: key[:1], Seq: 1, Ordinal: ord, Kind: store.KindDo, Status: status, Attempts: attempts, StartedAt: at(time.Second)}
		if status == store.StepCompleted {
			st.FinishedAt = ptr(at(time.Duration(attempts)*time.Second + 250*time.Millisecond))
		}
		return st
	}
	wantRows := func(want int) {
		t.Helper()
		if got := attemptRows(t); got != want {
			t.Errorf("%d rows in the attempts table, want %d", got, want)
		}
	}

	// a#1 succeeds at once: no row.
	okA := func() *store.Update {
		return &store.Update{Now: at(time.Second), Steps: []*store.Step{step("a#1", 0, store.StepCompleted, 1)},
			Attempts: []store.AttemptRecord{{StepKey: "a#1", Attempt: att(1, false, "")}}}
	}
	commit(okA())
	commit(okA()) // sent again: its answer was lost
	wantRows(0)
	// b#1 fails once, then succeeds: the failure stays on the row, the
	// retry takes a row.
	commit(&store.Update{Now: at(2 * time.Second), Steps: []*store.Step{step("b#1", 1, store.StepRetrying, 1)},
		Attempts: []store.AttemptRecord{{StepKey: "b#1", Attempt: att(1, false, "boom")}}})
	commit(&store.Update{Now: at(3 * time.Second), Steps: []*store.Step{step("b#1", 1, store.StepCompleted, 2)},
		Attempts: []store.AttemptRecord{{StepKey: "b#1", Attempt: att(2, false, "")}}})
	wantRows(1)
	// a#1 is compensated: the step is written again without its first
	// attempt, which it keeps; the compensation takes a row.
	comp := step("a#1", 0, store.StepCompleted, 1)
	comp.HasCompensation, comp.CompensationStatus, comp.CompensationAttempts = true, store.CompCompleted, 1
	commit(&store.Update{Now: at(4 * time.Second), Steps: []*store.Step{comp},
		Attempts: []store.AttemptRecord{{StepKey: "a#1", Attempt: att(1, true, "")}}})
	wantRows(2)
	// c#1's attempt 1 comes without its step (a row), then again with it.
	commit(&store.Update{Now: at(5 * time.Second), Steps: []*store.Step{step("c#1", 2, store.StepRetrying, 0)}})
	commit(&store.Update{Now: at(6 * time.Second), Attempts: []store.AttemptRecord{{StepKey: "c#1", Attempt: att(1, false, "")}}})
	commit(&store.Update{Now: at(7 * time.Second), Steps: []*store.Step{step("c#1", 2, store.StepCompleted, 1)},
		Attempts: []store.AttemptRecord{{StepKey: "c#1", Attempt: att(1, false, "")}}})
	wantRows(3)

	j, err := s.JournalLoad(ctx, "fa")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]store.Attempt{
		"a#1": {att(1, false, ""), att(1, true, "")},
		"b#1": {att(1, false, "boom"), att(2, false, "")},
		"c#1": {att(1, false, "")},
	}
	if len(j.Steps) != len(want) {
		t.Fatalf("%d steps, want %d", len(j.Steps), len(want))
	}
	for _, st := range j.Steps {
		if diff := cmp.Diff(want[st.Key], st.History); diff != "" {
			t.Errorf("%s History (-want +got):\n%s", st.Key, diff)
		}
	}
}
