package schedule_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// TestManyWorkersPostgres: three engines, each with its own connection
// pool and scheduler, share one PostgreSQL schema and one virtual clock.
// They claim at the same moments; one stops half-way. Every scheduled
// time of an "every 1s" schedule fires exactly once.
func TestManyWorkersPostgres(t *testing.T) {
	t.Parallel()
	url, _ := pgtest.Schema(t)
	clock := ordotest.NewClock(t0)
	logger := slog.New(slog.DiscardHandler)
	const workers, seconds = 3, 40
	var (
		scheds []*schedule.Scheduler
		first  store.ScheduleStore
		eng0   *ordo.Engine
	)
	for i := range workers {
		st, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if i == 0 {
			if err := st.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			first = st
		}
		eng, err := ordo.NewEngine(ordo.Config{Store: st, Clock: clock, Logger: logger, WorkerID: fmt.Sprintf("w%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		// Never started, but creating instances starts its committer: Stop ends it.
		t.Cleanup(func() { _ = eng.Stop(context.Background()) })
		if err := eng.Register(ordo.NewWorkflow("quick", func(ctx context.Context, _ struct{}) (string, error) { return "ok", nil })); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			eng0 = eng
		}
		sch, err := schedule.New(schedule.Config{Engine: eng, Logger: logger, Batch: 2})
		if err != nil {
			t.Fatal(err)
		}
		scheds = append(scheds, sch)
	}
	for _, id := range []string{"a", "b", "c"} {
		if _, err := scheds[0].Create(t.Context(), &schedule.Spec{ID: id, Every: "1s", Workflow: "quick", Overlap: schedule.OverlapAllowAll}); err != nil {
			t.Fatal(err)
		}
	}
	for s := 1; s <= seconds; s++ {
		clock.Set(t0.Add(time.Duration(s) * time.Second))
		var wg sync.WaitGroup
		for i, sch := range scheds {
			if i == 2 && s > seconds/2 {
				continue // this worker is gone
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := sch.RunOnce(t.Context()); err != nil {
					t.Errorf("worker %d at %ds: %v", i, s, err)
				}
			}()
		}
		wg.Wait()
	}
	for _, id := range []string{"a", "b", "c"} {
		fires, err := first.ScheduleFires(t.Context(), id, store.MaxScheduleList)
		if err != nil {
			t.Fatal(err)
		}
		if len(fires) != seconds {
			t.Errorf("schedule %s: %d fires, want %d", id, len(fires), seconds)
		}
		for _, f := range fires {
			if f.Outcome != store.FireStarted {
				t.Errorf("schedule %s at %s: %s (%s)", id, f.ScheduledAt.Format("15:04:05"), f.Outcome, f.Error)
			}
		}
	}
	page, err := eng0.List(t.Context(), &ordo.ListOptions{Workflow: "quick", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Instances) != 3*seconds {
		t.Errorf("%d instances, want %d", len(page.Instances), 3*seconds)
	}
}
