package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// testTraceContext: the trace context an instance is created with is
// stored with it, whichever way it is created (InstanceCreate, a Commit's
// Create, claimed or not), and read back by InstanceGet, InstanceList and
// InstanceClaim; without one it stays nil, and a malformed one is refused.
func testTraceContext(t *testing.T, s suite) {
	f := s.setup(t)
	now := at(time.Second)
	tc := func(span string) *store.TraceContext {
		return &store.TraceContext{Parent: "00-4bf92f3577b34da6a3ce929d0e0e4736-" + span + "-01", State: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}
	}
	direct, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "direct", Workflow: "wf", Now: now, Trace: tc("00f067aa0ba902b7")})
	if err != nil {
		t.Fatalf("InstanceCreate: %v", err)
	}
	if diff := cmp.Diff(tc("00f067aa0ba902b7"), direct.Trace); diff != "" {
		t.Errorf("InstanceCreate's Trace (-want +got):\n%s", diff)
	}
	noState := &store.TraceContext{Parent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}
	f.commitAll(
		&store.Update{InstanceID: "queued", Create: &store.InstanceCreateParams{ID: "queued", Workflow: "other", Now: now, Trace: noState}},
		&store.Update{InstanceID: "claimed", LeaseToken: "tok-c", Now: now, Create: &store.InstanceCreateParams{ID: "claimed",
			Workflow: "wf", Now: now, Trace: tc("1111111111111111"), Claim: &store.CreateClaim{Owner: "e1", Token: "tok-c", LeaseUntil: at(time.Hour)}}},
		&store.Update{InstanceID: "plain", Create: &store.InstanceCreateParams{ID: "plain", Workflow: "wf", Now: now}},
	)
	want := map[string]*store.TraceContext{"direct": tc("00f067aa0ba902b7"), "queued": noState, "claimed": tc("1111111111111111"), "plain": nil}
	for id, w := range want {
		if diff := cmp.Diff(w, f.get(id).Trace); diff != "" {
			t.Errorf("InstanceGet(%s).Trace (-want +got):\n%s", id, diff)
		}
	}
	page, err := f.s.InstanceList(f.ctx, &store.InstanceListParams{})
	if err != nil {
		t.Fatalf("InstanceList: %v", err)
	}
	for _, in := range page.Instances {
		if diff := cmp.Diff(want[in.ID], in.Trace); diff != "" {
			t.Errorf("InstanceList: %s's Trace (-want +got):\n%s", in.ID, diff)
		}
	}
	// A worker that claims the instance later learns its trace context.
	if got := f.claimOne("other", at(time.Minute), at(time.Hour)); cmp.Diff(noState, got.Trace) != "" {
		t.Errorf("InstanceClaim's Trace = %+v, want %+v", got.Trace, noState)
	}

	for name, bad := range map[string]*store.TraceContext{
		"empty":           {},
		"version ff":      {Parent: "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
		"upper case":      {Parent: "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"},
		"zero trace id":   {Parent: "00-00000000000000000000000000000000-00f067aa0ba902b7-01"},
		"zero span id":    {Parent: "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01"},
		"too long":        {Parent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-"},
		"state too long":  {Parent: tc("00f067aa0ba902b7").Parent, State: strings.Repeat("a", store.MaxTraceStateBytes+1)},
		"state not ASCII": {Parent: tc("00f067aa0ba902b7").Parent, State: "k=v\n"},
	} {
		id := "bad-" + strings.ReplaceAll(name, " ", "-")
		if _, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: id, Workflow: "wf", Now: now, Trace: bad}); err == nil {
			t.Errorf("%s: InstanceCreate with Trace %+v succeeded, want an error", name, bad)
		}
		if _, err := f.s.InstanceGet(f.ctx, id); err == nil {
			t.Errorf("%s: a refused create left instance %s", name, id)
		}
	}
	// A trace state of exactly the limit is kept whole.
	long := &store.TraceContext{Parent: tc("2222222222222222").Parent, State: strings.Repeat("a", store.MaxTraceStateBytes)}
	if _, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "long", Workflow: "wf", Now: now, Trace: long}); err != nil {
		t.Fatalf("InstanceCreate with a %d-byte tracestate: %v", store.MaxTraceStateBytes, err)
	}
	if diff := cmp.Diff(long, f.get("long").Trace); diff != "" {
		t.Errorf("long tracestate (-want +got):\n%s", diff)
	}
}
