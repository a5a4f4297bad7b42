package ui_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ordohq/ordo"
)

// TestInstanceAwaitedEvent: a waiting instance's page says which event it
// waits for, with the match, and prefills the send-event form with the
// type and the match as payload; an unmatched wait prefills the type only.
func TestInstanceAwaitedEvent(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.env.Register(ordo.NewWorkflow("matcher", func(ctx context.Context, _ struct{}) (any, error) {
		return ordo.WaitForEvent[any](ctx, "paid", "payment.received", time.Hour,
			ordo.Match("orderId", "C-1"), ordo.Match("amount", 12))
	}))
	f.start("matcher", "m-1")
	f.waitStep("m-1", "paid#1", "waiting")

	r := f.get("/ui/instances/m-1")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	mustContain(t, "matched wait", r.body,
		`<dt>Waiting for</dt><dd id="awaits"><span class="await" data-event-type="payment.received">event <code>payment.received</code> <span class="muted">matching</span> <code>amount = 12, orderId = &#34;C-1&#34;</code></span></dd>`,
		`<input id="event-type" name="type" required value="payment.received"`,
		`<textarea id="event-payload" name="payload" rows="1" placeholder='{"boxes": 1}' spellcheck="false">{&#34;amount&#34;:12,&#34;orderId&#34;:&#34;C-1&#34;}</textarea>`,
	)
	rows := timelineRows(r.body)
	if len(rows) != 1 || rows[0].kind != "event" {
		t.Fatalf("rows %+v", rows)
	}
	mustContain(t, "event row", rows[0].html,
		`Waiting for event <code>payment.received</code> <span class="muted">matching</span> <code>amount = 12, orderId = &#34;C-1&#34;</code>`)

	f.waiting("w-1")
	r = f.get("/ui/instances/w-1")
	mustContain(t, "unmatched wait", r.body,
		`<span class="await" data-event-type="order.packed">event <code>order.packed</code></span>`,
		`<input id="event-type" name="type" required value="order.packed"`,
		`spellcheck="false"></textarea>`,
	)

	// Once the event arrived, the page no longer waits; the row keeps the type.
	f.env.SendEvent("m-1", "payment.received", map[string]any{"orderId": "C-1", "amount": 12})
	f.env.WaitDone("m-1")
	r = f.get("/ui/instances/m-1")
	mustNotContain(t, "finished", r.body, `id="awaits"`, `value="payment.received"`)
	mustContain(t, "finished row", timelineRows(r.body)[0].html, `Awaited event <code>payment.received</code>`)
}
