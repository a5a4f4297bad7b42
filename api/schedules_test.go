package api_test

import (
	"context"
	"encoding/json"
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
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/store/memory"
)

// scheduleServer is the API with the schedule routes and authentication,
// on an engine with a virtual clock.
type scheduleServer struct {
	t    *testing.T
	hs   *httptest.Server
	env  *ordotest.Env
	sch  *schedule.Scheduler
	keys map[auth.Scope]string
}

func setupSchedules(t *testing.T) *scheduleServer {
	t.Helper()
	st := memory.New()
	log := slog.New(slog.DiscardHandler)
	env := ordotest.New(t, &ordotest.Options{Store: st})
	env.Register(ordo.NewWorkflow("restock", func(ctx context.Context, in map[string]any) (map[string]any, error) { return in, nil }))
	sch, err := schedule.New(schedule.Config{Engine: env.Engine, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(auth.Config{Store: st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Engine: env.Engine, Logger: log, Auth: a})
	if err != nil {
		t.Fatal(err)
	}
	srv.ScheduleRoutes(sch)
	s := &scheduleServer{t: t, env: env, sch: sch, keys: map[auth.Scope]string{}, hs: httptest.NewServer(openapitest.Handler(t, srv))}
	t.Cleanup(s.hs.Close)
	for _, sc := range auth.Scopes {
		key, _, err := a.CreateKey(t.Context(), string(sc), sc, "")
		if err != nil {
			t.Fatal(err)
		}
		s.keys[sc] = key
	}
	return s
}

// do sends a request with the key of scope and decodes a JSON answer into
// out (when not nil); it returns the status and the body.
func (s *scheduleServer) do(scope auth.Scope, method, path, body string, out any) (int, string) {
	s.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.hs.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+s.keys[scope])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return resp.StatusCode, string(b)
}

func TestScheduleRoutes(t *testing.T) {
	t.Parallel()
	s := setupSchedules(t)
	const spec = `{"id": "restock", "cron": "0 2 * * *", "timezone": "Europe/Brussels", "workflow": "restock", "params": {"sku": "A"}}`
	if code, body := s.do(auth.ScopeOperate, "POST", "/v1/schedules", spec, nil); code != http.StatusForbidden {
		t.Fatalf("create with an operate key: %d %s", code, body)
	}
	var v schedule.View
	if code, body := s.do(auth.ScopeAdmin, "POST", "/v1/schedules", spec, &v); code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	// 2026-01-01 02:00 in Brussels (winter, UTC+1) is 01:00 UTC.
	if len(v.NextFires) != 10 || !v.NextFires[0].Equal(time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC)) {
		t.Fatalf("next fires %v", v.NextFires)
	}
	if code, _ := s.do(auth.ScopeAdmin, "POST", "/v1/schedules", spec, nil); code != http.StatusConflict {
		t.Fatalf("duplicate: %d", code)
	}
	var page api.SchedulePage
	if code, body := s.do(auth.ScopeRead, "GET", "/v1/schedules", "", &page); code != 200 || len(page.Schedules) != 1 {
		t.Fatalf("list: %d %s", code, body)
	}
	if code, body := s.do(auth.ScopeAdmin, "PATCH", "/v1/schedules/restock", `{"every": "15m", "cron": null, "timezone": null}`, &v); code != 200 || v.Every != "15m" {
		t.Fatalf("patch: %d %s", code, body)
	}
	if code, body := s.do(auth.ScopeAdmin, "POST", "/v1/schedules/restock/pause", "", &v); code != 200 || !v.Paused {
		t.Fatalf("pause: %d %s", code, body)
	}
	s.env.Clock.Set(time.Date(2026, 1, 1, 0, 20, 5, 0, time.UTC))
	var fire struct{ InstanceID, Outcome string }
	if code, body := s.do(auth.ScopeAdmin, "POST", "/v1/schedules/restock/trigger", "", &fire); code != 200 || fire.Outcome != "started" {
		t.Fatalf("trigger: %d %s", code, body)
	}
	var bf schedule.BackfillResult
	if code, body := s.do(auth.ScopeAdmin, "POST", "/v1/schedules/restock/backfill",
		`{"from": "2026-01-01T00:00:00Z", "to": "2026-01-01T00:15:00Z"}`, &bf); code != 200 || len(bf.Fires) != 2 {
		t.Fatalf("backfill: %d %s", code, body)
	}
	var resumed schedule.View
	if code, body := s.do(auth.ScopeAdmin, "POST", "/v1/schedules/restock/resume", "", &resumed); code != 200 || resumed.Paused {
		t.Fatalf("resume: %d %s", code, body)
	}
	if code, body := s.do(auth.ScopeRead, "GET", "/v1/schedules/restock", "", &v); code != 200 || len(v.LastFires) != 3 {
		t.Fatalf("get: %d %s", code, body)
	}
	if _, err := s.env.Engine.Get(t.Context(), fire.InstanceID); err != nil {
		t.Fatalf("triggered instance %s: %v", fire.InstanceID, err)
	}
	if code, body := s.do(auth.ScopeAdmin, "DELETE", "/v1/schedules/restock", "", nil); code != 200 {
		t.Fatalf("delete: %d %s", code, body)
	}
	if code, _ := s.do(auth.ScopeRead, "GET", "/v1/schedules/restock", "", nil); code != http.StatusNotFound {
		t.Fatalf("get deleted: %d", code)
	}
}

func TestScheduleRoutesCallerErrors(t *testing.T) {
	t.Parallel()
	s := setupSchedules(t)
	s.do(auth.ScopeAdmin, "POST", "/v1/schedules", `{"id": "s", "every": "1h", "workflow": "restock"}`, nil)
	tests := []struct {
		method, path, body string
		status             int
		names              string // what the error message must name
	}{
		{"POST", "/v1/schedules", `{"id": "x", "every": "1h", "workflow": "restock", "colour": 1}`, 400, "colour"},
		{"POST", "/v1/schedules", `{"id": "x", "every": "100ms", "workflow": "restock"}`, 400, "every"},
		{"POST", "/v1/schedules", `{"id": "x", "cron": "0 2 * * *", "timezone": "Europe/Nowhere", "workflow": "restock"}`, 400, "timezone"},
		{"POST", "/v1/schedules", `{"id": "x", "cron": "0 25 * * *", "workflow": "restock"}`, 400, "cron"},
		{"POST", "/v1/schedules", `{"id": "x", "every": "1h", "overlap": "queue", "workflow": "restock"}`, 400, "overlap"},
		{"POST", "/v1/schedules", `{"id": "x", "every": "1h", "workflow": "nope"}`, 400, "workflow"},
		{"POST", "/v1/schedules", `{"id": "bad id", "every": "1h", "workflow": "restock"}`, 400, "id"},
		{"PATCH", "/v1/schedules/s", `{"jitter": "7d"}`, 400, "jitter"},
		{"PATCH", "/v1/schedules/s", `{"id": "t"}`, 400, "id"},
		{"PATCH", "/v1/schedules/nope", `{"every": "1m"}`, 404, "nope"},
		{"POST", "/v1/schedules/s/backfill", `{"from": "2025-01-01T00:00:00Z", "to": "2025-12-31T00:00:00Z"}`, 400, "1000"},
		{"POST", "/v1/schedules/s/backfill", `{"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"}`, 400, "to"},
		{"POST", "/v1/schedules/s/backfill", `{"from": "yesterday"}`, 400, "from"},
		{"POST", "/v1/schedules/nope/trigger", "", 404, "nope"},
	}
	for _, tc := range tests {
		code, body := s.do(auth.ScopeAdmin, tc.method, tc.path, tc.body, nil)
		if code != tc.status || !strings.Contains(body, tc.names) {
			t.Errorf("%s %s %s: %d %s, want %d naming %q", tc.method, tc.path, tc.body, code, body, tc.status, tc.names)
		}
	}
}

// TestScheduleRoutesScopes: without a key every schedule route answers
// 401; with a read or operate key every write answers 403.
func TestScheduleRoutesScopes(t *testing.T) {
	t.Parallel()
	s := setupSchedules(t)
	routes := []struct{ method, path string }{
		{"POST", "/v1/schedules"}, {"GET", "/v1/schedules"}, {"GET", "/v1/schedules/s"},
		{"PATCH", "/v1/schedules/s"}, {"DELETE", "/v1/schedules/s"}, {"POST", "/v1/schedules/s/pause"},
		{"POST", "/v1/schedules/s/resume"}, {"POST", "/v1/schedules/s/trigger"}, {"POST", "/v1/schedules/s/backfill"},
	}
	for _, rt := range routes {
		req, _ := http.NewRequest(rt.method, s.hs.URL+rt.path, strings.NewReader("{}"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without a key: %d, want 401", rt.method, rt.path, resp.StatusCode)
		}
		if rt.method == "GET" {
			if code, body := s.do(auth.ScopeRead, rt.method, rt.path, "", nil); code != 200 && code != 404 {
				t.Errorf("%s %s with a read key: %d %s", rt.method, rt.path, code, body)
			}
			continue
		}
		for _, sc := range []auth.Scope{auth.ScopeRead, auth.ScopeOperate} {
			if code, _ := s.do(sc, rt.method, rt.path, "{}", nil); code != http.StatusForbidden {
				t.Errorf("%s %s with a %s key: %d, want 403", rt.method, rt.path, sc, code)
			}
		}
	}
}
