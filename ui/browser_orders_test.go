package ui_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ordohq/ordo"
)

// TestBrowserOrders drives the orders pages in headless Chromium: the
// list with its badges (an order failed through its onError path is red,
// not green), a click through to the order page with its items, files
// and their previews, status history and timeline, a cancel with its
// reason and confirmation, and a bulk restart from the filtered list (the
// dry run's count, then the confirmation, then the job's progress).
func TestBrowserOrders(t *testing.T) {
	f := setupOrders(t, nil)
	ctx := newBrowser(t)
	shots := t.TempDir()
	f.order("C-4001")
	f.order("C-fail-4002")
	f.order("C-fail-4004")

	run(t, ctx, "open the orders", chromedp.Navigate(f.srv.URL+"/ui/orders"),
		chromedp.WaitVisible(chromedp.CSS(`#orders tr[data-order="C-fail-4002"]`)))
	colour := func(sel string) string {
		t.Helper()
		c, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(`+"`"+sel+"`"+`)).backgroundColor`))
		if err != nil {
			t.Fatalf("colour of %s: %v", sel, err)
		}
		return c
	}
	ok, failed := colour(`tr[data-order="C-4001"] .badge[data-tone]`), colour(`tr[data-order="C-fail-4002"] .badge[data-tone]`)
	if ok == failed || ok == "" || failed == "" {
		t.Fatalf("badges: shipped %q, failed %q: want two colours", ok, failed)
	}
	if s := text(t, ctx, `tr[data-order="C-fail-4002"] .badge[data-tone="fail"]`); s != "Failed" {
		t.Fatalf("failed order's badge says %q", s)
	}
	screenshot(t, ctx, shots, "orders.png")

	run(t, ctx, "open C-fail-4002", chromedp.Click(chromedp.CSS(`a[href="/ui/orders/C-fail-4002"]`)),
		chromedp.WaitVisible(chromedp.ID("order-status")), chromedp.WaitVisible(chromedp.CSS(`#timeline tr[data-key="support#1"]`)))
	if s := text(t, ctx, "#order-status"); s != "Failed" {
		t.Fatalf("order status %q", s)
	}
	if c := colour("#order-status"); c != failed {
		t.Fatalf("order page badge %q, list's failed badge %q", c, failed)
	}
	if s := text(t, ctx, "#customer"); !strings.Contains(s, "Ada Lovelace") || !strings.Contains(s, "ada@example.com") {
		t.Fatalf("customer %q", s)
	}
	if s := text(t, ctx, "#history"); !strings.Contains(s, "In production") || !strings.Contains(s, "Failed") {
		t.Fatalf("status history %q", s)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#items tr[data-item="1"] a[download], #files a[download]').length`)); err != nil || n != 2 {
		t.Fatalf("file links: %d %v", n, err)
	}
	// The preview loads on its own: wait for it, with a deadline.
	pc, cancel := context.WithTimeout(ctx, 30*time.Second)
	if _, err := chromedp.Run(pc, chromedp.Poll[bool](`document.querySelector('#items tr[data-item="1"] img').naturalWidth > 0`)); err != nil {
		t.Fatalf("the item's preview did not load: %v", err)
	}
	cancel()
	screenshot(t, ctx, shots, "order.png")

	// Cancel an order whose ERP call hangs: a reason, the confirmation,
	// then the page follows it to cancelled.
	f.create("C-hold-4003")
	deadline := time.Now().Add(30 * time.Second)
	for !holding(f) {
		if time.Now().After(deadline) {
			t.Fatal("the ERP call of C-hold-4003 did not start")
		}
		time.Sleep(5 * time.Millisecond) // polling interval of a deadline-bound wait
	}
	run(t, ctx, "open C-hold-4003", chromedp.Navigate(f.srv.URL+"/ui/orders/C-hold-4003"), chromedp.WaitVisible(chromedp.ID("action-cancel")))
	run(t, ctx, "ask to cancel", chromedp.SendKeys(chromedp.ID("cancel-reason"), "customer asked"),
		chromedp.Click(chromedp.ID("action-cancel")), chromedp.WaitVisible(chromedp.ID("cancel-confirm")))
	if s := text(t, ctx, "#cancel-reason-shown"); s != "customer asked" {
		t.Fatalf("the confirmation shows the reason %q", s)
	}
	if st := f.status("C-hold-4003"); st != ordo.StatusRunning {
		t.Fatalf("before the confirmation the order's instance is %s", st)
	}
	screenshot(t, ctx, shots, "cancel-confirm.png")
	run(t, ctx, "confirm the cancel", chromedp.Click(chromedp.ID("action-cancel-confirm")),
		chromedp.WaitVisible(chromedp.CSS(`#order-status[data-tone="cancelled"]`)))
	if s := text(t, ctx, `#audit tr[data-action="cancel"]`); !strings.Contains(s, "customer asked") {
		t.Fatalf("audit entry of the cancel: %q", s)
	}

	// Bulk restart of the failed orders: the count first, then the job.
	run(t, ctx, "open the failed orders", chromedp.Navigate(f.srv.URL+"/ui/orders?status=Failed"), chromedp.WaitVisible(chromedp.ID("bulk-form")))
	run(t, ctx, "ask for a bulk restart", chromedp.SetValue(chromedp.ID("bulk-action"), "restart"),
		chromedp.SendKeys(chromedp.ID("bulk-reason"), "ERP fixed"), chromedp.Click(chromedp.ID("bulk-preview")),
		chromedp.WaitVisible(chromedp.ID("bulk-confirm")))
	if s := text(t, ctx, "#bulk-count"); s != "2" {
		t.Fatalf("dry run counts %q orders, want 2", s)
	}
	if runs, err := f.engine.Runs(context.Background(), "C-fail-4002"); err != nil || len(runs) != 0 {
		t.Fatalf("the dry run acted: %d runs (%v)", len(runs), err)
	}
	screenshot(t, ctx, shots, "bulk-confirm.png")
	run(t, ctx, "confirm the bulk restart", chromedp.Click(chromedp.ID("bulk-start")),
		chromedp.WaitVisible(chromedp.CSS(`section#bulk-job:not([hx-get])`)))
	if s := text(t, ctx, "#job-processed"); s != "2 of 2 processed" {
		t.Fatalf("job progress %q", s)
	}
	if s := text(t, ctx, "#job-succeeded"); s != "2" {
		t.Fatalf("job succeeded %q", s)
	}
	screenshot(t, ctx, shots, "bulk-job.png")
}

// holding reports whether the ERP endpoint holds the call of C-hold-4003.
func holding(f *orderFixture) bool {
	for _, r := range f.erp.Requests() {
		if r.Path == "/erp" && strings.Contains(string(r.Body), "C-hold-4003") {
			return true
		}
	}
	return false
}
