package metrics_test

import (
	"context"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/retention"
)

// TestRetentionMetrics: a pass that deletes counts its instances and an
// ok pass; one that finds the purge lock held counts a busy pass.
func TestRetentionMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	quick := ordo.NewWorkflow("quick", func(context.Context, struct{}) (string, error) { return "ok", nil })
	if err := b.e.Register(quick); err != nil {
		t.Fatal(err)
	}
	if err := b.e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		inst, err := quick.Create(ctx, b.e, struct{}{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b.wait(t, inst.ID)
	}
	svc, err := retention.New(retention.Config{Engine: b.e, Period: time.Nanosecond, OnPass: b.m.RetentionPass})
	if err != nil {
		t.Fatal(err)
	}
	check(t, b.scrape(t), []want{
		{"ordo_retention_deleted_total", nil, 0},
		{"ordo_retention_passes_total", []string{"outcome", "ok"}, 0},
		{"ordo_retention_last_pass_timestamp_seconds", nil, 0},
	})
	if p := svc.RunOnce(ctx); p.Deleted != 3 {
		t.Fatalf("pass: %+v; want 3 deleted", p)
	}
	unlock, ok, err := b.st.PurgeLock(ctx)
	if err != nil || !ok {
		t.Fatalf("PurgeLock: %v %v", ok, err)
	}
	if p := svc.RunOnce(ctx); !p.Busy {
		t.Fatalf("pass while the lock is held: %+v; want busy", p)
	}
	unlock()
	fams := b.scrape(t)
	check(t, fams, []want{
		{"ordo_retention_deleted_total", nil, 3},
		{"ordo_retention_passes_total", []string{"outcome", "ok"}, 1},
		{"ordo_retention_passes_total", []string{"outcome", "busy"}, 1},
		{"ordo_retention_passes_total", []string{"outcome", "error"}, 0},
	})
	if fams.Value(t, "ordo_retention_last_pass_timestamp_seconds") <= 0 {
		t.Error("no time of the last pass")
	}
}
