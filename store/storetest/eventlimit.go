package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// testEventSendFinished: a complete, errored or terminated instance
// refuses events with a *TransitionError, and stores nothing.
func testEventSendFinished(t *testing.T, s suite) {
	for _, status := range []store.InstanceStatus{store.StatusComplete, store.StatusErrored, store.StatusTerminated} {
		t.Run(string(status), func(t *testing.T) {
			t.Parallel()
			f := s.setup(t)
			before := f.inStatus("a", status)
			_, err := f.s.EventSend(f.ctx, &store.EventSendParams{InstanceID: "a", Type: "paid", Payload: []byte(`{}`), Now: at(time.Hour)})
			wantErr(t, "EventSend to a finished instance", err, store.ErrInvalidTransition)
			wantTransition(t, err, "a", store.OpEvent, status)
			if n := len(f.journal("a").Events); n != 0 {
				t.Errorf("a refused event was stored: %d events", n)
			}
			if diff := cmp.Diff(before, f.get("a")); diff != "" {
				t.Errorf("a refused event changed the instance (-before +after):\n%s", diff)
			}
		})
	}
}

// testEventSendLimits: MaxEvents and MaxBytes refuse the event that would
// pass them with a *LimitError naming the limit; an event exactly at a
// limit is accepted; a refused event is not stored and does not wake a
// waiting instance.
func testEventSendLimits(t *testing.T, s suite) {
	f := s.setup(t)
	f.create("a", "wf", createdAt)
	send := func(payload string, maxEvents int, maxBytes int64) error {
		var raw json.RawMessage
		if payload != "" {
			raw = json.RawMessage(payload)
		}
		_, err := f.s.EventSend(f.ctx, &store.EventSendParams{InstanceID: "a", Type: "note", Payload: raw,
			Now: at(10 * time.Minute), MaxEvents: maxEvents, MaxBytes: maxBytes})
		return err
	}
	// 3 events of 4 bytes and one without payload: 12 bytes.
	for _, p := range []string{`"ab"`, `"cd"`, "", `"ef"`} {
		if err := send(p, 4, 12); err != nil {
			t.Fatalf("EventSend within the limits: %v", err)
		}
	}
	in := f.claimOne("wf", claimedAt, leaseUntil)
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: settledAt,
		State: &store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(wakeAt), AwaitEvents: []string{"never"}}, Release: true})
	for _, tc := range []struct {
		name      string
		payload   string
		maxEvents int
		maxBytes  int64
		want      store.LimitError
	}{
		{"count", "", 4, 0, store.LimitError{InstanceID: "a", Limit: store.LimitEvents, Max: 4, Have: 4}},
		{"bytes", `"g"`, 0, 14, store.LimitError{InstanceID: "a", Limit: store.LimitEventBytes, Max: 14, Have: 12, Adding: 3}},
	} {
		err := send(tc.payload, tc.maxEvents, tc.maxBytes)
		wantErr(t, "EventSend past the "+tc.name+" limit", err, store.ErrLimitExceeded)
		var le *store.LimitError
		if !errors.As(err, &le) {
			t.Fatalf("EventSend past the %s limit: %v is not a *store.LimitError", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, *le); diff != "" {
			t.Errorf("LimitError (-want +got):\n%s", diff)
		}
		if !strings.Contains(le.Error(), tc.want.Limit) || !strings.Contains(le.Error(), `"a"`) {
			t.Errorf("LimitError message %q does not name the instance and the limit", le.Error())
		}
	}
	if n := len(f.journal("a").Events); n != 4 {
		t.Errorf("%d events stored, want the 4 accepted", n)
	}
	if got := f.get("a"); got.WakeAt == nil || !got.WakeAt.Equal(wakeAt) {
		t.Errorf("refused events changed WakeAt to %v, want %v", got.WakeAt, wakeAt)
	}
	// Exactly at the byte limit; no limits at all.
	if err := send(`"g"`, 0, 15); err != nil {
		t.Errorf("EventSend reaching the byte limit exactly: %v", err)
	}
	if err := send(`"h"`, 0, 0); err != nil {
		t.Errorf("EventSend without limits: %v", err)
	}
}

// testEventSendLimitConcurrent: concurrent sends count each other: with
// MaxEvents 5, exactly 5 of 20 concurrent sends are accepted.
func testEventSendLimitConcurrent(t *testing.T, s suite) {
	f := s.setup(t)
	f.create("a", "wf", at(0))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted int
		others   []error
	)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := f.s.EventSend(f.ctx, &store.EventSendParams{InstanceID: "a", Type: "note",
				Payload: json.RawMessage(fmt.Sprint(i)), Now: at(time.Minute), MaxEvents: 5})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				accepted++
			case !errors.Is(err, store.ErrLimitExceeded):
				others = append(others, err)
			}
		}()
	}
	wg.Wait()
	if len(others) > 0 {
		t.Fatalf("concurrent EventSend: unexpected errors %v", others)
	}
	if n := len(f.journal("a").Events); accepted != 5 || n != 5 {
		t.Errorf("concurrent EventSend with MaxEvents 5: %d accepted, %d stored", accepted, n)
	}
}
