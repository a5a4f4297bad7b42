package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// testEventSend: an event makes a waiting instance due at the send time,
// and leaves other unfinished statuses alone (testEventSendFinished has
// the finished ones).
func testEventSend(t *testing.T, s suite) {
	sendAt := at(10 * time.Minute)
	tests := []struct {
		name   string
		status store.InstanceStatus
		wake   *time.Time // for waiting: the WakeAt before the event
		want   *time.Time // WakeAt after
	}{
		{"waiting, timer in the future", store.StatusWaiting, ptr(at(time.Hour)), &sendAt},
		{"waiting, no timer", store.StatusWaiting, nil, &sendAt},
		{"queued", store.StatusQueued, nil, nil},
		{"running", store.StatusRunning, nil, nil},
		{"paused", store.StatusPaused, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := s.setup(t)
			var before *store.Instance
			if tc.status == store.StatusWaiting {
				f.create("a", "wf", at(0))
				c := f.claimOne("wf", at(time.Second), at(time.Minute))
				f.mustApply(&store.Update{InstanceID: "a", LeaseToken: c.LeaseToken, Now: at(2 * time.Second),
					State: &store.StateChange{Status: store.StatusWaiting, WakeAt: tc.wake, AwaitEvents: []string{"paid"}}, Release: true})
				before = f.get("a")
			} else {
				before = f.inStatus("a", tc.status)
			}
			ev, err := f.s.EventSend(f.ctx, &store.EventSendParams{InstanceID: "a", Type: "paid", Payload: []byte(`{"amount":10}`), Now: sendAt})
			if err != nil {
				t.Fatalf("EventSend: %v", err)
			}
			if ev.ID <= 0 || ev.InstanceID != "a" || ev.Type != "paid" || !ev.CreatedAt.Equal(sendAt) || ev.ConsumedBy != "" {
				t.Errorf("EventSend returned %+v", ev)
			}
			got := f.get("a")
			if got.Status != before.Status {
				t.Errorf("status %s after the event, want %s", got.Status, before.Status)
			}
			wantTime(t, "WakeAt", got.WakeAt, tc.want)
			if tc.status == store.StatusWaiting {
				// Due now: the next claim at the send time takes it.
				f.claimOne("wf", sendAt, at(time.Hour))
			}
		})
	}
}

// testEventJournal: JournalLoad returns every event of the instance, in
// send order, with ConsumedBy.
func testEventJournal(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	f.create("b", "other", at(0))
	var want []*store.Event
	for i, typ := range []string{"paid", "shipped", "paid", "note"} {
		ev := f.send("a", typ, `{"n":`+string(rune('0'+i))+`}`, at(time.Duration(10-i)*time.Second)) // IDs order, not times
		want = append(want, ev)
		f.send("b", typ, `{}`, at(0))
	}
	for i := 1; i < len(want); i++ {
		if want[i].ID <= want[i-1].ID {
			t.Fatalf("event IDs not increasing: %d then %d", want[i-1].ID, want[i].ID)
		}
	}
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Minute),
		ConsumeEvents: []store.EventConsumption{{EventID: want[2].ID, StepKey: "pay#2"}, {EventID: want[0].ID, StepKey: "pay#1"}}})
	want[0].ConsumedBy = "pay#1"
	want[2].ConsumedBy = "pay#2"
	j := f.journal("a")
	if diff := cmp.Diff(want, j.Events); diff != "" {
		t.Errorf("JournalLoad events (-want +got):\n%s", diff)
	}
	if n := len(f.journal("b").Events); n != 4 {
		t.Errorf("b has %d events, want 4", n)
	}
	if j := f.journal("b"); len(j.Steps) != 0 {
		t.Errorf("b has %d steps, want 0", len(j.Steps))
	}
}

// testEventStepAwait: a waiting event step's Await (type and match) is
// read back by JournalLoad, kept when the step completes, and absent on a
// step committed without one.
func testEventStepAwait(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	waiting := &store.Step{Key: "paid#1", Name: "paid", Seq: 1, Ordinal: 1, Kind: store.KindEvent, Status: store.StepWaiting,
		Attempts: 1, WakeAt: ptr(at(time.Hour)), StartedAt: at(time.Second),
		Await: &store.EventAwait{Type: "payment.received",
			Match: map[string]json.RawMessage{"orderId": json.RawMessage(`"C-1"`), "n": json.RawMessage(`2`)}}}
	plain := &store.Step{Key: "reserve#1", Name: "reserve", Seq: 1, Ordinal: 0, Kind: store.KindDo, Status: store.StepCompleted,
		Output: json.RawMessage(`true`), Attempts: 1, StartedAt: at(0), FinishedAt: ptr(at(time.Second))}
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Second), Steps: []*store.Step{plain, waiting}})
	want := []*store.Step{plain, waiting}
	for _, st := range want {
		st.InstanceID = "a"
	}
	if diff := cmp.Diff(want, f.journal("a").Steps, cmpEmpty); diff != "" {
		t.Errorf("waiting: journal steps (-want +got):\n%s", diff)
	}

	done := *waiting
	done.Status, done.Output, done.WakeAt, done.FinishedAt = store.StepCompleted, json.RawMessage(`{"ok":true}`), nil, ptr(at(2*time.Hour))
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(2 * time.Hour), Steps: []*store.Step{&done}})
	if diff := cmp.Diff([]*store.Step{plain, &done}, f.journal("a").Steps, cmpEmpty); diff != "" {
		t.Errorf("completed: journal steps (-want +got):\n%s", diff)
	}
}
