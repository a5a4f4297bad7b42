package schedule

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
)

// diesBeforeRecording is a store whose fire outcomes are never written: a
// worker that dies after creating an instance and before recording it.
type diesBeforeRecording struct{ store.ScheduleStore }

func (diesBeforeRecording) ScheduleFireDone(context.Context, *store.ScheduleFire) error {
	return errors.New("worker died")
}

// TestCrashAfterCreate: the fire a dead worker held is taken over after
// its lease and recorded as already-existed; no second instance starts.
func TestCrashAfterCreate(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := ordotest.New(t, &ordotest.Options{Start: t0})
	env.Register(ordo.NewWorkflow("quick", func(ctx context.Context, _ struct{}) (string, error) { return "ok", nil }))
	log := slog.New(slog.DiscardHandler)
	dead, err := New(Config{Engine: env.Engine, Logger: log, Lease: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	live, err := New(Config{Engine: env.Engine, Logger: log, Lease: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	dead.st = diesBeforeRecording{dead.st}
	ctx := t.Context()
	if _, err := live.Create(ctx, &Spec{ID: "s", Every: "1m", Workflow: "quick"}); err != nil {
		t.Fatal(err)
	}
	run := func(s *Scheduler, d time.Duration) int {
		t.Helper()
		env.Clock.Set(t0.Add(d))
		n, err := s.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := run(dead, time.Minute); n != 1 {
		t.Fatalf("the dying worker took %d fires", n)
	}
	if n := run(live, time.Minute+20*time.Second); n != 0 {
		t.Fatalf("a leased fire was taken over early: %d", n)
	}
	if n := run(live, time.Minute+31*time.Second); n != 1 {
		t.Fatalf("the dead worker's fire was not taken over: %d", n)
	}
	fires, err := live.st.ScheduleFires(ctx, "s", 10)
	if err != nil || len(fires) != 1 || fires[0].Outcome != store.FireAlreadyExisted {
		t.Fatalf("fires: %+v %v", fires, err)
	}
	page, err := env.Engine.List(ctx, &ordo.ListOptions{Workflow: "quick"})
	if err != nil || len(page.Instances) != 1 || page.Instances[0].ID != InstanceID("s", t0.Add(time.Minute)) {
		t.Fatalf("instances: %+v %v", page, err)
	}
}

func TestJitter(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seen := map[time.Duration]bool{}
	for i := range 100 {
		tm := at.Add(time.Duration(i) * time.Minute)
		j := jitterOf("s", tm, 30*time.Second)
		if j < 0 || j > 30*time.Second || j != jitterOf("s", tm, 30*time.Second) {
			t.Fatalf("jitter %s out of range or not stable", j)
		}
		seen[j] = true
	}
	if len(seen) < 50 {
		t.Errorf("only %d distinct jitters in 100 fires", len(seen))
	}
	if jitterOf("s", at, 0) != 0 {
		t.Error("jitter without a bound")
	}
}

// TestJitterDelaysFire: a fire starts only once its jitter has passed.
func TestJitterDelaysFire(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := ordotest.New(t, &ordotest.Options{Start: t0})
	env.Register(ordo.NewWorkflow("quick", func(ctx context.Context, _ struct{}) (string, error) { return "ok", nil }))
	s, err := New(Config{Engine: env.Engine, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := s.Create(ctx, &Spec{ID: "s", Every: "1m", Jitter: "30s", Workflow: "quick"}); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Minute)
	j := jitterOf("s", at, 30*time.Second)
	if j < time.Second {
		t.Skipf("jitter %s too small to observe", j) // fixed by the hash: does not happen for this id
	}
	for _, step := range []struct {
		now  time.Time
		want int
	}{{at, 0}, {at.Add(j - time.Millisecond), 0}, {at.Add(j), 1}} {
		env.Clock.Set(step.now)
		if n, err := s.RunOnce(ctx); err != nil || n != step.want {
			t.Fatalf("at +%s: %d fires (%v), want %d", step.now.Sub(at), n, err, step.want)
		}
	}
}

// TestFarBehind: a schedule a year behind (every 1s) records at most 100
// skipped fires and runs the ones inside its window, in one bounded claim.
func TestFarBehind(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	env := ordotest.New(t, &ordotest.Options{Start: t0})
	env.Register(ordo.NewWorkflow("quick", func(ctx context.Context, _ struct{}) (string, error) { return "ok", nil }))
	s, err := New(Config{Engine: env.Engine, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := s.Create(ctx, &Spec{ID: "s", Every: "1s", CatchupWindow: "3s", Overlap: OverlapAllowAll, Workflow: "quick"}); err != nil {
		t.Fatal(err)
	}
	now := t0.Add(365 * 24 * time.Hour)
	env.Clock.Set(now)
	if _, err := s.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	fires, err := s.st.ScheduleFires(ctx, "s", store.MaxScheduleList)
	if err != nil {
		t.Fatal(err)
	}
	started, skipped := 0, 0
	for _, f := range fires {
		switch f.Outcome {
		case store.FireStarted:
			started++
			if f.ScheduledAt.Before(now.Add(-3 * time.Second)) {
				t.Errorf("fire %s started outside the window", f.ScheduledAt)
			}
		case store.FireSkippedCatchup:
			skipped++
		}
	}
	if started != 4 || skipped != maxSkippedRecorded {
		t.Fatalf("%d started, %d skipped recorded; want 4 and %d", started, skipped, maxSkippedRecorded)
	}
	row, _ := s.st.ScheduleGet(ctx, "s")
	if !row.NextRunAt.Equal(now.Add(time.Second)) {
		t.Fatalf("next run %s, want %s", row.NextRunAt, now.Add(time.Second))
	}
}
