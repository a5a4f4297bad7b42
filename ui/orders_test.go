package ui_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestOrdersList: the orders page lists orders with their customer, flow
// version and both statuses, filters by flow and status, refuses an
// oversized filter with a message (never a 500), and is linked from the
// navigation.
func TestOrdersList(t *testing.T) {
	t.Parallel()
	f := setupOrders(t, nil)
	f.order("C-1001")
	f.order("C-fail-1002")

	r := f.get("/ui/orders")
	if r.status != 200 {
		t.Fatalf("GET /ui/orders: %d\n%s", r.status, r.body)
	}
	mustContain(t, "orders page", r.body,
		`<a href="/ui/orders">Orders</a>`, `href="/ui/orders/C-1001"`, `href="/ui/orders/C-fail-1002"`,
		"Ada Lovelace", "ada@example.com", `shop <span class="muted">v1</span>`,
		`<span class="badge t-ok" data-tone="ok">Shipped</span>`,
		// Failed through the onError path: the instance is complete, the order is not green.
		`<span class="badge t-fail" data-tone="fail">Failed</span>`,
		`<span class="badge inst">complete</span>`)

	r = f.get("/ui/orders?status=Failed&flow=shop")
	mustContain(t, "filtered orders", r.body, `href="/ui/orders/C-fail-1002"`, `value="Failed"`, `value="shop"`,
		`hx-get="/ui/fragments/orders?flow=shop&amp;status=Failed"`)
	mustNotContain(t, "filtered orders", r.body, `href="/ui/orders/C-1001"`)

	r = f.get("/ui/fragments/orders?flow=nope")
	mustContain(t, "fragment", r.body, "No order matches these filters.")
	mustNotContain(t, "fragment", r.body, "<html")

	r = f.get("/ui/orders?status=" + url.QueryEscape(strings.Repeat("x", 201)))
	if r.status != 400 {
		t.Fatalf("oversized filter: %d", r.status)
	}
	mustContain(t, "oversized filter", r.body, `id="filter-error"`, "filter status: at most 200 bytes")

	r = f.get("/ui/orders?id=C-1001")
	if r.status != 303 || r.header.Get("Location") != "/ui/orders/C-1001" {
		t.Fatalf("jump to an order: %d %q", r.status, r.header.Get("Location"))
	}
	r = f.get("/ui/orders?id=" + url.QueryEscape("../x"))
	if r.status != 400 {
		t.Fatalf("jump to a bad id: %d", r.status)
	}
	r = f.get("/ui/orders?id=C-404")
	if r.status != 404 {
		t.Fatalf("jump to an unknown order: %d", r.status)
	}
	mustContain(t, "unknown order", r.body, "No order with ID C-404.")
}

// TestOrderPage: an order's page shows its customer, items with their
// files, the status history, the flow version, both statuses, the
// timeline and the actions; its files download through the dashboard.
func TestOrderPage(t *testing.T) {
	t.Parallel()
	f := setupOrders(t, nil)
	o := f.order("C-fail-2001")
	if len(o.Files) != 1 {
		t.Fatalf("files: %+v", o.Files)
	}
	r := f.get("/ui/orders/C-fail-2001")
	if r.status != 200 {
		t.Fatalf("GET order page: %d\n%s", r.status, r.body)
	}
	name := o.Files[0].Name
	mustContain(t, "order page", r.body,
		`<span id="order-status" class="badge t-fail" data-tone="fail"`, ">Failed</span>",
		`instance complete</span>`, `href="/ui/instances/C-fail-2001"`,
		`<a href="/ui/flows/shop?version=1" id="flow-link">shop</a>`, "version 1",
		"Ada Lovelace", `href="mailto:ada@example.com"`,
		`<tr data-item="1">`, "RING-7", "GIFT-CARD", `<span class="mono">ring</span>`,
		`href="/ui/orders/C-fail-2001/files/`+name+`" download`,
		`id="history"`, `<span class="badge t-ok">Created</span>`, `<span class="badge t-ok">In production</span>`,
		`<span class="badge t-fail">Failed</span>`, "set by step</span> <code>support</code>",
		`id="timeline"`, `data-key="erp#1"`, `data-key="support#1"`,
		`id="actions"`, `hx-target="#order" hx-select="#order"`, `action="/ui/orders/C-fail-2001/pause"`,
		`&#34;channel&#34;: &#34;web&#34;`, `id="audit"`, "No operator action yet.",
		`<img src="/ui/orders/C-fail-2001/files/`+name+`/preview.png"`)
	mustNotContain(t, "finished order page", r.body, `hx-get="/ui/orders/C-fail-2001/live"`)

	d := f.get("/ui/orders/C-fail-2001/files/" + name)
	if d.status != 200 || !strings.Contains(d.header.Get("Content-Disposition"), "attachment") || len(d.body) != int(o.Files[0].Size) {
		t.Fatalf("download: %d %v %d bytes", d.status, d.header, len(d.body))
	}
	p := f.get("/ui/orders/C-fail-2001/files/" + name + "/preview.png")
	if p.status != 200 || p.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(p.body, "\x89PNG") {
		t.Fatalf("preview: %d %q %d bytes", p.status, p.header.Get("Content-Type"), len(p.body))
	}
	if r := f.get("/ui/orders/C-fail-2001/files/" + name + "/preview.png?size=5"); r.status != 400 {
		t.Fatalf("preview of a bad size: %d", r.status)
	}
	if r := f.get("/ui/orders/C-fail-2001/files/nope.stl/preview.png"); r.status != 404 {
		t.Fatalf("preview of an unknown file: %d", r.status)
	}
	if r := f.get("/ui/orders/C-fail-2001/files/nope.stl"); r.status != 404 {
		t.Fatalf("unknown file: %d", r.status)
	}
	if r := f.get("/ui/orders/C-404"); r.status != 404 {
		t.Fatalf("unknown order: %d", r.status)
	}
	// An instance that is not an order has no order page, and no action runs on it.
	f.waiting("not-an-order")
	if r := f.get("/ui/orders/not-an-order"); r.status != 404 {
		t.Fatalf("instance as order: %d", r.status)
	}
	if r := f.post("/ui/orders/not-an-order/terminate", nil); r.status != 404 || f.status("not-an-order") != "waiting" {
		t.Fatalf("action on a non-order: %d, instance %s", r.status, f.status("not-an-order"))
	}
}

// TestOrderActions: an action posted from the order page acts on its
// instance and answers with the order page, behind the same origin
// check as every action.
func TestOrderActions(t *testing.T) {
	t.Parallel()
	f := setupOrders(t, nil)
	f.order("C-3001")
	r := f.post("/ui/orders/C-3001/restart", url.Values{"from": {"erp"}})
	if r.status != 303 || r.header.Get("Location") != "/ui/orders/C-3001?done=restart" {
		t.Fatalf("restart from the order page: %d %q\n%s", r.status, r.header.Get("Location"), r.body)
	}
	f.env.WaitDone("C-3001")
	page := f.get("/ui/orders/C-3001")
	mustContain(t, "restarted order", page.body, `id="runs"`, `(the timeline above is run 2)`, `<details class="run" data-run="1">`,
		"restarted from <code>erp</code>", `<code>erp#1</code>`, `<tr data-action="restart">`)
	r = f.post("/ui/orders/C-3001/pause", nil, "HX-Request", "true")
	if r.status != 409 {
		t.Fatalf("pause a finished order: %d", r.status)
	}
	mustContain(t, "refused action", r.body, `id="order"`, `class="flash error"`)
	r = f.post("/ui/orders/C-3001/terminate", nil, "Origin", "https://evil.example")
	if r.status != 403 {
		t.Fatalf("cross-origin action: %d", r.status)
	}
}

// TestOrdersSearch: the list's filters reach the order search (customer,
// SKU, metadata, version, instance status, time ranges, status in any
// case), and a refused value is named, with 400, never a 500.
func TestOrdersSearch(t *testing.T) {
	t.Parallel()
	f := setupOrders(t, nil)
	f.order("C-6001")
	f.order("C-fail-6002")
	for _, tc := range []struct {
		query     string
		want, not []string
	}{
		{"status=failed", []string{"C-fail-6002"}, []string{"C-6001"}},
		{"customer=ADA@example.com", []string{"C-fail-6002", "C-6001"}, nil},
		{"customer=Grace", nil, []string{"C-fail-6002", "C-6001"}},
		{"sku=RING-7&flow=shop&version=1", []string{"C-fail-6002", "C-6001"}, nil},
		{"sku=NOPE", nil, []string{"C-6001"}},
		{"meta=channel%3Dweb&instanceStatus=complete", []string{"C-6001"}, nil},
		{"meta=channel%3Dshop", nil, []string{"C-6001"}},
		{"createdFrom=2026-03-02T13:00&createdTo=2026-03-02T15:00", []string{"C-6001"}, nil},
		{"finishedTo=2026-03-02T13:00", nil, []string{"C-6001"}},
	} {
		r := f.get("/ui/orders?" + tc.query)
		if r.status != 200 {
			t.Fatalf("%s: %d\n%s", tc.query, r.status, r.body)
		}
		for _, id := range tc.want {
			mustContain(t, tc.query, r.body, `href="/ui/orders/`+id+`"`)
		}
		for _, id := range tc.not {
			mustNotContain(t, tc.query, r.body, `href="/ui/orders/`+id+`"`)
		}
	}
	for query, want := range map[string]string{
		"version=1":               "filter version",
		"flow=shop&version=x":     "filter version",
		"meta=channel":            "filter meta",
		"createdFrom=yesterday":   "filter createdFrom",
		"instanceStatus=sleeping": "filter instanceStatus",
	} {
		r := f.get("/ui/orders?" + query)
		if r.status != 400 {
			t.Fatalf("%s: %d, want 400", query, r.status)
		}
		mustContain(t, query, r.body, `id="filter-error"`, want)
	}
}

// TestOrderRedrive: the order page restarts a failed order from a step on
// another flow version (the fixed one), with a reason.
func TestOrderRedrive(t *testing.T) {
	t.Parallel()
	f := setupOrders(t, nil)
	f.order("C-fail-7001")
	fixed := strings.Replace(shopFlow(f.erp.URL), f.erp.URL+"/erp", f.erp.URL+"/erp-v2", 1)
	if _, _, _, err := f.svc.ApplyFlow(t.Context(), "shop", []byte(fixed)); err != nil {
		t.Fatal(err)
	}
	page := f.get("/ui/orders/C-fail-7001")
	mustContain(t, "order page", page.body, `id="restart-version"`, `<option value="latest">`, `<option value="2">2</option>`, `id="restart-rerun"`)
	if r := f.post("/ui/orders/C-fail-7001/restart", url.Values{"from": {"erp"}, "flowVersion": {"x"}}, "HX-Request", "true"); r.status != 400 {
		t.Fatalf("bad flow version: %d", r.status)
	}
	r := f.post("/ui/orders/C-fail-7001/restart", url.Values{"from": {"erp"}, "flowVersion": {"latest"}, "reason": {"ERP URL fixed"}})
	if r.status != 303 {
		t.Fatalf("redrive: %d\n%s", r.status, r.body)
	}
	f.env.WaitDone("C-fail-7001")
	page = f.get("/ui/orders/C-fail-7001")
	mustContain(t, "redriven order", page.body, `<span id="order-status" class="badge t-ok" data-tone="ok"`, ">Shipped</span>",
		"version 2", "ERP URL fixed")
}
