package metrics_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// TestLeaseMetrics: an instance whose worker died mid-step is taken over
// (a takeover, and a cut-off attempt before the step runs again); a run
// whose instance another worker claims meanwhile loses its lease, counted
// once although both its commit and its heartbeat may learn it.
func TestLeaseMetrics(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	ctx := context.Background()
	now := time.Now()
	if _, err := b.st.InstanceCreate(ctx, &store.InstanceCreateParams{ID: "ghosted", Workflow: "charge", Params: json.RawMessage(`{}`), Now: now.Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if got, err := b.st.InstanceClaim(ctx, &store.ClaimParams{Owner: "ghost", Limit: 1, Now: now.Add(-time.Minute), LeaseUntil: now.Add(-time.Second)}); err != nil || len(got) != 1 {
		t.Fatalf("ghost claim: %v %v", got, err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	charge := ordo.NewWorkflow("charge", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "charge", nil, func(context.Context) (string, error) { return "paid", nil })
	})
	stolen := ordo.NewWorkflow("stolen", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "slow", nil, func(context.Context) (string, error) {
			close(started)
			<-release
			return "late", nil
		})
	})
	if err := b.e.Register(charge, stolen); err != nil {
		t.Fatal(err)
	}
	if err := b.e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	b.wait(t, "ghosted")
	inst, err := stolen.Create(ctx, b.e, struct{}{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	<-started
	// Another worker claims the instance as if its lease had run out.
	if got, err := b.st.InstanceClaim(ctx, &store.ClaimParams{Owner: "thief", Limit: 1, Now: now.Add(time.Hour),
		LeaseUntil: now.Add(2 * time.Hour), Workflows: []string{"stolen"}}); err != nil || len(got) != 1 || got[0].ID != inst.ID {
		t.Fatalf("thief claim: %v %v", got, err)
	}
	close(release)
	b.settle(t, want{"ordo_lease_losses_total", []string{"workflow", "stolen"}, 1},
		want{"ordo_instances_finished_total", []string{"workflow", "charge"}, 1})
	check(t, b.scrape(t), []want{
		{"ordo_lease_takeovers_total", []string{"workflow", "charge"}, 1},
		{"ordo_lease_takeovers_total", []string{"workflow", "stolen"}, 0},
		{"ordo_lease_losses_total", []string{"workflow", "stolen"}, 1},
		{"ordo_lease_losses_total", []string{"workflow", "charge"}, 0},
		{"ordo_step_attempts_total", []string{"workflow", "charge", "step", "charge", "outcome", "cut_off"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", "charge", "step", "charge", "outcome", "success"}, 1},
		// The cut-off attempt did not run here: no duration.
		{"ordo_step_attempt_duration_seconds", []string{"workflow", "charge", "step", "charge"}, 1},
		{"ordo_step_attempts_total", []string{"workflow", "stolen", "step", "slow"}, 0},
		// The ghost's first claim was its own; this engine started only
		// the stolen instance.
		{"ordo_instances_started_total", []string{"workflow", "charge"}, 0},
		{"ordo_instances_started_total", []string{"workflow", "stolen"}, 1},
	})
}
