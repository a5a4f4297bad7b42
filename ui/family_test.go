package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/ui"
)

// TestInstanceFamily: a parent's page links to its children, a child's
// page to its parent; an instance without either shows neither.
func TestInstanceFamily(t *testing.T) {
	env := ordotest.New(t, &ordotest.Options{Start: time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)})
	kid := ordo.NewWorkflow("kid", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.WaitForEvent[string](ctx, "go", "go", time.Hour)
	})
	mum := ordo.NewWorkflow("mum", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.ExecuteChild(ctx, "kid", kid, struct{}{}, &ordo.ChildOptions{Policy: ordo.ChildCancel})
	})
	env.Register(kid, mum)
	h, err := ui.New(ui.Config{Engine: env.Engine, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	f := serveFixture(t, env, h)
	if _, err := env.Engine.Create(t.Context(), "mum", nil, &ordo.CreateOptions{ID: "m1"}); err != nil {
		t.Fatal(err)
	}
	env.WaitStatus("m1", ordo.StatusWaiting)
	r := f.get("/ui/instances/m1")
	if r.status != http.StatusOK || !strings.Contains(r.body, `href="/ui/instances/m1:kid-1"`) || !strings.Contains(r.body, "Parent and children") {
		t.Fatalf("parent page %d does not link its child:\n%s", r.status, r.body)
	}
	r = f.get("/ui/instances/m1:kid-1")
	if r.status != http.StatusOK || !strings.Contains(r.body, `Child of <a class="mono" href="/ui/instances/m1">m1</a>`) ||
		!strings.Contains(r.body, "on its terminate or cancel: cancel") {
		t.Fatalf("child page %d does not link its parent:\n%s", r.status, r.body)
	}
	env.SendEvent("m1:kid-1", "go", "x")
	env.WaitDone("m1")
	if _, err := env.Engine.Create(t.Context(), "kid", nil, &ordo.CreateOptions{ID: "alone"}); err != nil {
		t.Fatal(err)
	}
	if r := f.get("/ui/instances/alone"); strings.Contains(r.body, "Parent and children") {
		t.Errorf("an instance without parent or children shows the section")
	}
}
