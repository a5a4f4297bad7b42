package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// t0 is the base of every time the suite passes: the stores never read the
// wall clock when given a time.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// at returns t0 + d.
func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

// fixture is one test's store with helpers that fail the test on error.
type fixture struct {
	t   *testing.T
	s   store.Store
	ctx context.Context
}

func (f *fixture) create(id, workflow string, now time.Time) *store.Instance {
	f.t.Helper()
	in, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{
		ID: id, Workflow: workflow, Params: json.RawMessage(`{"id":"` + id + `"}`), Now: now,
	})
	if err != nil {
		f.t.Fatalf("InstanceCreate %q: %v", id, err)
	}
	return in
}

func (f *fixture) get(id string) *store.Instance {
	f.t.Helper()
	in, err := f.s.InstanceGet(f.ctx, id)
	if err != nil {
		f.t.Fatalf("InstanceGet %q: %v", id, err)
	}
	return in
}

func (f *fixture) claim(p *store.ClaimParams) []*store.Instance {
	f.t.Helper()
	got, err := f.s.InstanceClaim(f.ctx, p)
	if err != nil {
		f.t.Fatalf("InstanceClaim: %v", err)
	}
	return got
}

// claimOne claims the one runnable instance of workflow at now, leased
// until leaseUntil, and fails unless exactly one was claimed.
func (f *fixture) claimOne(workflow string, now, leaseUntil time.Time) *store.Instance {
	f.t.Helper()
	got := f.claim(&store.ClaimParams{
		Owner: "worker-1", Limit: 10, Now: now, LeaseUntil: leaseUntil, Workflows: []string{workflow},
	})
	if len(got) != 1 {
		f.t.Fatalf("InstanceClaim %s at %v: claimed %d instances, want 1", workflow, now, len(got))
	}
	return got[0]
}

// commit commits one update and returns its result.
func (f *fixture) commit(u *store.Update) store.UpdateResult {
	f.t.Helper()
	res := f.commitAll(u)
	return res[0]
}

// commitAll commits updates in one call and fails on a batch error.
func (f *fixture) commitAll(updates ...*store.Update) []store.UpdateResult {
	f.t.Helper()
	res, err := f.s.Commit(f.ctx, updates)
	if err != nil {
		f.t.Fatalf("Commit: %v", err)
	}
	if len(res) != len(updates) {
		f.t.Fatalf("Commit returned %d results for %d updates", len(res), len(updates))
	}
	return res
}

// mustApply commits one update and fails unless it applied.
func (f *fixture) mustApply(u *store.Update) store.UpdateResult {
	f.t.Helper()
	res := f.commit(u)
	if res.Err != nil {
		f.t.Fatalf("Commit %s: %v", u.InstanceID, res.Err)
	}
	return res
}

func (f *fixture) journal(id string) *store.Journal {
	f.t.Helper()
	j, err := f.s.JournalLoad(f.ctx, id)
	if err != nil {
		f.t.Fatalf("JournalLoad %q: %v", id, err)
	}
	return j
}

func (f *fixture) control(id string, action store.ControlAction, fromStep string, now time.Time) (*store.Instance, error) {
	return f.s.InstanceControl(f.ctx, &store.ControlParams{InstanceID: id, Action: action, FromStep: fromStep, Now: now})
}

func (f *fixture) mustControl(id string, action store.ControlAction, fromStep string, now time.Time) *store.Instance {
	f.t.Helper()
	in, err := f.control(id, action, fromStep, now)
	if err != nil {
		f.t.Fatalf("InstanceControl %s %s: %v", id, action, err)
	}
	return in
}

func (f *fixture) send(id, typ, payload string, now time.Time) *store.Event {
	f.t.Helper()
	var raw json.RawMessage // "" sends no payload
	if payload != "" {
		raw = json.RawMessage(payload)
	}
	ev, err := f.s.EventSend(f.ctx, &store.EventSendParams{InstanceID: id, Type: typ, Payload: raw, Now: now})
	if err != nil {
		f.t.Fatalf("EventSend %s to %q: %v", typ, id, err)
	}
	return ev
}

func (f *fixture) heartbeat(until, now time.Time, tokens ...string) []store.HeartbeatResult {
	f.t.Helper()
	res, err := f.s.InstanceHeartbeat(f.ctx, &store.HeartbeatParams{Tokens: tokens, LeaseUntil: until, Now: now})
	if err != nil {
		f.t.Fatalf("InstanceHeartbeat: %v", err)
	}
	if len(res) != len(tokens) {
		f.t.Fatalf("InstanceHeartbeat returned %d results for %d tokens", len(res), len(tokens))
	}
	return res
}

// Lifecycle times used by inStatus.
var (
	createdAt  = at(0)
	claimedAt  = at(time.Second)
	leaseUntil = at(time.Minute)
	settledAt  = at(2 * time.Second)
	wakeAt     = at(time.Hour)
)

// inStatus creates instance id (workflow "wf-"+id) and drives it to status
// through the public API: queued (created at createdAt), running (claimed
// at claimedAt, leased until leaseUntil), waiting (WakeAt wakeAt, lease
// released), paused (from queued), complete, errored, terminated (from
// queued). Every transition after the claim happens at settledAt.
func (f *fixture) inStatus(id string, status store.InstanceStatus) *store.Instance {
	f.t.Helper()
	wf := "wf-" + id
	f.create(id, wf, createdAt)
	switch status {
	case store.StatusQueued:
		return f.get(id)
	case store.StatusPaused:
		return f.mustControl(id, store.ActionPause, "", settledAt)
	case store.StatusTerminated:
		return f.mustControl(id, store.ActionTerminate, "", settledAt)
	case store.StatusCancelled:
		f.mustControl(id, store.ActionCancel, "", createdAt)
	}
	in := f.claimOne(wf, claimedAt, leaseUntil)
	var sc *store.StateChange
	switch status {
	case store.StatusRunning:
		in.DueAt = nil // the claim's answer only, not what InstanceGet reads
		return in
	case store.StatusWaiting:
		sc = &store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(wakeAt)}
	case store.StatusComplete:
		sc = &store.StateChange{Status: store.StatusComplete, Output: json.RawMessage(`"done"`)}
	case store.StatusErrored:
		sc = &store.StateChange{Status: store.StatusErrored, Error: &store.ErrorInfo{Message: "boom", Kind: "workflow"}}
	case store.StatusCancelled:
		sc = &store.StateChange{Status: store.StatusCancelled, Error: in.Rollback.Cause}
	default:
		f.t.Fatalf("inStatus: unknown status %q", status)
	}
	f.mustApply(&store.Update{InstanceID: id, LeaseToken: in.LeaseToken, Now: settledAt, State: sc, Release: true})
	got := f.get(id)
	if got.Status != status {
		f.t.Fatalf("inStatus %s: status %s, want %s", id, got.Status, status)
	}
	return got
}

// allStatuses lists every instance status.
var allStatuses = []store.InstanceStatus{
	store.StatusQueued, store.StatusRunning, store.StatusWaiting, store.StatusPaused,
	store.StatusComplete, store.StatusErrored, store.StatusTerminated, store.StatusCancelled,
}

// wantErr fails unless errors.Is(err, target) (target nil: err nil).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("%s: unexpected error %v", what, err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

// ids returns the IDs of instances, in order.
func ids(ins []*store.Instance) []string {
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = in.ID
	}
	return out
}
