package api_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/memory"
)

// setupAsync serves an engine with "ship", whose asynchronous step
// "ship" retries once.
func setupAsync(t *testing.T) (*httptest.Server, *ordo.Engine) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	e, err := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: log, PollInterval: 10 * time.Millisecond, MaxPayloadBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	ship := ordo.NewWorkflow("ship", func(ctx context.Context, _ struct{}) (map[string]string, error) {
		return ordo.DoAsync[map[string]string](ctx, "ship", &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 1}},
			func(context.Context, ordo.StepInfo) error { return nil })
	})
	if err := e.Register(ship); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: e, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	return hs, e
}

// waitStepAttempt waits until the instance waits on attempt n of ship#1.
func waitStepAttempt(t *testing.T, e *ordo.Engine, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		in, err := e.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range in.Steps {
			if st.Key == "ship#1" && st.Status == store.StepWaiting && st.Attempts == n && st.WakeAt != nil && in.Status == ordo.StatusWaiting {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s never waited on attempt %d of ship#1", id, n)
}

// TestStepResultRoutes: fail retries the step, complete finishes it; a
// second result is 409 step_not_waiting; bad input is a JSON 400/404/413
// naming the problem; each result is in the audit trail.
func TestStepResultRoutes(t *testing.T) {
	hs, e := setupAsync(t)
	call(t, hs, "POST", "/v1/workflows/ship/instances", `{"id": "s1"}`)
	waitStepAttempt(t, e, "s1", 1)
	bad := []struct {
		path, body string
		status     int
		code       string
	}{
		{"/v1/instances/s1/steps/ship%231/fail", `{}`, 400, "invalid_argument"},
		{"/v1/instances/s1/steps/ship%231/fail", `{"error": "x", "extra": 1}`, 400, "invalid_json"},
		{"/v1/instances/s1/steps/ship%231/fail", `{"error": "` + strings.Repeat("x", 5000) + `"}`, 400, "invalid_argument"},
		{"/v1/instances/s1/steps/ship%231/complete", `{"output": ` + `"` + strings.Repeat("x", 5000) + `"}`, 413, "payload_too_large"},
		{"/v1/instances/s1/steps/ship%231/complete", `{"output": {`, 400, "invalid_json"},
		{"/v1/instances/s1/steps/nope%231/complete", `{}`, 404, "not_found"},
		{"/v1/instances/nobody/steps/ship%231/complete", `{}`, 404, "not_found"},
		{"/v1/instances/s1/steps/a%00b/complete", `{}`, 400, "invalid_argument"},
	}
	for _, tc := range bad {
		if code, out := call(t, hs, "POST", tc.path, tc.body); code != tc.status || errCode(out) != tc.code {
			t.Errorf("POST %s %.40s: %d %v, want %d %s", tc.path, tc.body, code, out, tc.status, tc.code)
		}
	}
	// Paused, the instance does not take the failure yet: a second result
	// of the same attempt is refused.
	call(t, hs, "POST", "/v1/instances/s1/pause", "")
	if code, out := call(t, hs, "POST", "/v1/instances/s1/steps/ship%231/fail", `{"error": "carrier down"}`); code != 202 {
		t.Fatalf("fail: %d %v", code, out)
	}
	if code, out := call(t, hs, "POST", "/v1/instances/s1/steps/ship%231/fail", `{"error": "again"}`); code != 409 || errCode(out) != api.CodeStepNotWaiting {
		t.Errorf("second failure before it was taken: %d %v, want 409 %s", code, out, api.CodeStepNotWaiting)
	}
	call(t, hs, "POST", "/v1/instances/s1/resume", "")
	waitStepAttempt(t, e, "s1", 2)
	if code, out := call(t, hs, "POST", "/v1/instances/s1/steps/ship%231/complete", `{"output": {"tracking": "T9"}}`); code != 202 {
		t.Fatalf("complete: %d %v", code, out)
	}
	done := waitStatus(t, hs, "s1", "complete")
	if o, _ := done["output"].(map[string]any); o["tracking"] != "T9" {
		t.Errorf("output %v", done["output"])
	}
	if code, out := call(t, hs, "POST", "/v1/instances/s1/steps/ship%231/complete", `{"output": 1}`); code != 409 || errCode(out) != api.CodeStepNotWaiting {
		t.Errorf("complete a completed step: %d %v", code, out)
	}
	page, err := e.Actions(context.Background(), &store.ActionListParams{InstanceID: "s1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range page.Actions {
		if strings.HasPrefix(a.Action, "step.") {
			got = append(got, a.Action+" "+a.Target)
		}
	}
	if strings.Join(got, ",") != "step.complete step/ship#1,step.fail step/ship#1" {
		t.Errorf("audit trail %v, want the failure then the completion (newest first)", got)
	}
}

// TestChildRoutes: a child's JSON names its parent and the parent's step;
// GET /v1/instances?parent= lists a parent's children; an event type of
// the engine's own is refused.
func TestChildRoutes(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	e, err := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: log, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	kid := ordo.NewWorkflow("kid", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.WaitForEvent[string](ctx, "go", "go", time.Hour)
	})
	mum := ordo.NewWorkflow("mum", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.ExecuteChild(ctx, "kid", kid, struct{}{}, &ordo.ChildOptions{Policy: ordo.ChildCancel})
	})
	if err := e.Register(kid, mum); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: e, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	call(t, hs, "POST", "/v1/workflows/mum/instances", `{"id": "m1"}`)
	child := waitStatus(t, hs, "m1:kid-1", "waiting")
	if child["parentId"] != "m1" || child["parentStep"] != "kid#1" || child["childPolicy"] != "cancel" {
		t.Fatalf("child JSON %v", child)
	}
	code, out := call(t, hs, "GET", "/v1/instances?parent=m1", "")
	list, _ := out["instances"].([]any)
	if code != 200 || len(list) != 1 || list[0].(map[string]any)["id"] != "m1:kid-1" {
		t.Fatalf("children of m1: %d %v", code, out)
	}
	if code, out := call(t, hs, "GET", "/v1/instances?parent="+strings.Repeat("x", 2000), ""); code != 400 || errCode(out) != "invalid_argument" ||
		!strings.Contains(out["error"].(map[string]any)["message"].(string), "parent") {
		t.Errorf("an oversized parent filter: %d %v", code, out)
	}
	if code, out := call(t, hs, "POST", "/v1/instances/m1/events", `{"type": "ordo.child:m1:kid-1", "payload": {}}`); code != 400 || errCode(out) != "invalid_argument" {
		t.Errorf("a forged child result: %d %v", code, out)
	}
	call(t, hs, "POST", "/v1/instances/m1:kid-1/events", `{"type": "go", "payload": "now"}`)
	if done := waitStatus(t, hs, "m1", "complete"); done["output"] != "now" {
		t.Errorf("m1 output %v", done["output"])
	}
}
