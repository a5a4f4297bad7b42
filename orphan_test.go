package ordo_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
)

// String returns what was written so far.
func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestUnregisteredWorkflow: an instance whose workflow the running engine
// has not registered is reported with reason unregistered_workflow (Get
// and List), and the engine logs at start the workflows left so, with
// their counts; an engine that is not running says nothing of it.
func TestUnregisteredWorkflow(t *testing.T) {
	for _, bk := range matchStores {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			st := bk.open(t)
			wf := func(name string) ordo.Definition {
				return ordo.NewWorkflow(name, func(ctx context.Context, _ struct{}) (int, error) {
					return 1, ordo.Sleep(ctx, "nap", time.Hour)
				})
			}
			// The code of "gone" ran here once, before it was removed.
			old, err := ordo.NewEngine(ordo.Config{Store: st, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			mustRegister(t, old, wf("gone"), wf("kept"))
			for _, id := range []string{"gone-1", "gone-2"} {
				if _, err := old.Create(t.Context(), "gone", json.RawMessage(`{}`), &ordo.CreateOptions{ID: id}); err != nil {
					t.Fatal(err)
				}
			}
			if in, err := old.Get(t.Context(), "gone-1"); err != nil || in.Reason != "" {
				t.Fatalf("not running: reason %q (%v), want none", in.Reason, err)
			}

			var logs syncBuffer
			e, err := ordo.NewEngine(ordo.Config{Store: st, PollInterval: 5 * time.Millisecond,
				Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			mustRegister(t, e, wf("kept"))
			startEngine(t, e)
			kept, err := e.Create(t.Context(), "kept", json.RawMessage(`{}`), nil)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, e, kept.ID, "its sleep", func(in *ordo.Instance) bool { return in.Status == ordo.StatusWaiting })
			got, err := e.Get(t.Context(), "gone-1")
			if err != nil || got.Reason != ordo.ReasonUnregisteredWorkflow {
				t.Errorf("Get gone-1: reason %q (%v), want %s", got.Reason, err, ordo.ReasonUnregisteredWorkflow)
			}
			if b, _ := json.Marshal(got); !strings.Contains(string(b), `"reason":"unregistered_workflow"`) {
				t.Errorf("JSON %s has no reason", b)
			}
			page, err := e.List(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range page.Instances {
				want := ordo.InstanceReason("")
				if in.Workflow == "gone" {
					want = ordo.ReasonUnregisteredWorkflow
				}
				if in.Reason != want {
					t.Errorf("List %s (%s): reason %q, want %q", in.ID, in.Workflow, in.Reason, want)
				}
			}
			deadline := time.Now().Add(20 * time.Second)
			for !strings.Contains(logs.String(), "has not registered") && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			var line string
			for _, l := range strings.Split(logs.String(), "\n") {
				if strings.Contains(l, "has not registered") {
					line = l
				}
			}
			if !strings.Contains(line, `"workflows":[{"workflow":"gone","count":2}]`) || !strings.Contains(line, `"instances":2`) {
				t.Errorf("start log line %q does not list gone with 2 instances", line)
			}
		})
	}
}
