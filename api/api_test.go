package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/api/openapitest"
	"github.com/ordohq/ordo/store/memory"
)

type params struct {
	Name string `json:"name"`
}

func setup(t *testing.T) (*httptest.Server, *ordo.Engine) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	e, err := ordo.NewEngine(ordo.Config{Store: memory.New(), Logger: log, PollInterval: 10 * time.Millisecond, MaxPayloadBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	greet := ordo.NewWorkflow("greet", func(ctx context.Context, p params) (string, error) {
		return ordo.Do(ctx, "say", nil, func(ctx context.Context) (string, error) { return "hello " + p.Name, nil })
	})
	approve := ordo.NewWorkflow("approve", func(ctx context.Context, _ struct{}) (string, error) {
		v, err := ordo.WaitForEvent[map[string]string](ctx, "wait", "approved", time.Hour)
		if err != nil {
			return "", err
		}
		return v["by"], nil
	})
	if err := e.Register(greet, approve); err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: e, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(openapitest.Handler(t, srv))
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	return hs, e
}

func call(t *testing.T, hs *httptest.Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("%s %s: response is not JSON: %v", method, path, err)
	}
	return resp.StatusCode, out
}

func errCode(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func waitStatus(t *testing.T, hs *httptest.Server, id, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		_, out := call(t, hs, "GET", "/v1/instances/"+id, "")
		if out["status"] == want {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %s: status %v, want %s", id, out["status"], want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCreatePriority: a create's priority is stored and answered; one out
// of range is a 400 naming priority.
func TestCreatePriority(t *testing.T) {
	t.Parallel()
	hs, _ := setup(t)
	code, out := call(t, hs, "POST", "/v1/workflows/greet/instances", `{"id": "p1", "params": {"name": "Bo"}, "priority": -7}`)
	if code != http.StatusCreated || out["priority"] != float64(-7) {
		t.Fatalf("create with priority %d %v", code, out)
	}
	code, out = call(t, hs, "POST", "/v1/workflows/greet/instances", `{"id": "p2", "priority": 101}`)
	if details, _ := out["error"].(map[string]any)["details"].(map[string]any); code != 400 || details["parameter"] != "priority" {
		t.Fatalf("priority 101: %d %v, want 400 naming priority", code, out)
	}
}

func TestInstanceLifecycle(t *testing.T) {
	hs, _ := setup(t)
	if code, out := call(t, hs, "GET", "/healthz", ""); code != 200 || out["status"] != "ok" {
		t.Fatalf("healthz %d %v", code, out)
	}
	code, out := call(t, hs, "GET", "/v1/workflows", "")
	if code != 200 || len(out["workflows"].([]any)) != 2 {
		t.Fatalf("workflows %d %v", code, out)
	}
	code, out = call(t, hs, "POST", "/v1/workflows/greet/instances", `{"id": "g1", "params": {"name": "Ann"}}`)
	if code != http.StatusCreated || out["id"] != "g1" {
		t.Fatalf("create %d %v", code, out)
	}
	done := waitStatus(t, hs, "g1", "complete")
	if done["output"] != "hello Ann" || len(done["steps"].([]any)) != 1 {
		t.Fatalf("instance %v", done)
	}
	step := done["steps"].([]any)[0].(map[string]any)
	if step["name"] != "say" || step["status"] != "completed" || len(step["history"].([]any)) != 1 {
		t.Fatalf("step %v", step)
	}

	// Events: the approve workflow waits until one arrives.
	call(t, hs, "POST", "/v1/workflows/approve/instances", `{"id": "a1"}`)
	waitStatus(t, hs, "a1", "waiting")
	if code, out := call(t, hs, "POST", "/v1/instances/a1/events", `{"type": "approved", "payload": {"by": "Bob"}}`); code != http.StatusAccepted {
		t.Fatalf("event %d %v", code, out)
	}
	if got := waitStatus(t, hs, "a1", "complete"); got["output"] != "Bob" {
		t.Fatalf("approve output %v", got["output"])
	}

	// Pause, resume, terminate, restart.
	call(t, hs, "POST", "/v1/workflows/approve/instances", `{"id": "a2"}`)
	waitStatus(t, hs, "a2", "waiting")
	if code, out := call(t, hs, "POST", "/v1/instances/a2/pause", ""); code != 200 || out["status"] != "paused" {
		t.Fatalf("pause %d %v", code, out)
	}
	if code, out := call(t, hs, "POST", "/v1/instances/a2/pause", ""); code != 409 || errCode(out) != "invalid_transition" {
		t.Fatalf("pause twice %d %v", code, out)
	}
	if code, out := call(t, hs, "POST", "/v1/instances/a2/resume", ""); code != 200 || out["status"] != "queued" {
		t.Fatalf("resume %d %v", code, out)
	}
	waitStatus(t, hs, "a2", "waiting")
	if code, out := call(t, hs, "POST", "/v1/instances/a2/terminate", ""); code != 200 || out["status"] != "terminated" {
		t.Fatalf("terminate %d %v", code, out)
	}
	if code, out := call(t, hs, "POST", "/v1/instances/a2/restart", `{"fromStep": "nope"}`); code != 404 || errCode(out) != "not_found" {
		t.Fatalf("restart from unknown step %d %v", code, out)
	}
	if code, out := call(t, hs, "POST", "/v1/instances/g1/restart", ""); code != 200 || out["status"] != "queued" {
		t.Fatalf("restart %d %v", code, out)
	}
	waitStatus(t, hs, "g1", "complete")

	// List: newest first, filtered, paginated.
	code, out = call(t, hs, "GET", "/v1/instances?limit=2", "")
	list := out["instances"].([]any)
	if code != 200 || len(list) != 2 || list[0].(map[string]any)["id"] != "a2" || out["nextCursor"] == nil {
		t.Fatalf("list %d %v", code, out)
	}
	_, out = call(t, hs, "GET", "/v1/instances?limit=2&cursor="+out["nextCursor"].(string), "")
	if l := out["instances"].([]any); len(l) != 1 || l[0].(map[string]any)["id"] != "g1" {
		t.Fatalf("page 2 %v", out)
	}
	_, out = call(t, hs, "GET", "/v1/instances?workflow=approve&status=complete", "")
	if l := out["instances"].([]any); len(l) != 1 || l[0].(map[string]any)["id"] != "a1" {
		t.Fatalf("filtered %v", out)
	}
}

func TestErrors(t *testing.T) {
	hs, _ := setup(t)
	call(t, hs, "POST", "/v1/workflows/greet/instances", `{"id": "dup", "params": {"name": "x"}}`)
	big := `{"params": {"name": "` + strings.Repeat("x", 5000) + `"}}`
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"bad json", "POST", "/v1/workflows/greet/instances", `{"params": `, 400, "invalid_json"},
		{"unknown field", "POST", "/v1/workflows/greet/instances", `{"parms": {}}`, 400, "invalid_json"},
		{"params of the wrong type", "POST", "/v1/workflows/greet/instances", `{"params": {"name": 7}}`, 400, "invalid_argument"},
		{"unknown workflow", "POST", "/v1/workflows/nope/instances", `{}`, 404, "not_found"},
		{"duplicate id", "POST", "/v1/workflows/greet/instances", `{"id": "dup"}`, 409, "already_exists"},
		{"too large", "POST", "/v1/workflows/greet/instances", big, 413, "payload_too_large"},
		{"priority too high", "POST", "/v1/workflows/greet/instances", `{"priority": 101}`, 400, "invalid_argument"},
		{"priority not a number", "POST", "/v1/workflows/greet/instances", `{"priority": "high"}`, 400, "invalid_json"},
		{"unknown instance", "GET", "/v1/instances/nope", "", 404, "not_found"},
		{"pause unknown", "POST", "/v1/instances/nope/pause", "", 404, "not_found"},
		{"event without type", "POST", "/v1/instances/dup/events", `{"payload": 1}`, 400, "invalid_argument"},
		{"event to unknown", "POST", "/v1/instances/nope/events", `{"type": "x"}`, 404, "not_found"},
		{"bad status filter", "GET", "/v1/instances?status=sleeping", "", 400, "invalid_argument"},
		{"bad limit", "GET", "/v1/instances?limit=0", "", 400, "invalid_argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := call(t, hs, tt.method, tt.path, tt.body)
			if code != tt.status || errCode(out) != tt.code {
				t.Fatalf("got %d %v, want %d %s", code, out, tt.status, tt.code)
			}
			if msg := out["error"].(map[string]any)["message"]; msg == "" {
				t.Fatal("empty message")
			}
		})
	}
}
