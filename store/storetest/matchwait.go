package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// matchBackend is a store with matched waits.
type matchBackend interface {
	store.Store
	store.PublishStore
	store.MatchStore
}

// RunMatchWaits runs the store.MatchStore suite; open must return a new,
// empty store implementing store.PublishStore and store.MatchStore.
func RunMatchWaits(t *testing.T, open func(t *testing.T) store.Store) {
	runCapability(t, open, []capabilityTest[matchBackend]{
		{"LookBack", testMatchLookBack},
		{"Publish", testMatchPublish},
		{"Fence", testMatchFence},
	})
}

func orderMatch(order string) store.EventMatch {
	return store.EventMatch{Type: "paid", Fields: map[string]json.RawMessage{"orderId": json.RawMessage(`"` + order + `"`)}}
}

func publishPaid(t *testing.T, s matchBackend, id, typ, order string, now time.Time) {
	t.Helper()
	if _, _, err := s.EventPublish(t.Context(), &store.EventPublishParams{ID: id, Type: typ,
		Payload: json.RawMessage(`{"orderId":"` + order + `"}`), Now: now}); err != nil {
		t.Fatalf("EventPublish %s: %v", id, err)
	}
}

// payloads returns the payloads of an instance's events.
func payloads(f *fixture, id string) []string {
	f.t.Helper()
	var out []string
	for _, ev := range f.journal(id).Events {
		out = append(out, string(ev.Payload))
	}
	return out
}

// testMatchLookBack: a wait that begins copies the matching events of its
// type published inside the window, each once.
func testMatchLookBack(t *testing.T, s matchBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	publishPaid(t, s, "old-b", "paid", "B", at(-time.Hour)) // before the window
	publishPaid(t, s, "a", "paid", "A", at(time.Second))
	publishPaid(t, s, "b", "paid", "B", at(2*time.Second))
	publishPaid(t, s, "ship-b", "shipped", "B", at(3*time.Second))
	in := f.inStatus("w", store.StatusRunning)
	p := &store.WaitMatchParams{InstanceID: "w", LeaseToken: in.LeaseToken, StepKey: "paid#1",
		Match: orderMatch("B"), Since: at(0), Now: at(10 * time.Second)}
	got, err := s.WaitMatchBegin(t.Context(), p)
	if err != nil {
		t.Fatalf("WaitMatchBegin: %v", err)
	}
	if len(got) != 1 || string(got[0].Payload) != `{"orderId":"B"}` || got[0].Type != "paid" || got[0].ID <= 0 {
		t.Fatalf("WaitMatchBegin copied %+v, want the event b only", got)
	}
	if again, err := s.WaitMatchBegin(t.Context(), p); err != nil || len(again) != 0 {
		t.Errorf("WaitMatchBegin again = %+v, %v; want no second copy", again, err)
	}
	if got := payloads(f, "w"); len(got) != 1 {
		t.Errorf("events of w: %v, want one copy", got)
	}
}

// testMatchPublish: a published event reaches each live wait it matches,
// once, waking a waiting instance; not finished waits or other matches.
func testMatchPublish(t *testing.T, s matchBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	timer := ptr(at(time.Hour))
	wait := func(id, order string) *store.Instance {
		in := f.inStatus(id, store.StatusRunning)
		if _, err := s.WaitMatchBegin(t.Context(), &store.WaitMatchParams{InstanceID: id, LeaseToken: in.LeaseToken,
			StepKey: "paid#1", Match: orderMatch(order), Since: at(0), Now: at(3 * time.Second)}); err != nil {
			t.Fatalf("WaitMatchBegin %s: %v", id, err)
		}
		return in
	}
	wait("x", "C")
	f.mustApply(&store.Update{InstanceID: "x", LeaseToken: f.get("x").LeaseToken, Now: at(4 * time.Second),
		State: &store.StateChange{Status: store.StatusWaiting, WakeAt: timer, AwaitMatch: []store.EventMatch{orderMatch("C")}}, Release: true})
	running := wait("y", "D") // still running: it gets the copy, due when it waits
	done := wait("z", "C")
	f.mustApply(&store.Update{InstanceID: "z", LeaseToken: done.LeaseToken, Now: at(4 * time.Second),
		Steps: []*store.Step{{InstanceID: "z", Key: "paid#1", Name: "paid", Seq: 1, Ordinal: 1, Kind: store.KindEvent,
			Status: store.StepCompleted, Output: json.RawMessage(`{}`), StartedAt: at(3 * time.Second), FinishedAt: ptr(at(4 * time.Second))}}})

	publishPaid(t, s, "c1", "paid", "C", at(time.Minute))
	publishPaid(t, s, "c1", "paid", "C", at(2*time.Minute)) // a duplicate: nothing again
	publishPaid(t, s, "d1", "paid", "D", at(3*time.Minute))
	publishPaid(t, s, "d-shipped", "shipped", "D", at(3*time.Minute))

	if got := payloads(f, "x"); len(got) != 1 || got[0] != `{"orderId":"C"}` {
		t.Errorf("events of x: %v, want C's once", got)
	}
	wantTime(t, "WakeAt of x", f.get("x").WakeAt, ptr(at(time.Minute)))
	if got := payloads(f, "y"); len(got) != 1 || got[0] != `{"orderId":"D"}` {
		t.Errorf("events of y: %v, want D's once", got)
	}
	if got := payloads(f, "z"); len(got) != 0 {
		t.Errorf("events of z, whose wait is completed: %v, want none", got)
	}
	// y begins waiting: the copy it holds makes it due at once.
	f.mustApply(&store.Update{InstanceID: "y", LeaseToken: running.LeaseToken, Now: at(4 * time.Minute),
		State: &store.StateChange{Status: store.StatusWaiting, WakeAt: timer, AwaitMatch: []store.EventMatch{orderMatch("D")}}, Release: true})
	wantTime(t, "WakeAt of y", f.get("y").WakeAt, ptr(at(4*time.Minute)))
}

// testMatchFence: WaitMatchBegin needs the instance's lease.
func testMatchFence(t *testing.T, s matchBackend) {
	f := &fixture{t: t, s: s, ctx: context.Background()}
	f.inStatus("w", store.StatusRunning)
	_, err := s.WaitMatchBegin(t.Context(), &store.WaitMatchParams{InstanceID: "w", LeaseToken: "stolen",
		StepKey: "paid#1", Match: orderMatch("B"), Now: at(time.Minute)})
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("WaitMatchBegin with another token: %v, want ErrLeaseLost", err)
	}
	_, err = s.WaitMatchBegin(t.Context(), &store.WaitMatchParams{InstanceID: "w", StepKey: "paid#1",
		Match: store.EventMatch{Type: "paid"}})
	if !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("WaitMatchBegin without fields: %v, want ErrInvalidArgument", err)
	}
}
