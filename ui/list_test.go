package ui_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ordohq/ordo/ui"
)

// rowIDs returns the instance IDs of a list page's table, in order.
func rowIDs(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`<td class="id"><a href="[^"]+">([^<]+)</a>`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestListPage(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.start("checkout", "order-1")
	f.env.WaitDone("order-1")
	f.waiting("order-2")
	f.waiting("order-3")

	r := f.get("/ui/")
	if r.status != http.StatusOK {
		t.Fatalf("GET /ui/: status %d", r.status)
	}
	if ids := strings.Join(rowIDs(r.body), ","); ids != "order-3,order-2,order-1" {
		t.Fatalf("rows %s, want newest first: order-3,order-2,order-1", ids)
	}
	mustContain(t, "list page", r.body,
		`<a href="/ui/instances/order-1">order-1</a>`,
		`<span class="badge s-errored">errored</span>`,
		`<span class="badge s-waiting">waiting</span>`,
		`<span class="badge custom">paid</span>`, // the order status set by the charge step
		`no carrier for this address`,            // the error under the badge
		`<time datetime="2026-03-02T14:00:00.000Z"`,
		// htmx polls the table fragment every 2 s
		`hx-get="/ui/fragments/instances" hx-trigger="every 2s" hx-swap="outerHTML"`,
		`<option value="checkout"></option>`, // registered workflows suggested
		`<title>Instances · Ordo</title>`,
	)
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	// Nothing is loaded from elsewhere: every src and href is local.
	if m := regexp.MustCompile(`(?:src|href)="(?:https?:)?//[^"]*"`).FindString(r.body); m != "" {
		t.Errorf("the page references an external resource: %s", m)
	}
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.start("checkout", "order-1")
	f.env.WaitDone("order-1")
	f.waiting("order-2")
	f.waiting("order-3")

	for _, tc := range []struct {
		query string
		want  string
	}{
		{"?workflow=waiter", "order-3,order-2"},
		{"?workflow=checkout", "order-1"},
		{"?status=errored", "order-1"},
		{"?status=waiting&workflow=waiter", "order-3,order-2"},
		{"?custom=paid", "order-1"},
		{"?workflow=nope", ""},
	} {
		r := f.get("/ui/" + tc.query)
		if r.status != http.StatusOK {
			t.Fatalf("GET /ui/%s: status %d", tc.query, r.status)
		}
		if got := strings.Join(rowIDs(r.body), ","); got != tc.want {
			t.Errorf("GET /ui/%s: rows %q, want %q", tc.query, got, tc.want)
		}
	}
	r := f.get("/ui/?workflow=waiter&status=waiting")
	mustContain(t, "filtered list", r.body,
		`value="waiter"`, `<option value="waiting" selected>`, `>Clear</a>`,
		`hx-get="/ui/fragments/instances?status=waiting&amp;workflow=waiter"`)
	if r := f.get("/ui/?workflow=nope"); !strings.Contains(r.body, "No instance matches these filters.") {
		t.Errorf("an empty filtered list does not say so")
	}

	// A refused filter shows the engine's message.
	r = f.get("/ui/?status=sleepy")
	if r.status != http.StatusBadRequest {
		t.Errorf("unknown status: status %d, want 400", r.status)
	}
	mustContain(t, "bad filter", r.body, `role="alert"`, `unknown status &#34;sleepy&#34;`)

	// The ID jump opens the instance, or says there is none.
	r = f.get("/ui/?id=order-2")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/ui/instances/order-2" {
		t.Errorf("jump to order-2: %d %q, want 303 to /ui/instances/order-2", r.status, r.header.Get("Location"))
	}
	r = f.get("/ui/?id=order-9")
	if r.status != http.StatusNotFound {
		t.Errorf("jump to an unknown ID: status %d, want 404", r.status)
	}
	mustContain(t, "jump to an unknown ID", r.body, "No instance with ID order-9.", `value="order-9"`)
}

func TestListPagination(t *testing.T) {
	t.Parallel()
	f := setup(t, &ui.Config{PageSize: 2})
	for _, id := range []string{"w-1", "w-2", "w-3"} {
		f.waiting(id)
	}
	r := f.get("/ui/?workflow=waiter")
	if got := strings.Join(rowIDs(r.body), ","); got != "w-3,w-2" {
		t.Fatalf("first page: %s", got)
	}
	next := regexp.MustCompile(`<a class="button secondary" href="([^"]+)" rel="next">`).FindStringSubmatch(r.body)
	if next == nil {
		t.Fatalf("no link to the next page:\n%s", r.body)
	}
	href := strings.ReplaceAll(next[1], "&amp;", "&")
	if !strings.Contains(href, "cursor=") || !strings.Contains(href, "workflow=waiter") {
		t.Fatalf("next page link %q does not keep the filter and the cursor", href)
	}
	r = f.get(href)
	if got := strings.Join(rowIDs(r.body), ","); got != "w-1" {
		t.Fatalf("second page: %s", got)
	}
	mustContain(t, "second page", r.body, `href="/ui/?workflow=waiter">← Newest</a>`)
	mustNotContain(t, "second page", r.body, `rel="next"`)

	// The polled fragment keeps the page's cursor and is the table alone.
	frag := f.get("/ui/fragments/instances" + href[len("/ui/"):])
	if frag.status != http.StatusOK {
		t.Fatalf("fragment: status %d", frag.status)
	}
	if got := strings.Join(rowIDs(frag.body), ","); got != "w-1" {
		t.Errorf("fragment rows %s, want w-1", got)
	}
	mustContain(t, "fragment", frag.body, `<div id="instances"`, `hx-trigger="every 2s"`)
	mustNotContain(t, "fragment", frag.body, "<html", "<form")
}

func TestNotFoundAndAssets(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	if r := f.get("/ui/instances/missing"); r.status != http.StatusNotFound || !strings.Contains(r.body, "There is no instance with ID missing.") {
		t.Errorf("unknown instance: %d\n%s", r.status, r.body)
	}
	if r := f.get("/ui/nowhere"); r.status != http.StatusNotFound {
		t.Errorf("unknown page: status %d", r.status)
	}
	page := f.get("/ui/").body
	for _, tc := range []struct{ name, ctype, contains string }{
		{"htmx.min.js", "text/javascript", `version:"2.0.11"`},
		{"ordo.css", "text/css", "--accent"},
		{"favicon.svg", "image/svg+xml", "<svg"},
	} {
		m := regexp.MustCompile(`"(/ui/static/` + regexp.QuoteMeta(tc.name) + `\?v=[0-9a-f]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Errorf("the page does not link %s", tc.name)
			continue
		}
		r := f.get(m[1])
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), tc.ctype) || !strings.Contains(r.body, tc.contains) {
			t.Errorf("GET %s: %d %q", m[1], r.status, r.header.Get("Content-Type"))
		}
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("GET %s: Cache-Control %q, want immutable for a versioned URL", m[1], cc)
		}
		if r := f.get(m[1], "If-None-Match", r.header.Get("ETag")); r.status != http.StatusNotModified {
			t.Errorf("GET %s with its ETag: status %d, want 304", m[1], r.status)
		}
	}
	if r := f.get("/ui/static/nope.js"); r.status != http.StatusNotFound {
		t.Errorf("unknown asset: status %d", r.status)
	}
}

func TestConfig(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	for _, tc := range []struct {
		name string
		cfg  ui.Config
	}{
		{"no engine", ui.Config{}},
		{"relative base path", ui.Config{Engine: f.engine, BasePath: "ui"}},
		{"page size", ui.Config{Engine: f.engine, PageSize: 500}},
		{"refresh", ui.Config{Engine: f.engine, RefreshInterval: 1}},
		{"trusted origin", ui.Config{Engine: f.engine, TrustedOrigins: []string{"ops.example.com"}}},
	} {
		if _, err := ui.New(tc.cfg); err == nil {
			t.Errorf("%s: ui.New accepted %+v", tc.name, tc.cfg)
		}
	}
	h, err := ui.New(ui.Config{Engine: f.engine, BasePath: "/admin/dash/"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/admin/dash/", h)
	rec := newRecorder(mux, "/admin/dash/")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `href="/admin/dash/static/ordo.css?v=`) {
		t.Errorf("custom base path: %d\n%s", rec.Code, rec.Body.String())
	}
}
