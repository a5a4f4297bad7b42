package ui_test

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestOrdersBulk: from a filtered list, a bulk action first counts the
// orders (dry run, nothing done) and asks for a confirmation; confirmed,
// it starts a job whose page shows its progress.
func TestOrdersBulk(t *testing.T) {
	t.Parallel()
	f := setupOrders(t, nil)
	f.order("C-5001")
	f.order("C-fail-5002")
	f.order("C-fail-5003")

	list := f.get("/ui/orders?status=Failed")
	mustContain(t, "orders page", list.body, `id="bulk-form"`, `action="/ui/orders/bulk"`,
		`<input type="hidden" name="status" value="Failed">`, `<option value="cancel"`, `<option value="restart"`)

	form := url.Values{"status": {"Failed"}, "action": {"restart"}, "fromStep": {"erp"}, "reason": {"ERP fixed"}}
	r := f.post("/ui/orders/bulk", form)
	if r.status != 200 {
		t.Fatalf("dry run: %d\n%s", r.status, r.body)
	}
	mustContain(t, "dry run", r.body, `id="bulk-confirm"`, `<span id="bulk-count">2</span> orders?`,
		`href="/ui/orders/C-fail-5002"`, `href="/ui/orders/C-fail-5003"`, `name="confirm" value="yes"`,
		`<input type="hidden" name="fromStep" value="erp">`, `id="bulk-start"`)
	mustNotContain(t, "dry run", r.body, `href="/ui/orders/C-5001" class="mono"`)
	if runs, _ := f.engine.Runs(t.Context(), "C-fail-5002"); len(runs) != 0 {
		t.Fatalf("the dry run restarted: %d runs", len(runs))
	}

	bad := url.Values{"status": {"Failed"}, "action": {"explode"}}
	if r := f.post("/ui/orders/bulk", bad); r.status != 400 {
		t.Fatalf("unknown bulk action: %d", r.status)
	} else {
		mustContain(t, "refused bulk action", r.body, `id="bulk-flash"`, "action must be one of")
	}
	if r := f.post("/ui/orders/bulk", form, "Origin", "https://evil.example"); r.status != 403 {
		t.Fatalf("cross-origin bulk: %d", r.status)
	}

	form.Set("confirm", "yes")
	r = f.post("/ui/orders/bulk", form)
	loc := r.header.Get("Location")
	if r.status != 303 || !strings.HasPrefix(loc, "/ui/bulk/") {
		t.Fatalf("start: %d %q\n%s", r.status, loc, r.body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		page := f.get(loc)
		if page.status != 200 {
			t.Fatalf("job page: %d\n%s", page.status, page.body)
		}
		if strings.Contains(page.body, `<span id="job-processed">2 of 2 processed</span>`) && !strings.Contains(page.body, `class="live"`) {
			mustContain(t, "job page", page.body, `<dd id="job-succeeded">2</dd>`, "ERP fixed", `<progress id="job-progress" max="100" value="100">`)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not finish:\n%s", page.body)
		}
		time.Sleep(10 * time.Millisecond) // polling interval of a deadline-bound wait
	}
	if r := f.get("/ui/bulk/nope"); r.status != 404 {
		t.Fatalf("unknown job: %d", r.status)
	}
}
