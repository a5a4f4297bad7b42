package ui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/ui"
)

// TestAuditPage: the global audit page lists operator actions newest
// first, filters them by action, actor, instance and time, and pages.
func TestAuditPage(t *testing.T) {
	f := setup(t, &ui.Config{PageSize: 2})
	ctx := ordo.WithReason(ordo.WithActor(context.Background(), "ops"), "customer asked")
	a := f.waiting("A-1")
	b := f.waiting("B-1")
	if _, err := f.engine.Pause(ctx, a); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Resume(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Terminate(ctx, b); err != nil {
		t.Fatal(err)
	}
	r := f.get("/ui/audit")
	if r.status != http.StatusOK {
		t.Fatalf("GET /ui/audit: %d\n%s", r.status, r.body)
	}
	for _, want := range []string{`href="/ui/audit">Audit</a>`, `data-action="terminate"`, `data-action="resume"`, "customer asked",
		`href="/ui/instances/B-1">B-1</a>`, "Older entries"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("GET /ui/audit lacks %q", want)
		}
	}
	if strings.Contains(r.body, `data-action="pause"`) {
		t.Errorf("the first page of 2 shows the oldest entry too")
	}
	i := strings.Index(r.body, `href="/ui/audit?cursor=`)
	if i < 0 {
		t.Fatal("no link to the older entries")
	}
	next := r.body[i+len(`href="`):]
	next = strings.ReplaceAll(next[:strings.IndexByte(next, '"')], "&amp;", "&")
	if r := f.get(next); r.status != http.StatusOK || !strings.Contains(r.body, `data-action="pause"`) || strings.Contains(r.body, `data-action="terminate"`) {
		t.Errorf("GET %s: %d, want the pause alone", next, r.status)
	}
	for path, want := range map[string][]string{
		"/ui/audit?action=pause":                                  {`data-action="pause"`},
		"/ui/audit?actor=local":                                   {`data-action="resume"`},
		"/ui/audit?instance=B-1":                                  {`data-action="terminate"`},
		"/ui/audit?since=2026-03-02T13:00&until=2026-03-02T23:00": {`data-action="terminate"`, `data-action="resume"`},
		"/ui/audit?until=2026-03-01T00:00":                        {"No operator action matches these filters."},
	} {
		r := f.get(path)
		if r.status != http.StatusOK {
			t.Errorf("GET %s: %d", path, r.status)
		}
		for _, w := range want {
			if !strings.Contains(r.body, w) {
				t.Errorf("GET %s lacks %q", path, w)
			}
		}
		if strings.Count(r.body, "data-action=") > 2 {
			t.Errorf("GET %s shows more than a page", path)
		}
	}
	if r := f.get("/ui/audit?actor=ops&action=pause"); strings.Count(r.body, "data-action=") != 1 {
		t.Errorf("actor ops and action pause: %d rows, want 1", strings.Count(r.body, "data-action="))
	}
	if r := f.get("/ui/audit?since=yesterday"); r.status != http.StatusBadRequest || !strings.Contains(r.body, "The since time") {
		t.Errorf("GET /ui/audit?since=yesterday: %d, want 400 naming since", r.status)
	}
}

// TestAuditPageNeedsAdmin: as GET /v1/audit, the page needs the admin
// scope; a reader sees neither the page nor its link.
func TestAuditPageNeedsAdmin(t *testing.T) {
	f := setupAuth(t, nil)
	reader := f.signIn(f.key["reader"])
	r := f.get("/ui/audit", withCookie(reader.Value)...)
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "admin scope") {
		t.Errorf("reader GET /ui/audit: %d, want 403 naming the admin scope", r.status)
	}
	if r := f.get("/ui/", withCookie(reader.Value)...); strings.Contains(r.body, `href="/ui/audit"`) {
		t.Error("a reader's nav links to the audit page")
	}
	admin := f.signIn(f.key["admin"])
	if r := f.get("/ui/audit", withCookie(admin.Value)...); r.status != http.StatusOK {
		t.Errorf("admin GET /ui/audit: %d", r.status)
	}
}
