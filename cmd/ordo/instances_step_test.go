package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
)

// TestInstancesStepResultCommands: describe shows what an asynchronous
// step awaits; fail-step retries it, complete-step finishes it, and a
// result for a step that does not wait reads as a 409 step_not_waiting.
func TestInstancesStepResultCommands(t *testing.T) {
	deliver := ordo.NewWorkflow("deliver", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.DoAsync[string](ctx, "courier", &ordo.StepOptions{Retries: &ordo.RetryPolicy{Limit: 1}},
			func(context.Context, ordo.StepInfo) error { return nil })
	})
	server := startAPI(t, deliver)
	if _, _, err := runCLI(t, "instances", "create", "deliver", "--id", "d-1", "--server", server); err != nil {
		t.Fatal(err)
	}
	out := waitCLI(t, server, "d-1", "waiting")
	if !strings.Contains(out, "the result of asynchronous step courier#1, attempt 1") {
		t.Fatalf("describe does not say what the step awaits:\n%s", out)
	}
	if _, _, err := runCLI(t, "instances", "fail-step", "d-1", "courier#1", "--server", server); err == nil || !strings.Contains(err.Error(), "--error") {
		t.Fatalf("fail-step without --error: %v", err)
	}
	if out, _, err := runCLI(t, "instances", "fail-step", "d-1", "courier#1", "--error", "van broke", "--server", server); err != nil || !strings.Contains(out, "failed") {
		t.Fatalf("fail-step: %q %v", out, err)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out, "attempt 2"); {
		if time.Now().After(deadline) {
			t.Fatalf("the step never waited on attempt 2:\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
		out = waitCLI(t, server, "d-1", "waiting")
	}
	if out, _, err := runCLI(t, "instances", "complete-step", "d-1", "courier#1", "--output", `"at the door"`, "--server", server); err != nil || !strings.Contains(out, "completed") {
		t.Fatalf("complete-step: %q %v", out, err)
	}
	if out := waitCLI(t, server, "d-1", "complete"); !strings.Contains(out, `"at the door"`) {
		t.Fatalf("output not shown:\n%s", out)
	}
	_, _, err := runCLI(t, "instances", "complete-step", "d-1", "courier#1", "--server", server)
	if err == nil || !strings.Contains(err.Error(), "step_not_waiting") {
		t.Fatalf("complete-step on a completed step: %v", err)
	}
}

// TestInstancesDescribeChildren: describe shows a child's parent and a
// parent's children; list --parent lists them.
func TestInstancesDescribeChildren(t *testing.T) {
	kid := ordo.NewWorkflow("kid", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.WaitForEvent[string](ctx, "go", "go", time.Hour)
	})
	mum := ordo.NewWorkflow("mum", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.ExecuteChild(ctx, "kid", kid, struct{}{}, &ordo.ChildOptions{Policy: ordo.ChildAbandon})
	})
	server := startAPI(t, kid, mum)
	if _, _, err := runCLI(t, "instances", "create", "mum", "--id", "m-1", "--server", server); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, _, err := runCLI(t, "instances", "describe", "m-1:kid-1", "--server", server); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child was never created")
		}
	}
	out := waitCLI(t, server, "m-1:kid-1", "waiting")
	if !strings.Contains(out, "Parent    m-1 (step kid#1; on its terminate or cancel: abandon)") {
		t.Fatalf("child describe:\n%s", out)
	}
	out = waitCLI(t, server, "m-1", "waiting")
	if !strings.Contains(out, "Children") || !strings.Contains(out, "m-1:kid-1") {
		t.Fatalf("parent describe:\n%s", out)
	}
	out, _, err := runCLI(t, "instances", "list", "--parent", "m-1", "--server", server)
	if err != nil || !strings.Contains(out, "m-1:kid-1") || strings.Contains(out, "m-1 ") {
		t.Fatalf("list --parent: %q %v", out, err)
	}
}
