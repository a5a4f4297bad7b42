package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// testControlTransitions: every action from every status, allowed or
// ErrInvalidTransition, per the table in store.ControlAction's doc.
func testControlTransitions(t *testing.T, s suite) {
	allowed := map[store.ControlAction]map[store.InstanceStatus]store.InstanceStatus{
		store.ActionPause: {
			store.StatusQueued: store.StatusPaused, store.StatusRunning: store.StatusPaused, store.StatusWaiting: store.StatusPaused,
		},
		store.ActionResume: {store.StatusPaused: store.StatusQueued},
		store.ActionTerminate: {
			store.StatusQueued: store.StatusTerminated, store.StatusRunning: store.StatusTerminated,
			store.StatusWaiting: store.StatusTerminated, store.StatusPaused: store.StatusTerminated,
		},
		store.ActionRestart: {},
		store.ActionCancel: {
			store.StatusQueued: store.StatusQueued, store.StatusRunning: store.StatusQueued,
			store.StatusWaiting: store.StatusQueued, store.StatusPaused: store.StatusQueued,
		},
	}
	for _, st := range allStatuses {
		allowed[store.ActionRestart][st] = store.StatusQueued
	}
	now := at(time.Hour)
	for _, action := range []store.ControlAction{store.ActionPause, store.ActionResume, store.ActionTerminate, store.ActionRestart, store.ActionCancel} {
		for _, from := range allStatuses {
			to, ok := allowed[action][from]
			t.Run(string(action)+"/"+string(from), func(t *testing.T) {
				t.Parallel()
				f := s.setup(t)
				before := f.inStatus("a", from)
				got, err := f.control("a", action, "", now)
				if !ok {
					wantErr(t, "InstanceControl", err, store.ErrInvalidTransition)
					wantTransition(t, err, "a", string(action), from)
					if diff := cmp.Diff(before, f.get("a")); diff != "" {
						t.Errorf("refused action changed the instance (-before +after):\n%s", diff)
					}
					return
				}
				if err != nil {
					t.Fatalf("InstanceControl: %v", err)
				}
				if got.Status != to || !got.UpdatedAt.Equal(now) {
					t.Errorf("returned status %s updated %v, want %s at %v", got.Status, got.UpdatedAt, to, now)
				}
				if diff := cmp.Diff(got, f.get("a")); diff != "" {
					t.Errorf("returned instance differs from InstanceGet (-returned +get):\n%s", diff)
				}
				switch to {
				case store.StatusTerminated:
					wantTime(t, "FinishedAt", got.FinishedAt, &now)
				case store.StatusQueued:
					wantTime(t, "FinishedAt", got.FinishedAt, nil)
					if action == store.ActionCancel {
						if got.LeaseToken != before.LeaseToken || got.Rollback == nil {
							t.Errorf("cancel: lease token %q (was %q), rollback %+v; want the lease kept and a rollback", got.LeaseToken, before.LeaseToken, got.Rollback)
						}
						break
					}
					if got.LeaseToken != "" || got.LeaseOwner != "" || got.LeaseExpiresAt != nil {
						t.Errorf("lease kept on %s: %q %q %v", action, got.LeaseOwner, got.LeaseToken, got.LeaseExpiresAt)
					}
				}
				if (to == store.StatusPaused || to == store.StatusTerminated) && got.LeaseToken != before.LeaseToken {
					t.Errorf("%s changed the lease token (the worker learns of it from its heartbeat)", action)
				}
				claimable := to == store.StatusQueued
				if n := len(f.claim(&store.ClaimParams{Owner: "w", Limit: 1, Now: at(48 * time.Hour), LeaseUntil: at(49 * time.Hour)})); (n == 1) != claimable {
					t.Errorf("after %s: claimed %d, want claimable %v", action, n, claimable)
				}
			})
		}
	}
}

// testPauseRunning: pausing a running instance keeps its lease; the worker
// finds out from its heartbeat, records its last step, and releases.
func testPauseRunning(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	paused := f.mustControl("a", store.ActionPause, "", at(10*time.Second))
	if paused.LeaseToken != in.LeaseToken || paused.LeaseOwner != in.LeaseOwner || !deref(paused.LeaseExpiresAt).Equal(deref(in.LeaseExpiresAt)) {
		t.Errorf("pause changed the lease: %q %q %v", paused.LeaseOwner, paused.LeaseToken, paused.LeaseExpiresAt)
	}
	hb := f.heartbeat(at(time.Hour), at(20*time.Second), in.LeaseToken)
	if !hb[0].Held || hb[0].Status != store.StatusPaused || hb[0].InstanceID != "a" {
		t.Errorf("heartbeat = %+v, want held, paused", hb[0])
	}
	if got := f.claim(&store.ClaimParams{Owner: "w2", Limit: 1, Now: at(2 * time.Hour), LeaseUntil: at(3 * time.Hour)}); len(got) != 0 {
		t.Errorf("claimed a paused instance after its lease expired")
	}
	res := f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(30 * time.Second),
		Steps: []*store.Step{{Key: "s#1", Name: "s", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted, StartedAt: at(0)}},
		State: &store.StateChange{Status: store.StatusQueued}, Release: true})
	if res.Status != store.StatusPaused {
		t.Errorf("result Status = %s, want paused", res.Status)
	}
	got := f.get("a")
	if got.Status != store.StatusPaused || got.LeaseToken != "" {
		t.Errorf("after the worker's last commit: %s token %q, want paused and released", got.Status, got.LeaseToken)
	}
	f.mustControl("a", store.ActionResume, "", at(time.Minute))
	re := f.claimOne("wf-a", at(2*time.Minute), at(time.Hour))
	if re.Claims != 2 || len(f.journal("a").Steps) != 1 {
		t.Errorf("after resume: Claims %d, %d steps; want 2, 1", re.Claims, len(f.journal("a").Steps))
	}
}

// testTerminate: a terminated running instance keeps its lease until the
// worker notices; it is finished and never claimed again.
func testTerminate(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	got := f.mustControl("a", store.ActionTerminate, "", at(10*time.Second))
	wantTime(t, "FinishedAt", got.FinishedAt, ptr(at(10*time.Second)))
	hb := f.heartbeat(at(time.Hour), at(20*time.Second), in.LeaseToken)
	if !hb[0].Held || hb[0].Status != store.StatusTerminated {
		t.Errorf("heartbeat = %+v, want held, terminated", hb[0])
	}
	res := f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(30 * time.Second),
		State: &store.StateChange{Status: store.StatusComplete}, Release: true})
	if res.Status != store.StatusTerminated {
		t.Errorf("result Status = %s, want terminated", res.Status)
	}
	if got := f.claim(&store.ClaimParams{Owner: "w", Limit: 1, Now: at(48 * time.Hour), LeaseUntil: at(49 * time.Hour)}); len(got) != 0 {
		t.Errorf("claimed a terminated instance")
	}
	wantTime(t, "FinishedAt", f.get("a").FinishedAt, ptr(at(10*time.Second)))
}

// testResume: resuming an instance paused while running clears the old
// worker's lease, so only the next claim's worker can commit.
func testResume(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	f.mustControl("a", store.ActionPause, "", at(10*time.Second))
	got := f.mustControl("a", store.ActionResume, "", at(20*time.Second))
	if got.Status != store.StatusQueued || got.LeaseToken != "" {
		t.Errorf("resume: %s token %q, want queued with no lease", got.Status, got.LeaseToken)
	}
	res := f.commit(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(30 * time.Second)})
	wantErr(t, "Commit with the pre-pause token", res.Err, store.ErrLeaseLost)
	if hb := f.heartbeat(at(time.Hour), at(30*time.Second), in.LeaseToken); hb[0].Held {
		t.Errorf("the pre-pause lease is still held")
	}
	re := f.claimOne("wf-a", at(40*time.Second), at(time.Hour))
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: re.LeaseToken, Now: at(50 * time.Second)})
}

// journalFixture records on a running instance: steps reserve#1 (0),
// charge#1 (1), wait#1 (2), charge#2 (3), ship#1 (4) with attempts, events
// e[0] consumed by reserve#1, e[1] by wait#1, e[2] by charge#2, e[3] never,
// and a custom status. It returns the claimed instance and the events.
func journalFixture(f *fixture, id string) (*store.Instance, []*store.Event) {
	f.t.Helper()
	in := f.inStatus(id, store.StatusRunning)
	var evs []*store.Event
	for i, typ := range []string{"stock", "paid", "card", "note"} {
		evs = append(evs, f.send(id, typ, `{}`, at(time.Duration(i+2)*time.Second)))
	}
	step := func(name string, seq, ord int, comp store.CompensationStatus) *store.Step {
		return &store.Step{Key: name + "#" + string(rune('0'+seq)), Name: name, Seq: seq, Ordinal: ord, Kind: store.KindDo,
			Status: store.StepCompleted, Output: json.RawMessage(`{}`), Attempts: 1,
			HasCompensation: comp != store.CompNone, CompensationStatus: comp, StartedAt: at(time.Minute)}
	}
	attempt := func(key string) store.AttemptRecord {
		return store.AttemptRecord{StepKey: key, Attempt: store.Attempt{Number: 1, StartedAt: at(time.Minute), FinishedAt: at(time.Minute)}}
	}
	f.mustApply(&store.Update{
		InstanceID: id, LeaseToken: in.LeaseToken, Now: at(2 * time.Minute),
		Steps: []*store.Step{step("reserve", 1, 0, store.CompNone), step("charge", 1, 1, store.CompNone), step("wait", 1, 2, store.CompNone),
			step("charge", 2, 3, store.CompNone), step("ship", 1, 4, store.CompNone)},
		Attempts: []store.AttemptRecord{attempt("reserve#1"), attempt("charge#1"), attempt("charge#2"), attempt("ship#1")},
		ConsumeEvents: []store.EventConsumption{{EventID: evs[0].ID, StepKey: "reserve#1"}, {EventID: evs[1].ID, StepKey: "wait#1"},
			{EventID: evs[2].ID, StepKey: "charge#2"}},
		CustomStatus: ptr("charged"),
	})
	return in, evs
}

func testRestartFromBeginning(t *testing.T, s suite) {
	for _, final := range []store.InstanceStatus{store.StatusRunning, store.StatusErrored} {
		t.Run(string(final), func(t *testing.T) {
			t.Parallel()
			f := s.setup(t)
			in, evs := journalFixture(f, "a")
			if final == store.StatusErrored {
				f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(3 * time.Minute),
					State: &store.StateChange{Status: store.StatusErrored, Output: json.RawMessage(`1`), Error: &store.ErrorInfo{Message: "x"}}})
			}
			now := at(time.Hour)
			got := f.mustControl("a", store.ActionRestart, "", now)
			if got.Status != store.StatusQueued || got.Output != nil || got.Error != nil || got.CustomStatus != "" ||
				got.WakeAt != nil || got.FinishedAt != nil || got.LeaseToken != "" || got.LeaseOwner != "" || got.LeaseExpiresAt != nil {
				t.Errorf("after restart: %+v; want queued with output, error, custom status, wake time, finish time and lease cleared", got)
			}
			if got.ID != "a" || got.Workflow != "wf-a" || string(got.Params) != `{"id":"a"}` || !got.CreatedAt.Equal(createdAt) {
				t.Errorf("restart changed the instance's identity: %+v", got)
			}
			j := f.journal("a")
			if len(j.Steps) != 0 {
				t.Errorf("%d steps after restart from the beginning, want 0", len(j.Steps))
			}
			if len(j.Events) != len(evs) {
				t.Fatalf("%d events after restart, want %d (events are kept)", len(j.Events), len(evs))
			}
			for _, ev := range j.Events {
				if ev.ConsumedBy != "" {
					t.Errorf("event %d still consumed by %q", ev.ID, ev.ConsumedBy)
				}
			}
			res := f.commit(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: now})
			wantErr(t, "Commit with the pre-restart token", res.Err, store.ErrLeaseLost)
			// The new run records attempts afresh.
			re := f.claimOne("wf-a", now, at(2*time.Hour))
			f.mustApply(&store.Update{InstanceID: "a", LeaseToken: re.LeaseToken, Now: now,
				Steps:    []*store.Step{{Key: "charge#1", Name: "charge", Seq: 1, Kind: store.KindDo, Status: store.StepRetrying, StartedAt: now}},
				Attempts: []store.AttemptRecord{{StepKey: "charge#1", Attempt: store.Attempt{Number: 1, StartedAt: now, FinishedAt: now}}}})
			if h := f.journal("a").Steps[0].History; len(h) != 1 {
				t.Errorf("charge#1 has %d attempts after restart, want 1 (old ones deleted)", len(h))
			}
		})
	}
}

// testRestartFromStep: restarting from a step name deletes its first
// occurrence and every later step (by Ordinal), with their attempts, and
// un-consumes their events; earlier steps stay.
func testRestartFromStep(t *testing.T, s suite) {
	f := s.setup(t)
	in, evs := journalFixture(f, "a")
	before := f.journal("a")

	// From the last step: everything before it stays, with its history.
	f.mustControl("a", store.ActionRestart, "ship", at(30*time.Minute))
	if diff := cmp.Diff(before.Steps[:4], f.journal("a").Steps); diff != "" {
		t.Errorf("steps kept by a restart from ship (-want +got):\n%s", diff)
	}

	// From charge: its first occurrence (ordinal 1) and everything after,
	// whatever the keys' order, goes; reserve#1 stays.
	got := f.mustControl("a", store.ActionRestart, "charge", at(time.Hour))
	if got.Status != store.StatusQueued || got.LeaseToken != "" || got.CustomStatus != "" {
		t.Errorf("after restart: status %s token %q custom %q; want queued, no lease, no custom status", got.Status, got.LeaseToken, got.CustomStatus)
	}
	j := f.journal("a")
	if diff := cmp.Diff(before.Steps[:1], j.Steps); diff != "" {
		t.Errorf("kept steps (-want +got):\n%s", diff)
	}
	consumed := map[int64]string{}
	for _, ev := range j.Events {
		consumed[ev.ID] = ev.ConsumedBy
	}
	want := map[int64]string{evs[0].ID: "reserve#1", evs[1].ID: "", evs[2].ID: "", evs[3].ID: ""}
	if diff := cmp.Diff(want, consumed); diff != "" {
		t.Errorf("ConsumedBy after restart (-want +got):\n%s", diff)
	}
	res := f.commit(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Hour)})
	wantErr(t, "Commit with the pre-restart token", res.Err, store.ErrLeaseLost)

	// Restarting from the only remaining step empties the journal.
	f.mustControl("a", store.ActionRestart, "reserve", at(2*time.Hour))
	if j := f.journal("a"); len(j.Steps) != 0 || j.Events[0].ConsumedBy != "" {
		t.Errorf("after restart from reserve: %d steps, event 0 consumed by %q", len(j.Steps), j.Events[0].ConsumedBy)
	}
}

// testRestartCompensated: a restart that would keep a step whose
// compensation already completed is refused; one that re-runs it is not.
func testRestartCompensated(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	step := func(name string, ord int, comp store.CompensationStatus) *store.Step {
		return &store.Step{Key: name + "#1", Name: name, Seq: 1, Ordinal: ord, Kind: store.KindDo, Status: store.StepCompleted,
			HasCompensation: comp != store.CompNone, CompensationStatus: comp, StartedAt: at(time.Minute)}
	}
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(2 * time.Minute),
		Steps: []*store.Step{step("a", 0, store.CompFailed), step("b", 1, store.CompCompleted), step("c", 2, store.CompNone), step("d", 3, store.CompCompleted)},
		State: &store.StateChange{Status: store.StatusErrored, Error: &store.ErrorInfo{Message: "rolled back"}}, Release: true})
	before := f.get("a")

	_, err := f.control("a", store.ActionRestart, "c", at(time.Hour))
	wantErr(t, "restart from c (keeps compensated b)", err, store.ErrInvalidTransition)
	wantTransition(t, err, "a", string(store.ActionRestart), before.Status)
	if te, _ := errors.AsType[*store.TransitionError](err); te.Reason == "" {
		t.Errorf("refused restart: TransitionError without a Reason: %v", te)
	}
	if diff := cmp.Diff(before, f.get("a")); diff != "" {
		t.Errorf("refused restart changed the instance (-before +after):\n%s", diff)
	}
	if n := len(f.journal("a").Steps); n != 4 {
		t.Errorf("refused restart left %d steps, want 4", n)
	}
	// From b: only a is kept, and its compensation failed rather than
	// completed.
	f.mustControl("a", store.ActionRestart, "b", at(time.Hour))
	j := f.journal("a")
	if len(j.Steps) != 1 || j.Steps[0].Key != "a#1" {
		t.Errorf("after restart from b: %d steps, want only a#1", len(j.Steps))
	}
}

func testRestartUnknownStep(t *testing.T, s suite) {
	f := s.setup(t)
	journalFixture(f, "a")
	before := f.get("a")
	_, err := f.control("a", store.ActionRestart, "refund", at(time.Hour))
	wantErr(t, "restart from an unknown step", err, store.ErrNotFound)
	var se *store.Error
	if !errors.As(err, &se) || se.Message != `instance "a" has no step "refund" to restart from` {
		t.Errorf("restart from an unknown step: %v, want a *store.Error naming the instance and step", err)
	}
	// Keys are not names.
	_, err = f.control("a", store.ActionRestart, "charge#1", at(time.Hour))
	wantErr(t, "restart from a step key", err, store.ErrNotFound)
	if diff := cmp.Diff(before, f.get("a")); diff != "" {
		t.Errorf("failed restart changed the instance (-before +after):\n%s", diff)
	}
	if n := len(f.journal("a").Steps); n != 5 {
		t.Errorf("failed restart left %d steps, want 5", n)
	}
}

// wantTransition fails unless err is a *store.TransitionError for op on
// instance id in status, whose message starts with the instance and its
// status, and returns it.
func wantTransition(t *testing.T, err error, id, op string, status store.InstanceStatus) {
	t.Helper()
	var te *store.TransitionError
	if !errors.As(err, &te) {
		t.Fatalf("error %v is not a *store.TransitionError", err)
	}
	if te.InstanceID != id || te.Op != op || te.Status != status {
		t.Errorf("TransitionError = %+v, want instance %q, op %q, status %s", te, id, op, status)
	}
	if prefix := fmt.Sprintf("instance %q is %s: ", id, status); !strings.HasPrefix(te.Error(), prefix) {
		t.Errorf("TransitionError message %q does not start with %q", te.Error(), prefix)
	}
}
