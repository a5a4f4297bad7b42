package ui_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/schedule"
	"github.com/ordohq/ordo/ui"
)

// setupSchedules is a dashboard with the schedules page and a schedule
// "nightly" that has fired once.
func setupSchedules(t *testing.T) (*fixture, *schedule.Scheduler) {
	t.Helper()
	return setupSchedulesAuth(t, nil)
}

// setupSchedulesAuth is setupSchedules with the dashboard's Auth.
func setupSchedulesAuth(t *testing.T, a *auth.Authenticator) (*fixture, *schedule.Scheduler) {
	t.Helper()
	start := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	env := ordotest.New(t, &ordotest.Options{Start: start})
	env.Register(ordo.NewWorkflow("report", func(ctx context.Context, _ struct{}) (string, error) { return "ok", nil }))
	sch, err := schedule.New(schedule.Config{Engine: env.Engine, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sch.Create(t.Context(), &schedule.Spec{ID: "nightly", Cron: "30 2 * * *", Timezone: "Europe/Berlin", Workflow: "report"}); err != nil {
		t.Fatal(err)
	}
	env.Clock.Set(start.Add(12 * time.Hour)) // 02:30 Berlin on 3 March has passed
	if _, err := sch.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	h, err := ui.New(ui.Config{Engine: env.Engine, Location: time.UTC, Schedules: sch, Auth: a})
	if err != nil {
		t.Fatal(err)
	}
	return serveFixture(t, env, h), sch
}

func TestSchedulesPage(t *testing.T) {
	t.Parallel()
	f, sch := setupSchedules(t)
	page := f.get("/ui/schedules")
	if page.status != http.StatusOK {
		t.Fatalf("schedules page: %d %s", page.status, page.body)
	}
	for _, want := range []string{"nightly", "30 2 * * * (Europe/Berlin)", "workflow report", "2026-03-04 01:30:00 UTC",
		"2026-03-03 01:30:00 UTC", "started", "sched:nightly:20260303T013000Z", `href="/ui/schedules"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	if r := f.post("/ui/schedules/nightly/pause", nil); r.status != http.StatusSeeOther {
		t.Fatalf("pause: %d %s", r.status, r.body)
	}
	if v, _ := sch.Get(t.Context(), "nightly"); !v.Paused {
		t.Fatal("not paused")
	}
	if r := f.post("/ui/schedules/nightly/trigger", nil); r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "fired") {
		t.Fatalf("trigger: %d %v", r.status, r.header)
	}
	if r := f.post("/ui/schedules/nightly/resume", nil, "Origin", "https://evil.example"); r.status != http.StatusForbidden {
		t.Fatalf("cross-origin resume: %d", r.status)
	}
	if r := f.post("/ui/schedules/nope/resume", nil); r.status != http.StatusNotFound {
		t.Fatalf("resume of an unknown schedule: %d", r.status)
	}
	if r := f.post("/ui/schedules/nightly/explode", nil); r.status != http.StatusNotFound {
		t.Fatalf("unknown action: %d", r.status)
	}
	page = f.get("/ui/schedules?done=nightly+paused")
	if !strings.Contains(page.body, "paused") || !strings.Contains(page.body, "Resume") {
		t.Errorf("the page after pause does not offer Resume")
	}
}

func TestSchedulesPageOff(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	if r := f.get("/ui/schedules"); r.status != http.StatusNotFound {
		t.Fatalf("schedules page without a scheduler: %d", r.status)
	}
}

// TestSchedulesPageScopes: a read or operate key sees the page; only an
// admin key acts on a schedule.
func TestSchedulesPageScopes(t *testing.T) {
	t.Parallel()
	a, keys := scopeKeys(t)
	f, sch := setupSchedulesAuth(t, a)
	if r := f.get("/ui/schedules"); r.status != http.StatusSeeOther {
		t.Fatalf("signed out: %d, want a redirect to sign in", r.status)
	}
	for _, sc := range []auth.Scope{auth.ScopeRead, auth.ScopeOperate} {
		bearer := "Bearer " + keys[sc]
		if r := f.get("/ui/schedules", "Authorization", bearer); r.status != http.StatusOK {
			t.Errorf("%s key: page %d", sc, r.status)
		}
		if r := f.post("/ui/schedules/nightly/pause", nil, "Authorization", bearer); r.status != http.StatusForbidden ||
			!strings.Contains(r.body, "admin scope") {
			t.Errorf("%s key: pause %d", sc, r.status)
		}
	}
	if v, _ := sch.Get(t.Context(), "nightly"); v.Paused {
		t.Fatal("paused by a key without the admin scope")
	}
	if r := f.post("/ui/schedules/nightly/pause", nil, "Authorization", "Bearer "+keys[auth.ScopeAdmin]); r.status != http.StatusSeeOther {
		t.Fatalf("admin key: pause %d %s", r.status, r.body)
	}
}
