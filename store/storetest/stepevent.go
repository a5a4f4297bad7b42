package storetest

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// testEventStepResult: an asynchronous step's result (EventSendParams.Step)
// is stored only while the step waits at that attempt with no result
// pending; the others are refused per CheckStepEvent in the insert's
// transaction, and an unknown step is ErrNotFound.
func testEventStepResult(t *testing.T, s suite) {
	f := s.setup(t)
	in := f.inStatus("a", store.StatusRunning)
	step := &store.Step{Key: "ship#1", Name: "ship", Seq: 1, Kind: store.KindAsync, Status: store.StepWaiting,
		Attempts: 2, StartedAt: at(time.Second)}
	plain := &store.Step{Key: "pack#1", Name: "pack", Seq: 1, Ordinal: 1, Kind: store.KindDo, Status: store.StepCompleted,
		Attempts: 1, StartedAt: at(time.Second), FinishedAt: ptr(at(time.Second))}
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(time.Second), Steps: []*store.Step{step, plain}})
	send := func(key string, attempt int) error {
		_, err := f.s.EventSend(f.ctx, &store.EventSendParams{InstanceID: "a", Type: store.StepResultType(key, attempt),
			Payload: json.RawMessage(`{"output":1}`), Now: at(2 * time.Second), Step: &store.StepEvent{Key: key, Attempt: attempt}})
		return err
	}
	refused := func(what string, err error) {
		t.Helper()
		var te *store.TransitionError
		if !errors.As(err, &te) || te.Op != store.OpStepResult {
			t.Errorf("%s: %v, want a *TransitionError of op %s", what, err, store.OpStepResult)
		}
	}
	refused("an earlier attempt", send("ship#1", 1))
	refused("a do step", send("pack#1", 1))
	if err := send("nope#1", 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an unknown step: %v, want ErrNotFound", err)
	}
	if err := send("ship#1", 2); err != nil {
		t.Fatalf("the waiting attempt: %v", err)
	}
	refused("a second result of the attempt", send("ship#1", 2))
	j := f.journal("a")
	if len(j.Events) != 1 || j.Events[0].Type != "ordo.step:ship#1:2" {
		t.Fatalf("events %+v, want the one result", j.Events)
	}
	// Taken by the step, the result is consumed and the step moves on: a
	// result of the next attempt is stored again.
	next := *step
	next.Attempts = 3
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(3 * time.Second), Steps: []*store.Step{&next},
		ConsumeEvents: []store.EventConsumption{{EventID: j.Events[0].ID, StepKey: "ship#1"}}})
	if err := send("ship#1", 3); err != nil {
		t.Fatalf("the next attempt: %v", err)
	}
	done := next
	done.Status = store.StepCompleted
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: in.LeaseToken, Now: at(4 * time.Second), Steps: []*store.Step{&done}})
	refused("a completed step", send("ship#1", 3))
}
