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
	wantQ := &store.Instance{ID: "queued", Workflow: "new", Status: store.StatusQueued, Params: json.RawMessage(`{"id":"queued"}`), CreatedAt: now, UpdatedAt: now, Run: 1}
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
