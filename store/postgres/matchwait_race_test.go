package postgres_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// TestMatchWaitPublishRace begins 40 matched waits, each while its order's
// event is published from another goroutine over another pool: the
// per-type lock makes each instance get the event exactly once, whichever
// transaction commits first (without it, each could miss the other).
func TestMatchWaitPublishRace(t *testing.T) {
	t.Parallel()
	s := open(t)
	other := open2(t, s)
	ctx := t.Context()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 40
	for i := range n {
		if _, err := s.InstanceCreate(ctx, &store.InstanceCreateParams{ID: fmt.Sprintf("w%02d", i), Workflow: "pay", Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	claimed, err := s.InstanceClaim(ctx, &store.ClaimParams{Owner: "w", Limit: n, Now: t0, LeaseUntil: t0.Add(time.Hour)})
	if err != nil || len(claimed) != n {
		t.Fatalf("claimed %d, %v", len(claimed), err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for _, in := range claimed {
		order := in.ID
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := s.WaitMatchBegin(ctx, &store.WaitMatchParams{InstanceID: in.ID, LeaseToken: in.LeaseToken, StepKey: "paid#1",
				Match: store.EventMatch{Type: "paid", Fields: map[string]json.RawMessage{"orderId": json.RawMessage(`"` + order + `"`)}},
				Since: t0.Add(-time.Hour), Now: t0.Add(time.Second)})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, _, err := other.EventPublish(ctx, &store.EventPublishParams{ID: "ev-" + order, Type: "paid",
				Payload: json.RawMessage(`{"orderId":"` + order + `"}`), Now: t0.Add(time.Second)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range claimed {
		j, err := s.JournalLoad(ctx, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(j.Events) != 1 || string(j.Events[0].Payload) != `{"orderId":"`+in.ID+`"}` {
			t.Errorf("events of %s: %d, want its order's event once", in.ID, len(j.Events))
		}
	}
}
