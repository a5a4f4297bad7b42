package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// testClaimVersions: a claim with Versions takes only the instances of
// those versions or of none, records its Version on those that had none,
// and leaves the others to a claimer that runs their version.
func testClaimVersions(t *testing.T, s suite) {
	f := s.setup(t)
	now := at(time.Hour)
	lease := now.Add(time.Minute)
	// started drives an instance to waiting, due, after a claim by version v.
	started := func(id, v string) {
		f.create(id, "wf", at(0))
		got := f.claim(&store.ClaimParams{Owner: "w0", Limit: 1, Now: at(time.Second), LeaseUntil: at(time.Minute),
			Versions: []string{v}, Version: v})
		if len(got) != 1 || got[0].ID != id || got[0].Version != v {
			t.Fatalf("claim of %s by version %q: %+v", id, v, got)
		}
		f.mustApply(&store.Update{InstanceID: id, LeaseToken: got[0].LeaseToken, Now: at(2 * time.Second),
			State: &store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(at(3 * time.Second))}, Release: true})
	}
	started("v1-a", "v1")
	started("v2-a", "v2")
	started("none", "") // an unversioned engine records no version
	if _, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "v2-claimed", Workflow: "wf", Now: at(0),
		Claim: &store.CreateClaim{Owner: "w0", Token: "tok", LeaseUntil: at(time.Minute), Version: "v2"}}); err != nil {
		t.Fatal(err)
	}
	f.create("queued", "wf", at(10*time.Second))

	if in := f.get("v2-claimed"); in.Version != "v2" {
		t.Errorf("claimed create: Version %q, want v2", in.Version)
	}
	got := f.claim(&store.ClaimParams{Owner: "w1", Limit: 100, Now: now, LeaseUntil: lease,
		Versions: []string{"v1", "v3"}, Version: "v3"})
	gotIDs := ids(got)
	slices.Sort(gotIDs)
	if diff := cmp.Diff([]string{"none", "queued", "v1-a"}, gotIDs); diff != "" {
		t.Errorf("claim by v1, v3 (-want +got):\n%s", diff)
	}
	for _, in := range got {
		want := map[string]string{"none": "v3", "queued": "v3", "v1-a": "v1"}[in.ID]
		if in.Version != want {
			t.Errorf("%s claimed by v3: Version %q, want %q", in.ID, in.Version, want)
		}
		if st := f.get(in.ID); st.Version != want {
			t.Errorf("%s stored: Version %q, want %q", in.ID, st.Version, want)
		}
	}
	got = f.claim(&store.ClaimParams{Owner: "w2", Limit: 100, Now: now, LeaseUntil: lease, Versions: []string{}, Version: ""})
	if len(got) != 0 {
		t.Errorf("claim with no versions took %v; only instances of no version may be", ids(got))
	}
	got = f.claim(&store.ClaimParams{Owner: "w2", Limit: 100, Now: now, LeaseUntil: lease, Versions: []string{"v2"}, Version: "v2"})
	gotIDs = ids(got)
	slices.Sort(gotIDs)
	if diff := cmp.Diff([]string{"v2-a", "v2-claimed"}, gotIDs); diff != "" {
		t.Errorf("claim by v2 (-want +got):\n%s", diff)
	}

	// A restart that keeps steps keeps the version that recorded them;
	// one that keeps none clears it.
	for _, in := range got {
		step := func(name string, ord int) *store.Step {
			return &store.Step{Key: name + "#1", Name: name, Seq: 1, Ordinal: ord, Kind: store.KindDo,
				Status: store.StepCompleted, Output: []byte(`1`), Attempts: 1, StartedAt: now, FinishedAt: ptr(now)}
		}
		f.mustApply(&store.Update{InstanceID: in.ID, LeaseToken: in.LeaseToken, Now: now,
			Steps: []*store.Step{step("first", 0), step("second", 1)}})
	}
	for id, from := range map[string]string{"v2-a": "second", "v2-claimed": ""} {
		f.mustControl(id, store.ActionRestart, from, now.Add(time.Second))
		want := map[string]string{"second": "v2", "": ""}[from]
		if in := f.get(id); in.Version != want {
			t.Errorf("%s restarted from %q: Version %q, want %q", id, from, in.Version, want)
		}
	}
}

// testUnfinishedWorkflows: the unfinished instances counted by workflow,
// sorted by name; finished ones are not counted.
func testUnfinishedWorkflows(t *testing.T, s suite) {
	f := s.setup(t)
	wc, ok := f.s.(store.WorkflowCounter)
	if !ok {
		t.Skip("the store does not count workflows")
	}
	f.create("b1", "b", at(0))
	f.create("b2", "b", at(0))
	f.create("a1", "a", at(0))
	f.inStatus("done", store.StatusComplete)
	f.claimOne("a", at(time.Second), at(time.Minute))
	got, truncated, err := wc.UnfinishedWorkflows(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []store.WorkflowCount{{Workflow: "a", Count: 1}, {Workflow: "b", Count: 2}}
	if diff := cmp.Diff(want, got); diff != "" || truncated {
		t.Errorf("counts (-want +got), truncated %v:\n%s", truncated, diff)
	}
}
