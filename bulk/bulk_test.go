package bulk_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/bulk"
	"github.com/ordohq/ordo/store"
)

func TestDryRun(t *testing.T) {
	t.Parallel()
	st := newCountingStore(openSQLite(t))
	b := setup(t, st, &bulk.Config{MaxInstances: 255})
	now := time.Now()
	ids := seed(t, st, "other", 250, now.Add(-time.Minute))
	seed(t, st, "keep", 10, now.Add(-time.Minute))
	seed(t, st, "later", 5, now.Add(time.Hour)) // created after the dry run's start

	pv, err := b.svc.DryRun(t.Context(), bulk.SourceInstances,
		&bulk.Request{Action: bulk.ActionTerminate, Filter: json.RawMessage(`{"workflow": "other", "status": "running"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if pv.Count != 250 || pv.Exceeded || pv.Max != 255 || len(pv.Sample) != bulk.SampleSize {
		t.Fatalf("preview: count %d exceeded %v max %d sample %d; want 250, false, 255, %d", pv.Count, pv.Exceeded, pv.Max, len(pv.Sample), bulk.SampleSize)
	}
	for i, it := range pv.Sample {
		if want := ids[len(ids)-1-i]; it.ID != want || it.Status != store.StatusRunning || it.Workflow != "other" {
			t.Errorf("sample %d: %+v, want %s running (newest first)", i, it, want)
		}
	}
	later, err := b.svc.DryRun(t.Context(), bulk.SourceInstances, &bulk.Request{Action: bulk.ActionPause,
		Filter: json.RawMessage(`{"workflow": "later"}`)})
	if err != nil || later.Count != 0 {
		t.Errorf("dry run of the instances created after its start: %v, count %d; want 0", err, later.Count)
	}
	if n := st.count(); n != 0 {
		t.Errorf("a dry run applied %d actions", n)
	}

	tests := []struct {
		name string
		req  bulk.Request
		want error
	}{
		{"unknown action", bulk.Request{Action: "explode"}, ordo.ErrInvalidArgument},
		{"unknown filter field", bulk.Request{Action: bulk.ActionTerminate, Filter: json.RawMessage(`{"stauts": "running"}`)}, ordo.ErrInvalidArgument},
		{"bad status", bulk.Request{Action: bulk.ActionTerminate, Filter: json.RawMessage(`{"status": "Running!"}`)}, ordo.ErrInvalidArgument},
		{"crossed times", bulk.Request{Action: bulk.ActionTerminate,
			Filter: json.RawMessage(`{"createdAfter": "2026-01-02T00:00:00Z", "createdBefore": "2026-01-01T00:00:00Z"}`)}, ordo.ErrInvalidArgument},
		{"paging in filter", bulk.Request{Action: bulk.ActionTerminate, Filter: json.RawMessage(`{"limit": 5}`)}, ordo.ErrInvalidArgument},
		{"fromStep without restart", bulk.Request{Action: bulk.ActionPause, FromStep: "a"}, ordo.ErrInvalidArgument},
	}
	for _, tc := range tests {
		_, err := b.svc.DryRun(t.Context(), bulk.SourceInstances, &tc.req)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: dry run %v, want %v", tc.name, err, tc.want)
		}
	}
	_, err = b.svc.Start(t.Context(), bulk.SourceInstances, &bulk.Request{Action: bulk.ActionPause})
	var tm *bulk.TooManyError
	if !errors.As(err, &tm) || !errors.Is(err, bulk.ErrTooMany) || tm.Max != 255 {
		t.Errorf("start over the bound: %v, want a *TooManyError of 255", err)
	}
	over, err := b.svc.DryRun(t.Context(), bulk.SourceInstances, &bulk.Request{Action: bulk.ActionPause})
	if err != nil || !over.Exceeded || over.Count != 260 {
		t.Errorf("dry run over the bound: %v, %+v", err, over)
	}
}

// TestRun terminates a few thousand instances on each backend and checks
// the progress, the set frozen at the start and the audit of every action.
func TestRun(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			t.Parallel()
			n := 2000
			if raceEnabled {
				n = 500
			}
			st := newCountingStore(be.open(t))
			b := setup(t, st, &bulk.Config{PageSize: 250, Concurrency: be.concurrency})
			now := time.Now()
			ids := seed(t, st, "other", n, now.Add(-time.Minute))
			keep := seed(t, st, "keep", 20, now.Add(-time.Minute))
			later := seed(t, st, "later", 20, now.Add(time.Hour))
			ctx := ordo.WithActor(t.Context(), "ops")
			j, err := b.svc.Start(ctx, bulk.SourceInstances, &bulk.Request{Action: bulk.ActionTerminate,
				Filter: json.RawMessage(`{"workflowPrefix": "o"}`), Reason: "shop closed"})
			if err != nil {
				t.Fatal(err)
			}
			if j.Progress.Total != n || j.Actor != "ops" || j.Reason != "shop closed" || j.Action != bulk.ActionTerminate {
				t.Fatalf("started job: %+v", j)
			}
			done := waitJob(t, b.svc, j.ID, 4*time.Minute)
			p := done.Progress
			if done.Status != store.StatusComplete || p.Processed != n || p.Succeeded != n || p.Failed != 0 || p.Skipped != 0 || p.Pages != n/250 {
				t.Fatalf("job: %s, progress %+v, error %+v", done.Status, p, done.Error)
			}
			if got := statuses(t, st, ids); got[store.StatusTerminated] != n {
				t.Errorf("statuses after the job: %v", got)
			}
			for _, other := range [][]string{keep, later} {
				if got := statuses(t, st, other); got[store.StatusRunning] != len(other) {
					t.Errorf("instances outside the filter or created after the start: %v", got)
				}
			}
			st.checkOnce(t, ids)
			for _, a := range st.audits[:5] {
				if a.Actor != "ops" || a.Reason != "shop closed" || a.Action != "terminate" || a.InstanceID == "" {
					t.Errorf("audit entry %+v: want terminate by ops for shop closed", a)
				}
			}
			inst, err := b.eng.Get(t.Context(), j.ID)
			if err != nil || inst.CustomStatus != fmt.Sprintf("%d of %d processed", n, n) {
				t.Errorf("job instance custom status %q (%v)", inst.CustomStatus, err)
			}
			page, err := b.svc.List(t.Context(), 0, "")
			if err != nil || len(page.Jobs) != 1 || page.Jobs[0].ID != j.ID || page.Jobs[0].Progress.Succeeded != n {
				t.Errorf("list: %v, %+v", err, page)
			}
		})
	}
}

// TestAudit: the start of a job and each action it applies are in the
// audit trail, by whoever started the job and with their reason.
func TestAudit(t *testing.T) {
	t.Parallel()
	st := newCountingStore(openSQLite(t))
	b := setup(t, st, nil)
	ids := seed(t, st, "other", 30, time.Now().Add(-time.Minute))
	ctx := ordo.WithActor(t.Context(), "alice")
	j, err := b.svc.Start(ctx, bulk.SourceInstances, &bulk.Request{Action: bulk.ActionCancel,
		Filter: json.RawMessage(`{"workflow": "other"}`), Reason: "customer asked"})
	if err != nil {
		t.Fatal(err)
	}
	if done := waitJob(t, b.svc, j.ID, time.Minute); done.Progress.Succeeded != 30 {
		t.Fatalf("job: %+v", done)
	}
	page, err := st.ActionList(t.Context(), &store.ActionListParams{Action: bulk.ActionStart})
	if err != nil || len(page.Actions) != 1 {
		t.Fatalf("bulk.start entries: %v, %+v", err, page)
	}
	if a := page.Actions[0]; a.Actor != "alice" || a.Reason != "customer asked" || a.InstanceID != j.ID || a.Target != "bulk/"+j.ID {
		t.Errorf("bulk.start entry: %+v", a)
	}
	page, err = st.ActionList(t.Context(), &store.ActionListParams{Action: "cancel", Limit: 100})
	if err != nil || len(page.Actions) != 30 {
		t.Fatalf("cancel entries: %v, %d", err, len(page.Actions))
	}
	for _, a := range page.Actions {
		if a.Actor != "alice" || a.Reason != "customer asked" {
			t.Errorf("cancel entry of %s: actor %q reason %q", a.InstanceID, a.Actor, a.Reason)
		}
	}
	st.checkOnce(t, ids)
}

// TestInterrupted stops the engine in the middle of a page and carries
// the job on with another engine on the same database: every instance is
// acted on exactly once, for terminate and for restart.
func TestInterrupted(t *testing.T) {
	t.Parallel()
	for _, be := range backends {
		for _, action := range []bulk.Action{bulk.ActionCancel, bulk.ActionTerminate, bulk.ActionRestart} {
			t.Run(be.name+"/"+string(action), func(t *testing.T) {
				t.Parallel()
				n := 600
				if raceEnabled {
					n = 300
				}
				st := newCountingStore(be.open(t))
				st.setGate(230) // in the middle of the third page
				b1 := setup(t, st, &bulk.Config{PageSize: 100})
				ids := seed(t, st, "other", n, time.Now().Add(-time.Minute))
				j, err := b1.svc.Start(t.Context(), bulk.SourceInstances, &bulk.Request{Action: action,
					Filter: json.RawMessage(`{"workflow": "other"}`), Reason: "r"})
				if err != nil {
					t.Fatal(err)
				}
				deadline := time.Now().Add(3 * time.Minute)
				for st.count() < 230 {
					if time.Now().After(deadline) {
						t.Fatalf("the job applied %d actions in 3 minutes", st.count())
					}
					time.Sleep(10 * time.Millisecond)
				}
				stopNow, cancel := contextDone()
				defer cancel()
				_ = b1.eng.Stop(stopNow) // cancels the page in flight
				mid, err := b1.svc.Get(t.Context(), j.ID)
				if err != nil {
					t.Fatal(err)
				}
				if mid.Done || mid.Progress.Pages != 2 || mid.Progress.Processed != 200 {
					t.Fatalf("after the stop: done %v, progress %+v; want 2 pages, 200 processed", mid.Done, mid.Progress)
				}
				st.setGate(0)
				b2 := setup(t, st, &bulk.Config{PageSize: 100})
				done := waitJob(t, b2.svc, j.ID, 4*time.Minute)
				p := done.Progress
				if done.Status != store.StatusComplete || p.Processed != n || p.Failed != 0 || p.Succeeded+p.Skipped != n || p.Skipped != 30 {
					t.Errorf("job: %s, progress %+v; want all processed, the 30 acted on before the stop skipped", done.Status, p)
				}
				st.checkOnce(t, ids)
			})
		}
	}
}
