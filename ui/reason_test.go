package ui_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store/memory"
	"github.com/ordohq/ordo/ui"
)

// TestInstanceUnregisteredWorkflow: an instance whose workflow the
// running engine has not registered is shown as such on its page and in
// the list, not as a sleep that is overdue.
func TestInstanceUnregisteredWorkflow(t *testing.T) {
	t.Parallel()
	st := memory.New()
	old, err := ordo.NewEngine(ordo.Config{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Register(ordo.NewWorkflow("gone", func(ctx context.Context, _ struct{}) (int, error) {
		return 1, ordo.Sleep(ctx, "nap", time.Minute)
	})); err != nil {
		t.Fatal(err)
	}
	if err := old.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Create(t.Context(), "gone", json.RawMessage(`{}`), &ordo.CreateOptions{ID: "g-1"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		in, err := old.Get(t.Context(), "g-1")
		if err != nil {
			t.Fatal(err)
		}
		if in.Status == ordo.StatusWaiting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("g-1 never slept: %s", in.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := old.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	env := ordotest.New(t, &ordotest.Options{Store: st, Start: time.Now().Add(time.Hour)})
	env.Register(testWorkflows(env.Clock)...)
	h, err := ui.New(ui.Config{Engine: env.Engine, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	f := serveFixture(t, env, h)
	r := f.get("/ui/instances/g-1")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	mustContain(t, "instance page", r.body, `<span class="badge reason">unregistered workflow</span>`,
		`No worker of this server has registered workflow <code>gone</code>`, "Was to wake at ", "not running: workflow <code>gone</code> is not registered")
	mustNotContain(t, "instance page", r.body, "Sleeping until")
	r = f.get("/ui/")
	mustContain(t, "list", r.body, `<span class="badge reason" title="No worker of this server has registered workflow gone: the instance does not run">unregistered workflow</span>`)
}
