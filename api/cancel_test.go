package api_test

import (
	"strings"
	"testing"
)

// TestCancelAndCompensationRoutes: POST /v1/instances/{id}/cancel rolls a
// waiting instance back to cancelled with the reason; the compensation
// routes answer 404 for an unknown action or step and 409 for a step whose
// compensation did not fail.
func TestCancelAndCompensationRoutes(t *testing.T) {
	hs, _ := setup(t)
	call(t, hs, "POST", "/v1/workflows/approve/instances", `{"id": "c1"}`)
	waitStatus(t, hs, "c1", "waiting")
	code, out := call(t, hs, "POST", "/v1/instances/c1/cancel", `{"reason": "customer called"}`)
	if rb, _ := out["rollback"].(map[string]any); code != 200 || rb["status"] != "cancelled" {
		t.Fatalf("cancel %d %v", code, out)
	}
	done := waitStatus(t, hs, "c1", "cancelled")
	if e, _ := done["error"].(map[string]any); e["kind"] != "cancelled" || !strings.Contains(e["message"].(string), "customer called") {
		t.Fatalf("cancelled instance error %v", done["error"])
	}
	if code, out := call(t, hs, "POST", "/v1/instances/c1/cancel", ""); code != 409 || errCode(out) != "invalid_transition" {
		t.Fatalf("cancel twice %d %v", code, out)
	}
	if code, out := call(t, hs, "POST", "/v1/instances/c1/cancel", `{"reason": 3}`); code != 400 {
		t.Fatalf("cancel with a bad body %d %v", code, out)
	}
	if code, out := call(t, hs, "POST", "/v1/instances/c1/steps/wait%231/compensation/undo", `{}`); code != 404 || errCode(out) != "not_found" {
		t.Fatalf("unknown compensation action %d %v", code, out)
	}
	if code, out := call(t, hs, "POST", "/v1/instances/c1/steps/nope%231/compensation/retry", `{}`); code != 404 || errCode(out) != "not_found" {
		t.Fatalf("compensation of an unknown step %d %v", code, out)
	}
	if code, out := call(t, hs, "POST", "/v1/instances/c1/steps/a%00b/compensation/retry", `{}`); code != 400 || errCode(out) != "invalid_argument" {
		t.Fatalf("a step key with NUL %d %v", code, out)
	}
	call(t, hs, "POST", "/v1/workflows/greet/instances", `{"id": "g2", "params": {"name": "Ann"}}`)
	waitStatus(t, hs, "g2", "complete")
	if code, out := call(t, hs, "POST", "/v1/instances/g2/steps/say%231/compensation/skip", `{"reason": "x"}`); code != 409 || errCode(out) != "invalid_transition" {
		t.Fatalf("skip on a complete instance %d %v", code, out)
	}
}
