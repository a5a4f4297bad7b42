package schedule_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store"
)

// TestManageAudit: every management call records its entry, with the
// fields an update changed before and after.
func TestManageAudit(t *testing.T) {
	for backend, open := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			f := setup(t, open)
			ctx := ordo.WithReason(ordo.WithActor(t.Context(), "ops"), "quiet hours")
			if _, err := f.sch.Create(ctx, &schedule.Spec{ID: "tick", Every: "1m", Workflow: "quick"}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.sch.Update(ctx, "tick", json.RawMessage(`{"every":"5m"}`)); err != nil {
				t.Fatal(err)
			}
			if _, err := f.sch.Pause(ctx, "tick"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.sch.Resume(t.Context(), "tick"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.sch.Trigger(ctx, "tick"); err != nil {
				t.Fatal(err)
			}
			f.env.Clock.Set(t0.Add(time.Hour))
			if _, err := f.sch.Backfill(ctx, "tick", t0, t0.Add(10*time.Minute)); err != nil {
				t.Fatal(err)
			}
			if err := f.sch.Delete(ctx, "tick"); err != nil {
				t.Fatal(err)
			}
			if _, err := f.sch.Update(ctx, "tick", json.RawMessage(`{"every":"2m"}`)); err == nil {
				t.Fatal("update of a deleted schedule succeeded")
			}
			page, err := f.store.(store.ActionStore).ActionList(t.Context(), &store.ActionListParams{Target: "schedule/tick"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range page.Actions {
				got = append(got, a.Actor+" "+a.Action+" "+a.Reason)
			}
			want := []string{"ops schedule.delete quiet hours", "ops schedule.backfill quiet hours", "ops schedule.trigger quiet hours",
				"local schedule.resume ", "ops schedule.pause quiet hours", "ops schedule.update quiet hours", "ops schedule.create quiet hours"}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			update := page.Actions[5]
			if string(update.Before) != `{"every":"1m"}` || string(update.After) != `{"every":"5m"}` {
				t.Errorf("update before %s after %s, want only the changed field", update.Before, update.After)
			}
			if p := page.Actions[4]; string(p.Before) != `{"paused":false}` || string(p.After) != `{"paused":true}` {
				t.Errorf("pause before %s after %s", p.Before, p.After)
			}
			if d := page.Actions[0]; !strings.Contains(string(d.Before), `"workflow":"quick"`) || d.After != nil {
				t.Errorf("delete before %s after %s, want the schedule as it was", d.Before, d.After)
			}
		})
	}
}
