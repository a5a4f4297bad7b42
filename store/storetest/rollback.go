package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// testCancelRunning: cancelling a running instance keeps its lease; the
// worker sees it queued in its heartbeat and commit results, its state
// change is dropped (its steps are kept), and once it releases, a claim
// takes the instance with the rollback, which ends it cancelled.
func testCancelRunning(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	got, err := f.s.InstanceControl(f.ctx, &store.ControlParams{InstanceID: "a", Action: store.ActionCancel,
		Reason: "customer asked", Now: at(10 * time.Second)})
	if err != nil {
		t.Fatalf("cancel: %v", err)
	}
	rb := got.Rollback
	if got.Status != store.StatusQueued || got.LeaseToken != in.LeaseToken || rb == nil ||
		rb.Status != store.StatusCancelled || rb.Cause == nil || rb.Cause.Kind != store.ErrorKindCancelled ||
		!strings.Contains(rb.Cause.Message, "customer asked") || !rb.At.Equal(at(10*time.Second)) {
		t.Fatalf("after cancel: status %s token %q rollback %+v", got.Status, got.LeaseToken, rb)
	}
	if _, err := f.control("a", store.ActionCancel, "", at(11*time.Second)); err == nil {
		t.Errorf("second cancel accepted")
	} else {
		wantErr(t, "second cancel", err, store.ErrInvalidTransition)
	}
	hb := f.heartbeat(at(time.Hour), at(20*time.Second), in.LeaseToken)
	if !hb[0].Held || hb[0].Status != store.StatusQueued {
		t.Errorf("heartbeat = %+v, want held, queued", hb[0])
	}
	res := f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(30 * time.Second),
		Steps: []*store.Step{{Key: "s#1", Name: "s", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted,
			HasCompensation: true, StartedAt: at(0)}},
		State: &store.StateChange{Status: store.StatusComplete}, Release: true})
	if res.Status != store.StatusQueued {
		t.Errorf("old worker's commit: status %s, want queued", res.Status)
	}
	if got := f.get("a"); got.Status != store.StatusQueued || got.LeaseToken != "" || got.Rollback == nil || got.FinishedAt != nil {
		t.Fatalf("after the old worker released: %s token %q rollback %+v finished %v", got.Status, got.LeaseToken, got.Rollback, got.FinishedAt)
	}
	re := f.claimOne("wf-a", at(time.Minute), at(time.Hour))
	if re.Rollback == nil || re.Rollback.Status != store.StatusCancelled || len(f.journal("a").Steps) != 1 {
		t.Fatalf("claimed: rollback %+v, %d steps", re.Rollback, len(f.journal("a").Steps))
	}
	// Waiting for a compensation retry keeps the rollback.
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: re.LeaseToken, Now: at(time.Minute),
		State: &store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(at(2 * time.Minute))}, Release: true})
	re = f.claimOne("wf-a", at(3*time.Minute), at(time.Hour))
	if re.Rollback == nil {
		t.Fatalf("the rollback was lost while waiting")
	}
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: re.LeaseToken, Now: at(4 * time.Minute),
		State: &store.StateChange{Status: store.StatusCancelled, Error: re.Rollback.Cause}, Release: true})
	end := f.get("a")
	if end.Status != store.StatusCancelled || end.Rollback != nil || end.Error == nil || end.Error.Kind != store.ErrorKindCancelled {
		t.Errorf("ended: %s rollback %+v error %+v", end.Status, end.Rollback, end.Error)
	}
	wantTime(t, "FinishedAt", end.FinishedAt, ptr(at(4*time.Minute)))
	_, err = f.control("a", store.ActionCancel, "", at(5*time.Minute))
	wantErr(t, "cancel of a cancelled instance", err, store.ErrInvalidTransition)
	wantTransition(t, err, "a", string(store.ActionCancel), store.StatusCancelled)
}

// testCancelCleared: terminate and restart drop a pending rollback.
func testCancelCleared(t *testing.T, s suite) {
	f := s.setup(t)
	for _, action := range []store.ControlAction{store.ActionTerminate, store.ActionRestart} {
		id := "x-" + string(action)
		f.inStatus(id, store.StatusWaiting)
		f.mustControl(id, store.ActionCancel, "", at(time.Minute))
		if got := f.mustControl(id, action, "", at(2*time.Minute)); got.Rollback != nil {
			t.Errorf("%s kept the rollback %+v", action, got.Rollback)
		}
	}
}

// failedCompensation drives instance id to status (errored or cancelled)
// with two compensated steps: "a#1" whose compensation completed and
// "b#1" whose compensation failed for good after 3 attempts.
func (f *fixture) failedCompensation(id string, status store.InstanceStatus) {
	f.t.Helper()
	f.create(id, "wf-"+id, createdAt)
	in := f.claimOne("wf-"+id, claimedAt, leaseUntil)
	compErr := &store.ErrorInfo{Message: "refund refused", Kind: store.ErrorKindCompensation, Step: "b"}
	f.mustApply(&store.Update{InstanceID: id, LeaseToken: in.LeaseToken, Now: settledAt,
		Steps: []*store.Step{
			{Key: "a#1", Name: "a", Seq: 1, Ordinal: 0, Kind: store.KindDo, Status: store.StepCompleted,
				HasCompensation: true, CompensationStatus: store.CompCompleted, CompensationAttempts: 1, StartedAt: createdAt},
			{Key: "b#1", Name: "b", Seq: 1, Ordinal: 1, Kind: store.KindDo, Status: store.StepCompleted,
				HasCompensation: true, CompensationStatus: store.CompFailed, CompensationAttempts: 3,
				CompensationError: compErr, StartedAt: createdAt},
		},
		State: &store.StateChange{Status: status, Error: &store.ErrorInfo{Message: "boom", Kind: store.ErrorKindWorkflow,
			Compensations: []store.ErrorInfo{*compErr}}}, Release: true})
}

func (f *fixture) compAction(id string, action store.ControlAction, key string, now time.Time) (*store.Instance, error) {
	return f.s.InstanceControl(f.ctx, &store.ControlParams{InstanceID: id, Action: action, StepKey: key,
		Reason: "done in the processor's console", Now: now,
		Audit: &store.Action{At: now, Actor: "ops", Action: string(action), InstanceID: id}})
}

func (f *fixture) step(id, key string) *store.Step {
	f.t.Helper()
	for _, st := range f.journal(id).Steps {
		if st.Key == key {
			return st
		}
	}
	f.t.Fatalf("instance %q has no step %q", id, key)
	return nil
}

// testCompensationActions: retry, done and skip of a compensation that
// failed for good; refused on other steps and statuses.
func testCompensationActions(t *testing.T, s suite) {
	cases := []struct {
		action store.ControlAction
		status store.InstanceStatus
		want   store.CompensationStatus
		verb   string
	}{
		{store.ActionCompensationRetry, store.StatusErrored, store.CompRetrying, "retried by ops"},
		{store.ActionCompensationDone, store.StatusCancelled, store.CompCompleted, "marked done by ops"},
		{store.ActionCompensationSkip, store.StatusErrored, store.CompSkipped, "skipped by ops"},
	}
	for _, tc := range cases {
		t.Run(string(tc.action), func(t *testing.T) {
			t.Parallel()
			f := s.setup(t)
			f.failedCompensation("i", tc.status)
			now := at(time.Hour)
			_, err := f.compAction("i", tc.action, "a#1", now)
			wantErr(t, "action on a compensation that completed", err, store.ErrInvalidTransition)
			_, err = f.compAction("i", tc.action, "zz#1", now)
			wantErr(t, "action on an unknown step", err, store.ErrNotFound)
			got, err := f.compAction("i", tc.action, "b#1", now)
			if err != nil {
				t.Fatalf("%s: %v", tc.action, err)
			}
			if got.Status != store.StatusQueued || got.FinishedAt != nil || got.Rollback == nil ||
				got.Rollback.Status != tc.status || got.Rollback.Cause == nil || got.Rollback.Cause.Message != "boom" ||
				len(got.Rollback.Cause.Compensations) != 0 {
				t.Fatalf("instance after %s: %s finished %v rollback %+v", tc.action, got.Status, got.FinishedAt, got.Rollback)
			}
			st := f.step("i", "b#1")
			if st.CompensationStatus != tc.want || !strings.HasPrefix(st.CompensationNote, tc.verb) ||
				!strings.HasSuffix(st.CompensationNote, ": done in the processor's console") {
				t.Errorf("step: %s note %q, want %s %q", st.CompensationStatus, st.CompensationNote, tc.want, tc.verb)
			}
			if tc.action == store.ActionCompensationRetry {
				if st.CompensationBase != 3 || st.CompensationAttempts != 3 {
					t.Errorf("retry: base %d attempts %d, want 3, 3", st.CompensationBase, st.CompensationAttempts)
				}
				wantTime(t, "CompensationNextAt", st.CompensationNextAt, &now)
			}
			// Still rolling back: refused until the instance ends again.
			_, err = f.compAction("i", tc.action, "b#1", now)
			wantErr(t, "action while rolling back", err, store.ErrInvalidTransition)
			re := f.claimOne("wf-i", at(2*time.Hour), at(3*time.Hour))
			if re.Rollback == nil {
				t.Fatalf("claimed without the rollback")
			}
			// The engine's upsert of the step keeps the operator's note.
			st.CompensationStatus = store.CompCompleted
			f.mustApply(&store.Update{InstanceID: "i", LeaseToken: re.LeaseToken, Now: at(2 * time.Hour),
				Steps: []*store.Step{st}, State: &store.StateChange{Status: tc.status, Error: re.Rollback.Cause}, Release: true})
			end := f.get("i")
			if end.Status != tc.status || end.Rollback != nil || end.FinishedAt == nil {
				t.Errorf("ended: %s rollback %+v finished %v", end.Status, end.Rollback, end.FinishedAt)
			}
			if st := f.step("i", "b#1"); st.CompensationNote == "" {
				t.Errorf("the note was lost")
			}
		})
	}
}

// testCompensationActionStatus: compensation actions need an errored or
// cancelled instance.
func testCompensationActionStatus(t *testing.T, s suite) {
	for _, from := range allStatuses {
		if from == store.StatusErrored || from == store.StatusCancelled {
			continue
		}
		t.Run(string(from), func(t *testing.T) {
			t.Parallel()
			f := s.setup(t)
			f.inStatus("a", from)
			_, err := f.compAction("a", store.ActionCompensationSkip, "s#1", at(time.Hour))
			wantErr(t, "skip", err, store.ErrInvalidTransition)
			wantTransition(t, err, "a", string(store.ActionCompensationSkip), from)
		})
	}
}

// testWebhookCancelled: an instance that ends cancelled reports
// instance.cancelled.
func testWebhookCancelled(t *testing.T, s suite) {
	f := s.setup(t)
	f.webhook("h", store.WebhookInstanceCancelled)
	f.inStatus("i1", store.StatusCancelled)
	wantSummaries(t, "deliveries", f.deliverAll(at(time.Hour)), "h/i1/instance.cancelled/")
}

// testCancelAfterCompletion: a cancel with AfterCompletion reopens a
// complete instance for its rollback; other finished statuses stay refused.
func testCancelAfterCompletion(t *testing.T, s suite) {
	f := s.setup(t)
	f.inStatus("done", store.StatusComplete)
	f.inStatus("failed", store.StatusErrored)
	p := &store.ControlParams{InstanceID: "failed", Action: store.ActionCancel, AfterCompletion: true, Now: at(time.Hour)}
	_, err := f.s.InstanceControl(f.ctx, p)
	wantErr(t, "cancel of an errored instance after completion", err, store.ErrInvalidTransition)
	p.InstanceID = "done"
	got, err := f.s.InstanceControl(f.ctx, p)
	if err != nil {
		t.Fatalf("cancel after completion: %v", err)
	}
	if got.Status != store.StatusQueued || got.FinishedAt != nil || got.Rollback == nil || got.Rollback.Status != store.StatusCancelled {
		t.Errorf("after cancel: %s finished %v rollback %+v", got.Status, got.FinishedAt, got.Rollback)
	}
	if re := f.claimOne("wf-done", at(2*time.Hour), at(3*time.Hour)); re.Rollback == nil {
		t.Errorf("claimed without its rollback")
	}
}
