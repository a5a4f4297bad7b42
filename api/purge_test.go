package api_test

import (
	"testing"
)

// TestDeleteInstance: DELETE /v1/instances/{id} deletes a finished
// instance (204, then 404) and refuses an unfinished one with 409
// not_finished.
func TestDeleteInstance(t *testing.T) {
	hs, _ := setup(t)
	call(t, hs, "POST", "/v1/workflows/greet/instances", `{"id": "d1", "params": {"name": "Ann"}}`)
	waitStatus(t, hs, "d1", "complete")
	call(t, hs, "POST", "/v1/workflows/approve/instances", `{"id": "d2"}`)
	waitStatus(t, hs, "d2", "waiting")
	if code, out := call(t, hs, "DELETE", "/v1/instances/d2", ""); code != 409 || errCode(out) != "not_finished" {
		t.Fatalf("delete of a waiting instance %d %v", code, out)
	}
	if code, out := call(t, hs, "DELETE", "/v1/instances/d1", ""); code != 204 {
		t.Fatalf("delete of a complete instance %d %v", code, out)
	}
	if code, out := call(t, hs, "GET", "/v1/instances/d1", ""); code != 404 {
		t.Fatalf("get after delete %d %v", code, out)
	}
	if code, out := call(t, hs, "DELETE", "/v1/instances/d1", ""); code != 404 || errCode(out) != "not_found" {
		t.Fatalf("delete again %d %v", code, out)
	}
	if code, out := call(t, hs, "GET", "/v1/instances/d2", ""); code != 200 || out["status"] != "waiting" {
		t.Fatalf("the waiting instance %d %v", code, out)
	}
}

// TestPurgeRoute: POST /v1/instances/purge counts in a dry run, deletes
// otherwise, and names the field of a bad request.
func TestPurgeRoute(t *testing.T) {
	hs, _ := setup(t)
	for _, id := range []string{"p1", "p2", "p3"} {
		call(t, hs, "POST", "/v1/workflows/greet/instances", `{"id": "`+id+`", "params": {"name": "Ann"}}`)
		waitStatus(t, hs, id, "complete")
	}
	call(t, hs, "POST", "/v1/workflows/approve/instances", `{"id": "w1"}`)
	waitStatus(t, hs, "w1", "waiting")
	// Finished less than a day ago: nothing is older.
	if code, out := call(t, hs, "POST", "/v1/instances/purge", `{"olderThan": "1d", "dryRun": true}`); code != 200 || out["matched"] != 0.0 {
		t.Fatalf("dry run older than a day %d %v", code, out)
	}
	for _, tc := range []struct{ body, field string }{
		{`{}`, "olderThan"},
		{`{"olderThan": "0"}`, "olderThan"},
		{`{"olderThan": "soon"}`, "olderThan"},
		{`{"olderThan": "1m", "statuses": ["waiting"]}`, "statuses"},
	} {
		code, out := call(t, hs, "POST", "/v1/instances/purge", tc.body)
		details, _ := out["error"].(map[string]any)["details"].(map[string]any)
		if code != 400 || errCode(out) != "invalid_argument" || (details["field"] != tc.field && details["parameter"] != tc.field) {
			t.Errorf("purge %s: %d %v; want 400 naming %s", tc.body, code, out, tc.field)
		}
	}
	// Older than a nanosecond: every finished instance.
	code, out := call(t, hs, "POST", "/v1/instances/purge", `{"olderThan": "1ns", "statuses": ["complete"], "dryRun": true}`)
	if code != 200 || out["matched"] != 3.0 || out["deleted"] != 0.0 {
		t.Fatalf("dry run %d %v", code, out)
	}
	if code, _ := call(t, hs, "GET", "/v1/instances/p1", ""); code != 200 {
		t.Fatal("the dry run deleted")
	}
	code, out = call(t, hs, "POST", "/v1/instances/purge", `{"olderThan": "1ns", "workflows": ["greet", "approve"]}`)
	if code != 200 || out["deleted"] != 3.0 {
		t.Fatalf("purge %d %v", code, out)
	}
	for id, want := range map[string]int{"p1": 404, "p2": 404, "p3": 404, "w1": 200} {
		if code, _ := call(t, hs, "GET", "/v1/instances/"+id, ""); code != want {
			t.Errorf("GET %s after the purge: %d, want %d", id, code, want)
		}
	}
}
