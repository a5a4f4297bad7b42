package ui

import (
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

func TestTimelineBars(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	ptr := func(t time.Time) *time.Time { return &t }
	inst := &ordo.Instance{
		Instance: store.Instance{ID: "i", Status: store.StatusWaiting, CreatedAt: t0},
		Steps: []*store.Step{
			{Key: "charge#1", Name: "charge", Seq: 1, Kind: store.KindDo, Status: store.StepRetrying, Attempts: 2,
				StartedAt: at(0), NextAttemptAt: ptr(at(200)),
				History: []store.Attempt{
					{Number: 1, StartedAt: at(0), FinishedAt: at(10), Error: &store.ErrorInfo{Message: "boom", Kind: "step"}},
					{Number: 2, StartedAt: at(30), FinishedAt: at(40), Error: &store.ErrorInfo{Message: "boom again", Kind: "step"}},
				}},
			{Key: "nap#1", Name: "nap", Seq: 1, Kind: store.KindSleep, Status: store.StepWaiting, StartedAt: at(50), WakeAt: ptr(at(500))},
		},
	}
	tl := buildTimeline(inst, clockFormat{now: at(100), loc: time.UTC})
	if !tl.Live || tl.Span != "1m 40s" || len(tl.Rows) != 2 || tl.Ticks[1].Label != "+50s" {
		t.Fatalf("timeline %+v", tl)
	}
	type b struct {
		x, w  float64
		class string
	}
	var got []b
	for _, x := range tl.Rows[0].Bars {
		got = append(got, b{x.X, x.W, x.Class})
	}
	want := []b{{0, 10, "attempt fail"}, {10, 20, "gap"}, {30, 10, "attempt fail"}, {40, 60, "gap open"}}
	if len(got) != len(want) {
		t.Fatalf("bars %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("bar %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	row := tl.Rows[0]
	if len(row.Failures) != 2 || row.NextAttempt == nil || row.NextAttempt.Rel != "in 1m 40s" {
		t.Errorf("retrying row %+v", row)
	}
	nap := tl.Rows[1]
	if nap.Bars[0] != (bar{X: 50, W: 50, Class: "sleep open", Title: "sleep waiting"}) || nap.WaitUntil.Rel != "in 6m 40s" {
		t.Errorf("sleeping row %+v %+v", nap.Bars, nap.WaitUntil)
	}

	// A finished instance spans created..finished; instant attempts stay
	// visible and inside the chart.
	inst.Status, inst.FinishedAt = store.StatusComplete, ptr(at(40))
	inst.Steps = inst.Steps[:1]
	inst.Steps[0].Status = store.StepCompleted
	inst.Steps[0].History = append(inst.Steps[0].History, store.Attempt{Number: 3, StartedAt: at(40), FinishedAt: at(40)})
	tl = buildTimeline(inst, clockFormat{now: at(1000), loc: time.UTC})
	last := tl.Rows[0].Bars[len(tl.Rows[0].Bars)-1]
	if tl.Live || tl.Span != "40s" || last.X != 100-minBarWidth || last.W != minBarWidth || last.Class != "attempt ok" {
		t.Errorf("finished timeline: live %v span %s last bar %+v", tl.Live, tl.Span, last)
	}
}

// TestTimelineLimitWait: a step waiting for its limit shows the reason and
// its next try, not as a custom status it set.
func TestTimelineLimitWait(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	next := t0.Add(5 * time.Second)
	inst := &ordo.Instance{
		Instance: store.Instance{ID: "i", Status: store.StatusWaiting, CreatedAt: t0},
		Steps: []*store.Step{{Key: "call#1", Name: "call", Seq: 1, Kind: store.KindDo, Status: store.StepWaiting,
			StartedAt: t0, WakeAt: &next, CustomStatus: "waiting for limit erp (5 at once)"}},
	}
	row := buildTimeline(inst, clockFormat{now: t0.Add(time.Second), loc: time.UTC}).Rows[0]
	if row.LimitWait != "waiting for limit erp (5 at once)" || row.CustomStatus != "" || row.WaitUntil == nil || row.WaitUntil.Rel != "in 4.0s" {
		t.Errorf("limit-waiting row: LimitWait %q, CustomStatus %q, WaitUntil %+v", row.LimitWait, row.CustomStatus, row.WaitUntil)
	}
}

// TestTimelineConcurrencyWait: an instance's wait for its concurrency
// slot is a row with the reason and the next try while it waits, and a
// bar of how long it waited once it got the slot.
func TestTimelineConcurrencyWait(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	next := t0.Add(5 * time.Second)
	reason := ordo.ConcurrencyWaitStatus("payment", "customer-42", 1)
	wait := &store.Step{Key: store.ConcurrencyWaitKey, Name: "concurrency", Kind: store.KindConcurrency,
		Status: store.StepWaiting, StartedAt: t0, WakeAt: &next, CustomStatus: reason, Attempts: 2}
	inst := &ordo.Instance{Instance: store.Instance{ID: "i", Status: store.StatusWaiting, CreatedAt: t0}, Steps: []*store.Step{wait}}
	row := buildTimeline(inst, clockFormat{now: t0.Add(time.Second), loc: time.UTC}).Rows[0]
	if row.LimitWait != "waiting for concurrency slot: workflow payment, key customer-42 (1 at once)" || row.CustomStatus != "" ||
		row.WaitUntil == nil || row.WaitUntil.Rel != "in 4.0s" || row.KindLabel != "concurrency wait" || len(row.Bars) != 1 {
		t.Errorf("waiting row: LimitWait %q, CustomStatus %q, WaitUntil %+v, kind %q, bars %+v", row.LimitWait, row.CustomStatus,
			row.WaitUntil, row.KindLabel, row.Bars)
	}
	done := *wait
	end := t0.Add(3 * time.Second)
	done.Status, done.WakeAt, done.FinishedAt, done.CustomStatus = store.StepCompleted, nil, &end, ""
	inst.Steps = []*store.Step{&done}
	row = buildTimeline(inst, clockFormat{now: t0.Add(10 * time.Second), loc: time.UTC}).Rows[0]
	if row.LimitWait != "" || row.WaitUntil != nil || row.Took != "3.0s" || len(row.Bars) != 1 {
		t.Errorf("completed row: LimitWait %q, WaitUntil %+v, took %q, bars %+v", row.LimitWait, row.WaitUntil, row.Took, row.Bars)
	}
}
