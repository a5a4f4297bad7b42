package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// RunSchedules runs the conformance tests of the optional
// store.ScheduleStore capability. open is called as in Run; the store it
// returns must implement store.ScheduleStore.
func RunSchedules(t *testing.T, open func(t *testing.T) store.Store) {
	runCapability(t, open, []capabilityTest[store.ScheduleStore]{
		{"CRUD", testScheduleCRUD},
		{"Invalid", testScheduleInvalid},
		{"ClaimDue", testScheduleClaimDue},
		{"ClaimLease", testScheduleClaimLease},
		{"FireAdd", testScheduleFireAdd},
		{"ClaimConcurrent", testScheduleClaimConcurrent},
		{"FireNotBefore", testScheduleFireNotBefore},
	})
}

// schedT0 is the base of the times the schedule tests pass.
var schedT0 = time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)

func schedCreate(t *testing.T, ss store.ScheduleStore, id string, next time.Time, paused bool) *store.Schedule {
	t.Helper()
	s, err := ss.ScheduleCreate(t.Context(), &store.Schedule{ID: id, Spec: json.RawMessage(`{"every":"1m"}`),
		Paused: paused, NextRunAt: next, CreatedAt: schedT0})
	if err != nil {
		t.Fatalf("ScheduleCreate %q: %v", id, err)
	}
	return s
}

// everyMinute plans one pending fire per claim and advances a minute.
func everyMinute(s *store.Schedule) ([]*store.ScheduleFire, time.Time) {
	return []*store.ScheduleFire{{ScheduleID: s.ID, ScheduledAt: s.NextRunAt,
		InstanceID: s.ID + "-" + s.NextRunAt.Format("150405"), Outcome: store.FirePending}}, s.NextRunAt.Add(time.Minute)
}

func testScheduleCRUD(t *testing.T, ss store.ScheduleStore) {
	ctx := t.Context()
	a := schedCreate(t, ss, "a", schedT0, false)
	if !a.CreatedAt.Equal(schedT0) || !a.UpdatedAt.Equal(schedT0) || !a.NextRunAt.Equal(schedT0) || a.Paused {
		t.Fatalf("created %+v", a)
	}
	schedCreate(t, ss, "b", time.Time{}, true)
	if _, err := ss.ScheduleCreate(ctx, &store.Schedule{ID: "a", Spec: json.RawMessage(`{}`)}); !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("duplicate create: %v, want ErrAlreadyExists", err)
	}
	b, err := ss.ScheduleGet(ctx, "b")
	if err != nil || !b.Paused || !b.NextRunAt.IsZero() || string(b.Spec) == "" {
		t.Fatalf("get b: %+v %v", b, err)
	}
	var spec map[string]string
	if err := json.Unmarshal(b.Spec, &spec); err != nil || spec["every"] != "1m" {
		t.Fatalf("spec %s: %v", b.Spec, err)
	}
	up, err := ss.ScheduleUpdate(ctx, &store.Schedule{ID: "b", Spec: json.RawMessage(`{"every":"2m"}`),
		NextRunAt: schedT0.Add(time.Hour), UpdatedAt: schedT0.Add(time.Minute)})
	if err != nil || up.Paused || !up.CreatedAt.Equal(schedT0) || !up.UpdatedAt.Equal(schedT0.Add(time.Minute)) ||
		!up.NextRunAt.Equal(schedT0.Add(time.Hour)) {
		t.Fatalf("update: %+v %v", up, err)
	}
	list, err := ss.ScheduleList(ctx, "")
	if err != nil || len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" {
		t.Fatalf("list: %v %v", list, err)
	}
	if list, err = ss.ScheduleList(ctx, "a"); err != nil || len(list) != 1 || list[0].ID != "b" {
		t.Fatalf("list after a: %v %v", list, err)
	}
	if err := ss.ScheduleDelete(ctx, "a"); err != nil {
		t.Fatalf("delete: %v", err)
	}
	for name, err := range map[string]error{
		"get": func() error { _, err := ss.ScheduleGet(ctx, "a"); return err }(),
		"update": func() error {
			_, err := ss.ScheduleUpdate(ctx, &store.Schedule{ID: "a", Spec: json.RawMessage(`{}`)})
			return err
		}(),
		"delete": ss.ScheduleDelete(ctx, "a"),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s of a deleted schedule: %v, want ErrNotFound", name, err)
		}
	}
}

func testScheduleInvalid(t *testing.T, ss store.ScheduleStore) {
	ctx := t.Context()
	if _, err := ss.ScheduleCreate(ctx, &store.Schedule{ID: "x", Spec: json.RawMessage(`{`)}); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("bad spec: %v", err)
	}
	if _, err := ss.ScheduleClaim(ctx, &store.ScheduleClaimParams{Now: schedT0, Limit: 0, Lease: time.Second, Plan: everyMinute}); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("limit 0: %v", err)
	}
	schedCreate(t, ss, "x", schedT0, false)
	if _, err := ss.ScheduleFireAdd(ctx, []*store.ScheduleFire{{ScheduleID: "x", ScheduledAt: schedT0, InstanceID: "i", Outcome: "bogus"}}); !errors.Is(err, store.ErrInvalidArgument) {
		t.Errorf("bad outcome: %v", err)
	}
	if _, err := ss.ScheduleFireAdd(ctx, []*store.ScheduleFire{{ScheduleID: "nope", ScheduledAt: schedT0, InstanceID: "i", Outcome: store.FirePending}}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown schedule: %v", err)
	}
}

func testScheduleClaimDue(t *testing.T, ss store.ScheduleStore) {
	ctx := t.Context()
	schedCreate(t, ss, "due", schedT0, false)
	schedCreate(t, ss, "later", schedT0.Add(time.Hour), false)
	schedCreate(t, ss, "paused", schedT0, true)
	schedCreate(t, ss, "done", time.Time{}, false)
	claim := func(at time.Time) []*store.ScheduleFire {
		t.Helper()
		fires, err := ss.ScheduleClaim(ctx, &store.ScheduleClaimParams{Now: at, Limit: 10, Lease: time.Minute, Plan: everyMinute})
		if err != nil {
			t.Fatalf("claim: %v", err)
		}
		return fires
	}
	fires := claim(schedT0)
	if len(fires) != 1 || fires[0].ScheduleID != "due" || !fires[0].ScheduledAt.Equal(schedT0) || fires[0].Outcome != store.FirePending {
		t.Fatalf("claim at t0: %+v", fires)
	}
	if s, _ := ss.ScheduleGet(ctx, "due"); !s.NextRunAt.Equal(schedT0.Add(time.Minute)) {
		t.Fatalf("next_run_at %v, want t0+1m", s.NextRunAt)
	}
	if again := claim(schedT0); len(again) != 0 {
		t.Fatalf("second claim at t0 took %+v (the fire is leased)", again)
	}
	done := *fires[0]
	done.Outcome, done.RecordedAt = store.FireStarted, schedT0.Add(time.Second)
	if err := ss.ScheduleFireDone(ctx, &done); err != nil {
		t.Fatal(err)
	}
	// A later outcome does not overwrite a finished fire.
	done.Outcome = store.FireFailed
	if err := ss.ScheduleFireDone(ctx, &done); err != nil {
		t.Fatal(err)
	}
	got, err := ss.ScheduleFires(ctx, "due", 10)
	if err != nil || len(got) != 1 || got[0].Outcome != store.FireStarted || got[0].InstanceID != "due-090000" {
		t.Fatalf("fires: %+v %v", got, err)
	}
	// A re-plan of a recorded scheduled time records nothing new.
	if _, err := ss.ScheduleUpdate(ctx, &store.Schedule{ID: "due", Spec: json.RawMessage(`{}`), NextRunAt: schedT0}); err != nil {
		t.Fatal(err)
	}
	if again := claim(schedT0.Add(2 * time.Minute)); len(again) != 0 {
		t.Fatalf("replanned t0 handed out again: %+v", again)
	}
	if got, _ = ss.ScheduleFires(ctx, "due", 10); len(got) != 1 || got[0].Outcome != store.FireStarted {
		t.Fatalf("fires after replan: %+v", got)
	}
	if len(claim(schedT0.Add(2*time.Minute))) != 1 {
		t.Fatal("t0+1m not claimed")
	}
	got, _ = ss.ScheduleFires(ctx, "due", 1)
	if len(got) != 1 || !got[0].ScheduledAt.Equal(schedT0.Add(time.Minute)) {
		t.Fatalf("newest fire: %+v", got)
	}
}

func testScheduleClaimLease(t *testing.T, ss store.ScheduleStore) {
	ctx := t.Context()
	schedCreate(t, ss, "s", schedT0, false)
	p := &store.ScheduleClaimParams{Now: schedT0, Limit: 10, Lease: time.Minute, Plan: everyMinute}
	first, err := ss.ScheduleClaim(ctx, p)
	if err != nil || len(first) != 1 {
		t.Fatalf("claim: %+v %v", first, err)
	}
	// The worker died: after the lease the fire is handed out again.
	p.Now = schedT0.Add(time.Minute + time.Second)
	p.Plan = func(s *store.Schedule) ([]*store.ScheduleFire, time.Time) { return nil, s.NextRunAt.Add(time.Hour) }
	again, err := ss.ScheduleClaim(ctx, p)
	if err != nil || len(again) != 1 || !again[0].ScheduledAt.Equal(schedT0) || again[0].InstanceID != first[0].InstanceID {
		t.Fatalf("reclaim: %+v %v", again, err)
	}
	// Extending the lease keeps it.
	ext := *again[0]
	ext.LeaseUntil = schedT0.Add(time.Hour)
	if err := ss.ScheduleFireDone(ctx, &ext); err != nil {
		t.Fatal(err)
	}
	p.Now = schedT0.Add(30 * time.Minute)
	if got, _ := ss.ScheduleClaim(ctx, p); len(got) != 0 {
		t.Fatalf("extended lease taken: %+v", got)
	}
	p.Now = schedT0.Add(61 * time.Minute)
	if got, _ := ss.ScheduleClaim(ctx, p); len(got) != 1 {
		t.Fatalf("expired extended lease not taken: %+v", got)
	}
}

func testScheduleFireAdd(t *testing.T, ss store.ScheduleStore) {
	ctx := t.Context()
	schedCreate(t, ss, "s", time.Time{}, true)
	mk := func(min int, o store.FireOutcome) *store.ScheduleFire {
		at := schedT0.Add(time.Duration(min) * time.Minute)
		return &store.ScheduleFire{ScheduleID: "s", ScheduledAt: at, InstanceID: fmt.Sprintf("s-%d", min), Outcome: o, RecordedAt: schedT0}
	}
	added, err := ss.ScheduleFireAdd(ctx, []*store.ScheduleFire{mk(1, store.FirePending), mk(2, store.FireSkippedCatchup)})
	if err != nil || len(added) != 2 {
		t.Fatalf("add: %+v %v", added, err)
	}
	added, err = ss.ScheduleFireAdd(ctx, []*store.ScheduleFire{mk(1, store.FirePending), mk(3, store.FirePending)})
	if err != nil || len(added) != 1 || added[0].InstanceID != "s-3" {
		t.Fatalf("add again: %+v %v", added, err)
	}
	// A paused schedule's pending fires are still handed out.
	got, err := ss.ScheduleClaim(ctx, &store.ScheduleClaimParams{Now: schedT0, Limit: 10, Lease: time.Minute, Plan: everyMinute})
	if err != nil || len(got) != 2 || got[0].InstanceID != "s-1" || got[1].InstanceID != "s-3" {
		t.Fatalf("claim: %+v %v", got, err)
	}
	if err := ss.ScheduleDelete(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if fires, err := ss.ScheduleFires(ctx, "s", 10); err != nil || len(fires) != 0 {
		t.Fatalf("fires of a deleted schedule: %+v %v", fires, err)
	}
}

// testScheduleClaimConcurrent: workers claiming at once each get distinct
// scheduled times, and every time is handed out exactly once.
func testScheduleClaimConcurrent(t *testing.T, ss store.ScheduleStore) {
	ctx := t.Context()
	const schedules, rounds, workers = 5, 20, 4
	for i := range schedules {
		schedCreate(t, ss, fmt.Sprintf("s%d", i), schedT0, false)
	}
	var (
		mu   sync.Mutex
		seen = map[string]int{}
		wg   sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				at := schedT0.Add(time.Duration(r) * time.Minute)
				fires, err := ss.ScheduleClaim(ctx, &store.ScheduleClaimParams{Now: at, Limit: 2, Lease: time.Hour, Plan: everyMinute})
				if err != nil {
					t.Errorf("worker %d claim: %v", w, err)
					return
				}
				mu.Lock()
				for _, f := range fires {
					seen[f.InstanceID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for id, n := range seen {
		if n != 1 {
			t.Errorf("fire %s handed out %d times", id, n)
		}
	}
	total := 0
	for i := range schedules {
		fires, err := ss.ScheduleFires(ctx, fmt.Sprintf("s%d", i), store.MaxScheduleList)
		if err != nil {
			t.Fatal(err)
		}
		total += len(fires)
	}
	if total != len(seen) {
		t.Errorf("%d fires recorded, %d handed out", total, len(seen))
	}
}

// testScheduleFireNotBefore: a fire added with a LeaseUntil (its jitter)
// is handed out only from that time on.
func testScheduleFireNotBefore(t *testing.T, ss store.ScheduleStore) {
	ctx := t.Context()
	schedCreate(t, ss, "s", time.Time{}, false)
	f := &store.ScheduleFire{ScheduleID: "s", ScheduledAt: schedT0, InstanceID: "s-0", Outcome: store.FirePending,
		LeaseUntil: schedT0.Add(10 * time.Second), RecordedAt: schedT0}
	if _, err := ss.ScheduleFireAdd(ctx, []*store.ScheduleFire{f}); err != nil {
		t.Fatal(err)
	}
	p := &store.ScheduleClaimParams{Now: schedT0.Add(9 * time.Second), Limit: 10, Lease: time.Minute, Plan: everyMinute}
	if got, err := ss.ScheduleClaim(ctx, p); err != nil || len(got) != 0 {
		t.Fatalf("claim before the jitter: %+v %v", got, err)
	}
	p.Now = schedT0.Add(10 * time.Second)
	if got, err := ss.ScheduleClaim(ctx, p); err != nil || len(got) != 1 {
		t.Fatalf("claim at the jitter: %+v %v", got, err)
	}
}
