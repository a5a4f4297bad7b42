package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserOrders drives the orders pages in headless Chromium: the
// list with its badges (an order failed through its onError path is red,
// not green), a click through to the order page with its items, files,
// status history and timeline.
func TestBrowserOrders(t *testing.T) {
	f := setupOrders(t, nil)
	ctx := newBrowser(t)
	shots := t.TempDir()
	f.order("C-4001")
	f.order("C-fail-4002")

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
	screenshot(t, ctx, shots, "order.png")
}
