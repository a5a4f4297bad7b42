package schedule_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
	"github.com/ordohq/ordo/store/sqlite"
)

// fixture is what a scheduler test needs: an engine on a virtual clock, a
// scheduler driven by RunOnce, and the store.
type fixture struct {
	t     *testing.T
	env   *ordotest.Env
	sch   *schedule.Scheduler
	store store.ScheduleStore
}

// t0 is the virtual clock's start (ordotest's default).
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// opener opens a fresh, migrated store for one test.
type opener func(t *testing.T) scheduleBackend

// scheduleBackend is what the scheduler tests need of a store.
type scheduleBackend interface {
	store.Store
	store.ScheduleStore
}

// backends are the stores the scheduler tests run on: a real SQLite file
// and a PostgreSQL schema of their own.
var backends = map[string]opener{
	"sqlite": func(t *testing.T) scheduleBackend {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "ordo.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return st
	},
	"postgres": func(t *testing.T) scheduleBackend {
		url, _ := pgtest.Schema(t)
		st, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		return st
	},
}

// TestScheduler runs the scheduler tests on every backend.
func TestScheduler(t *testing.T) {
	tests := map[string]func(t *testing.T, open opener){
		"FiresOncePerTime":   testFiresOncePerTime,
		"AlreadyExisted":     testAlreadyExisted,
		"Overlap":            testOverlap,
		"CatchupWindow":      testCatchupWindow,
		"Paused":             testPaused,
		"TriggerAndBackfill": testTriggerAndBackfill,
		"Manage":             testManage,
		"RecurringOrder":     testRecurringOrder,
		"Loop":               testLoop,
		"Declare":            testDeclare,
	}
	for backend, open := range backends {
		for name, fn := range tests {
			t.Run(backend+"/"+name, func(t *testing.T) {
				t.Parallel()
				fn(t, open)
			})
		}
	}
}

// setup returns a fixture on a store from open, with the workflows
// "quick" (ends at once) and "block" (waits for an event "go").
func setup(t *testing.T, open opener) *fixture {
	t.Helper()
	st := open(t)
	env := ordotest.New(t, &ordotest.Options{Store: st, Start: t0})
	env.Register(
		ordo.NewWorkflow("quick", func(ctx context.Context, in map[string]any) (map[string]any, error) { return in, nil }),
		ordo.NewWorkflow("block", func(ctx context.Context, _ struct{}) (string, error) {
			return ordo.WaitForEvent[string](ctx, "go", "go", 0)
		}),
	)
	sch, err := schedule.New(schedule.Config{Engine: env.Engine, PollInterval: time.Second, Lease: 30 * time.Second,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, env: env, sch: sch, store: st}
}

func (f *fixture) create(sp schedule.Spec) *schedule.View {
	f.t.Helper()
	v, err := f.sch.Create(f.t.Context(), &sp)
	if err != nil {
		f.t.Fatalf("Create %s: %v", sp.ID, err)
	}
	return v
}

// at sets the virtual clock and runs the scheduler once.
func (f *fixture) at(d time.Duration) int {
	f.t.Helper()
	f.env.Clock.Set(t0.Add(d))
	n, err := f.sch.RunOnce(f.t.Context())
	if err != nil {
		f.t.Fatalf("RunOnce at t0+%s: %v", d, err)
	}
	return n
}

// outcomes returns the schedule's fires oldest first as "HH:MM:SS outcome".
func (f *fixture) outcomes(id string) []string {
	f.t.Helper()
	fires, err := f.store.ScheduleFires(f.t.Context(), id, store.MaxScheduleList)
	if err != nil {
		f.t.Fatal(err)
	}
	out := make([]string, len(fires))
	for i, fr := range fires {
		out[len(fires)-1-i] = fr.ScheduledAt.Format("15:04:05") + " " + string(fr.Outcome)
	}
	return out
}

// waitStatus polls (in real time, not moving the virtual clock) until the
// instance has the status.
func (f *fixture) waitStatus(id string, want ordo.Status) {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for poll := time.Millisecond; time.Now().Before(deadline); poll = min(2*poll, 20*time.Millisecond) {
		inst, err := f.env.Engine.Get(f.t.Context(), id)
		if err == nil && inst.Status == want {
			return
		}
		time.Sleep(poll)
	}
	f.t.Fatalf("instance %s never reached %s", id, want)
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func testFiresOncePerTime(t *testing.T, open opener) {
	f := setup(t, open)
	v := f.create(schedule.Spec{ID: "tick", Every: "1m", Workflow: "quick", Params: json.RawMessage(`{"n":1}`), Overlap: schedule.OverlapAllowAll})
	if len(v.NextFires) != schedule.NextShown || !v.NextFires[0].Equal(t0.Add(time.Minute)) || !v.NextFires[9].Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("next fires %v", v.NextFires)
	}
	if n := f.at(59 * time.Second); n != 0 {
		t.Fatalf("fired %d before its time", n)
	}
	for m := 1; m <= 5; m++ {
		if n := f.at(time.Duration(m) * time.Minute); n != 1 {
			t.Fatalf("minute %d: %d fires, want 1", m, n)
		}
		if n := f.at(time.Duration(m)*time.Minute + 30*time.Second); n != 0 {
			t.Fatalf("minute %d again: %d fires, want 0", m, n)
		}
	}
	equal(t, "fires", f.outcomes("tick"), []string{"00:01:00 started", "00:02:00 started", "00:03:00 started", "00:04:00 started", "00:05:00 started"})
	id := schedule.InstanceID("tick", t0.Add(3*time.Minute))
	inst, err := f.env.Engine.Get(t.Context(), id)
	// PostgreSQL keeps the spec as jsonb: params come back equal as JSON,
	// not byte for byte.
	if err != nil || inst.Workflow != "quick" || !sameJSON(inst.Params, `{"n":1}`) {
		t.Fatalf("instance %s: %+v %v", id, inst, err)
	}
	got, err := f.sch.Get(t.Context(), "tick")
	if err != nil || len(got.LastFires) != 5 || got.LastFires[0].InstanceID != schedule.InstanceID("tick", t0.Add(5*time.Minute)) {
		t.Fatalf("Get: %+v %v", got, err)
	}
}

func testAlreadyExisted(t *testing.T, open opener) {
	f := setup(t, open)
	f.create(schedule.Spec{ID: "s", Every: "1m", Workflow: "quick"})
	// The instance of 00:01 exists already (a worker started it and died
	// before recording the fire): nothing starts twice.
	if _, err := f.env.Engine.Create(t.Context(), "quick", nil, &ordo.CreateOptions{ID: schedule.InstanceID("s", t0.Add(time.Minute))}); err != nil {
		t.Fatal(err)
	}
	f.at(time.Minute)
	equal(t, "fires", f.outcomes("s"), []string{"00:01:00 already-existed"})
}

func testOverlap(t *testing.T, open opener) {
	tests := []struct {
		overlap schedule.Overlap
		want    []string // after fires at 1, 2, 3 minutes while the first runs
		after   []string // after the first ends and the clock moves on
	}{
		{schedule.OverlapSkip,
			[]string{"00:01:00 started", "00:02:00 skipped-overlap", "00:03:00 skipped-overlap"},
			[]string{"00:01:00 started", "00:02:00 skipped-overlap", "00:03:00 skipped-overlap"}},
		{schedule.OverlapBufferOne,
			[]string{"00:01:00 started", "00:02:00 pending", "00:03:00 skipped-overlap"},
			[]string{"00:01:00 started", "00:02:00 started", "00:03:00 skipped-overlap"}},
		{schedule.OverlapAllowAll,
			[]string{"00:01:00 started", "00:02:00 started", "00:03:00 started"},
			[]string{"00:01:00 started", "00:02:00 started", "00:03:00 started"}},
	}
	for _, tc := range tests {
		t.Run(string(tc.overlap), func(t *testing.T) {
			t.Parallel()
			f := setup(t, open)
			f.create(schedule.Spec{ID: "s", Every: "1m", Workflow: "block", Overlap: tc.overlap})
			first := schedule.InstanceID("s", t0.Add(time.Minute))
			f.at(time.Minute)
			f.waitStatus(first, ordo.StatusWaiting)
			f.at(2 * time.Minute)
			f.at(2*time.Minute + 2*time.Second) // a buffered fire looks again
			f.at(3 * time.Minute)
			equal(t, "while the first runs", f.outcomes("s"), tc.want)
			f.env.SendEvent(first, "go", "done")
			f.waitStatus(first, ordo.StatusComplete)
			f.at(3*time.Minute + 5*time.Second)
			equal(t, "after it ended", f.outcomes("s"), tc.after)
		})
	}
}

func testCatchupWindow(t *testing.T, open opener) {
	f := setup(t, open)
	f.create(schedule.Spec{ID: "s", Every: "1m", Workflow: "quick", Overlap: schedule.OverlapAllowAll, CatchupWindow: "3m"})
	// No worker ran for ten minutes: 00:01..00:06 are older than the window.
	f.at(10*time.Minute + 30*time.Second)
	equal(t, "after downtime", f.outcomes("s"), []string{
		"00:01:00 skipped-catchup", "00:02:00 skipped-catchup", "00:03:00 skipped-catchup", "00:04:00 skipped-catchup",
		"00:05:00 skipped-catchup", "00:06:00 skipped-catchup", "00:07:00 skipped-catchup",
		"00:08:00 started", "00:09:00 started", "00:10:00 started"})
	if n := f.at(10*time.Minute + 40*time.Second); n != 0 {
		t.Fatalf("%d fires again", n)
	}
}

func testPaused(t *testing.T, open opener) {
	f := setup(t, open)
	f.create(schedule.Spec{ID: "s", Every: "1m", Workflow: "quick", Paused: true, CatchupWindow: "90s", Overlap: schedule.OverlapAllowAll})
	if n := f.at(5 * time.Minute); n != 0 {
		t.Fatalf("paused schedule fired %d", n)
	}
	v, err := f.sch.Resume(t.Context(), "s")
	if err != nil || v.Paused {
		t.Fatalf("Resume: %+v %v", v, err)
	}
	f.at(5*time.Minute + 10*time.Second)
	equal(t, "after resume", f.outcomes("s"), []string{"00:01:00 skipped-catchup", "00:02:00 skipped-catchup",
		"00:03:00 skipped-catchup", "00:04:00 started", "00:05:00 started"})
	if v, err = f.sch.Pause(t.Context(), "s"); err != nil || !v.Paused {
		t.Fatalf("Pause: %+v %v", v, err)
	}
	if n := f.at(7 * time.Minute); n != 0 {
		t.Fatalf("paused again, fired %d", n)
	}
}

func testTriggerAndBackfill(t *testing.T, open opener) {
	f := setup(t, open)
	f.create(schedule.Spec{ID: "s", Cron: "0 * * * *", Workflow: "quick", Paused: true})
	f.env.Clock.Set(t0.Add(10*time.Hour + 30*time.Minute))
	ctx := t.Context()
	fire, err := f.sch.Trigger(ctx, "s")
	if err != nil || fire.Outcome != store.FireStarted || !fire.ScheduledAt.Equal(t0.Add(10*time.Hour+30*time.Minute)) {
		t.Fatalf("Trigger: %+v %v", fire, err)
	}
	if _, err := f.sch.Trigger(ctx, "s"); !errors.Is(err, ordo.ErrAlreadyExists) {
		t.Fatalf("second trigger in the same second: %v", err)
	}
	res, err := f.sch.Backfill(ctx, "s", t0.Add(2*time.Hour), t0.Add(5*time.Hour))
	if err != nil || len(res.Fires) != 4 || res.AlreadyFired != 0 {
		t.Fatalf("Backfill: %+v %v", res, err)
	}
	for _, fr := range res.Fires {
		if fr.Outcome != store.FireStarted {
			t.Errorf("backfill fire %s: %s", fr.ScheduledAt, fr.Outcome)
		}
	}
	if res, err = f.sch.Backfill(ctx, "s", t0.Add(time.Hour), t0.Add(5*time.Hour)); err != nil || len(res.Fires) != 1 || res.AlreadyFired != 4 {
		t.Fatalf("Backfill again: %+v %v", res, err)
	}
	for name, tc := range map[string][2]time.Time{
		"reversed":  {t0.Add(5 * time.Hour), t0.Add(time.Hour)},
		"future":    {t0, t0.Add(20 * time.Hour)},
		"too many":  {t0.Add(-2000 * time.Hour), t0},
		"zero from": {{}, t0},
	} {
		if _, err := f.sch.Backfill(ctx, "s", tc[0], tc[1]); !errors.Is(err, ordo.ErrInvalidArgument) {
			t.Errorf("backfill %s: %v, want ErrInvalidArgument", name, err)
		}
	}
	if _, err := f.sch.Backfill(ctx, "nope", t0, t0.Add(time.Hour)); !errors.Is(err, ordo.ErrNotFound) {
		t.Errorf("backfill of an unknown schedule: %v", err)
	}
}

func testManage(t *testing.T, open opener) {
	f := setup(t, open)
	ctx := t.Context()
	f.create(schedule.Spec{ID: "b", Every: "1h", Workflow: "quick"})
	f.create(schedule.Spec{ID: "a", Cron: "30 2 * * *", Timezone: "Europe/Berlin", Workflow: "quick"})
	if _, err := f.sch.Create(ctx, &schedule.Spec{ID: "a", Every: "1m", Workflow: "quick"}); !errors.Is(err, ordo.ErrAlreadyExists) {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := f.sch.Create(ctx, &schedule.Spec{ID: "c", Every: "1m", Workflow: "unknown"}); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("unknown workflow: %v", err)
	}
	if _, err := f.sch.Create(ctx, &schedule.Spec{ID: "c", Every: "1m", Flow: "f"}); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Errorf("flow without an order service: %v", err)
	}
	list, err := f.sch.List(ctx, "")
	if err != nil || len(list) != 2 || list[0].ID != "a" || list[0].Timezone != "Europe/Berlin" {
		t.Fatalf("List: %+v %v", list, err)
	}
	v, err := f.sch.Update(ctx, "b", json.RawMessage(`{"every":"15m","jitter":"10s"}`))
	if err != nil || v.Every != "15m" || v.Jitter != "10s" || !v.NextRunAt.Equal(t0.Add(15*time.Minute)) {
		t.Fatalf("Update: %+v %v", v, err)
	}
	for _, bad := range []string{`{"id":"z"}`, `{"every":"1ms"}`, `{"nope":1}`, `[]`, `{"cron":"* * * * *"}`} {
		if _, err := f.sch.Update(ctx, "b", json.RawMessage(bad)); !errors.Is(err, ordo.ErrInvalidArgument) {
			t.Errorf("patch %s: %v, want ErrInvalidArgument", bad, err)
		}
	}
	if v, err = f.sch.Update(ctx, "b", json.RawMessage(`{"every":null,"cron":"0 3 * * *"}`)); err != nil || v.Cron != "0 3 * * *" {
		t.Fatalf("Update to cron: %+v %v", v, err)
	}
	if err := f.sch.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sch.Get(ctx, "b"); !errors.Is(err, ordo.ErrNotFound) {
		t.Errorf("Get deleted: %v", err)
	}
	if err := f.sch.Delete(ctx, "b"); !errors.Is(err, ordo.ErrNotFound) {
		t.Errorf("Delete twice: %v", err)
	}
}

// orders is a fake order service recording the orders it was asked for.
type orders struct {
	mu  sync.Mutex
	ids map[string]string
}

func (o *orders) CheckOrder(ctx context.Context, flow string, order json.RawMessage) error {
	if flow != "box" {
		return fmt.Errorf("%w: flow %q is not applied", ordo.ErrNotFound, flow)
	}
	return nil
}

func (o *orders) StartOrder(ctx context.Context, flow, id string, order json.RawMessage) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.ids[id]; ok {
		return fmt.Errorf("%w: order %q", ordo.ErrAlreadyExists, id)
	}
	o.ids[id] = flow + " " + string(order)
	return nil
}

func testRecurringOrder(t *testing.T, open opener) {
	f := setup(t, open)
	o := &orders{ids: map[string]string{}}
	f.sch.SetOrders(o)
	f.create(schedule.Spec{ID: "box", Cron: "0 9 1 * *", Flow: "box", Order: json.RawMessage(`{"customer":{"email":"a@b.c"}}`)})
	f.at(31*24*time.Hour + 10*time.Hour)
	// January's fire is older than the catch-up window (1 h); February's runs.
	equal(t, "fires", f.outcomes("box"), []string{"09:00:00 skipped-catchup", "09:00:00 started"})
	want := schedule.InstanceID("box", time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC))
	if got, ok := o.ids[want]; !ok || !strings.HasPrefix(got, "box ") || !sameJSON([]byte(got[4:]), `{"customer":{"email":"a@b.c"}}`) {
		t.Fatalf("orders %v, want %s", o.ids, want)
	}
}

// TestLoop runs the scheduler's own loop on the virtual clock.
func testLoop(t *testing.T, open opener) {
	f := setup(t, open)
	f.create(schedule.Spec{ID: "s", Every: "1s", Workflow: "quick", Overlap: schedule.OverlapAllowAll})
	if err := f.sch.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := f.sch.Start(t.Context()); err == nil {
		t.Error("second Start succeeded")
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(f.outcomes("s")) < 3 && time.Now().Before(deadline) {
		f.env.Clock.Advance(time.Second) // fires the loop's timer
		time.Sleep(5 * time.Millisecond)
	}
	if got := f.outcomes("s"); len(got) < 3 {
		t.Fatalf("the loop fired %v", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.sch.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.sch.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

func testDeclare(t *testing.T, open opener) {
	f := setup(t, open)
	ctx := t.Context()
	specs := func(every string) []*schedule.Spec {
		return []*schedule.Spec{{ID: "a", Every: every, Workflow: "quick"}, {ID: "b", Cron: "0 3 * * *", Workflow: "quick"}}
	}
	for range 2 { // a second worker declares the same
		if err := f.sch.Declare(ctx, specs("1h")...); err != nil {
			t.Fatal(err)
		}
	}
	a, err := f.sch.Get(ctx, "a")
	if err != nil || a.Every != "1h" || !a.UpdatedAt.Equal(a.CreatedAt) {
		t.Fatalf("declared a: %+v %v", a, err)
	}
	if _, err := f.sch.Pause(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	f.env.Clock.Set(t0.Add(10 * time.Minute))
	if err := f.sch.Declare(ctx, specs("30m")...); err != nil {
		t.Fatal(err)
	}
	a, _ = f.sch.Get(ctx, "a")
	b, _ := f.sch.Get(ctx, "b")
	if a.Every != "30m" || !a.NextRunAt.Equal(t0.Add(30*time.Minute)) || !b.Paused {
		t.Fatalf("after redeclaring: a %+v, b paused %v", a, b.Paused)
	}
	if err := f.sch.Declare(ctx, &schedule.Spec{ID: "c", Every: "1ms", Workflow: "quick"}); !errors.Is(err, ordo.ErrInvalidArgument) {
		t.Fatalf("bad declared spec: %v", err)
	}
}

// sameJSON reports whether got and want are equal as JSON values.
func sameJSON(got []byte, want string) bool {
	var a, b any
	return json.Unmarshal(got, &a) == nil && json.Unmarshal([]byte(want), &b) == nil && fmt.Sprint(a) == fmt.Sprint(b)
}
