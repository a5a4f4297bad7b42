package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// testCommitAwaitMatch: an instance that starts a matched wait is due at
// once only when an unconsumed event of the match's type has a payload
// that matches; other events of that type leave it waiting.
func testCommitAwaitMatch(t *testing.T, s suite) {
	now := at(10 * time.Minute)
	timer := ptr(at(time.Hour))
	orderB := store.EventMatch{Type: "paid", Fields: map[string]json.RawMessage{"orderId": json.RawMessage(`"B"`)}}
	amount := store.EventMatch{Type: "paid", Fields: map[string]json.RawMessage{"amount": json.RawMessage(`10`), "ok": json.RawMessage(`true`)}}
	tests := []struct {
		name     string
		payloads []string // "paid" events sent while running
		consumeU []int    // indexes consumed by the waiting update itself
		await    []string
		match    []store.EventMatch
		want     *time.Time
	}{
		{"other order only", []string{`{"orderId":"A"}`}, nil, nil, []store.EventMatch{orderB}, timer},
		{"matching order", []string{`{"orderId":"A"}`, `{"orderId":"B","x":[1]}`}, nil, nil, []store.EventMatch{orderB}, &now},
		{"matching event consumed by this update", []string{`{"orderId":"B"}`}, []int{0}, nil, []store.EventMatch{orderB}, timer},
		{"number spelled differently", []string{`{"amount":10.0,"ok":true}`}, nil, nil, []store.EventMatch{amount}, &now},
		{"one field of two", []string{`{"amount":10,"ok":false}`}, nil, nil, []store.EventMatch{amount}, timer},
		{"value of another JSON type", []string{`{"orderId":["B"]}`, `{"orderId":{"id":"B"}}`}, nil, nil, []store.EventMatch{orderB}, timer},
		{"payload not an object", []string{`"B"`, `null`, ``}, nil, nil, []store.EventMatch{orderB}, timer},
		{"type awaited as well", []string{`{"orderId":"A"}`}, nil, []string{"paid"}, []store.EventMatch{orderB}, &now},
		{"no events", nil, nil, nil, []store.EventMatch{orderB}, timer},
		{"a payload PostgreSQL's jsonb refuses", []string{`{"orderId":"A","note":"\u0000"}`}, nil, nil, []store.EventMatch{orderB}, timer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := s.setup(t)
			in := f.inStatus("a", store.StatusRunning)
			var evs []*store.Event
			for i, p := range tc.payloads {
				evs = append(evs, f.send("a", "paid", p, at(time.Duration(i+1)*time.Second)))
			}
			var consume []store.EventConsumption
			for _, i := range tc.consumeU {
				consume = append(consume, store.EventConsumption{EventID: evs[i].ID, StepKey: "got#1"})
			}
			f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: now, ConsumeEvents: consume,
				State:   &store.StateChange{Status: store.StatusWaiting, WakeAt: timer, AwaitEvents: tc.await, AwaitMatch: tc.match},
				Release: true})
			wantTime(t, "WakeAt", f.get("a").WakeAt, tc.want)
		})
	}
}
