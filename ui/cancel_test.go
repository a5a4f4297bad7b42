package ui_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// TestCancelAction: cancel needs a reason, then asks for a confirmation
// naming the compensations it runs, and only then cancels.
func TestCancelAction(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.waiting("w-1")
	page := f.get("/ui/instances/w-1")
	mustContain(t, "waiting instance", page.body, `id="action-cancel"`, `name="reason"`)

	r := f.post("/ui/instances/w-1/cancel", url.Values{"confirm": {"yes"}}, "HX-Request", "true")
	if r.status != 400 {
		t.Fatalf("cancel without a reason: %d", r.status)
	}
	mustContain(t, "cancel without a reason", r.body, "cancelling needs a reason")

	r = f.post("/ui/instances/w-1/cancel", url.Values{"reason": {"customer changed their mind"}}, "HX-Request", "true")
	if r.status != 200 {
		t.Fatalf("cancel, first step: %d", r.status)
	}
	mustContain(t, "cancel confirmation", r.body, `id="cancel-confirm"`, `customer changed their mind`,
		`name="confirm" value="yes"`, `id="action-cancel-confirm"`)
	if st := f.status("w-1"); st != ordo.StatusWaiting {
		t.Fatalf("before the confirmation the instance is %s", st)
	}

	r = f.post("/ui/instances/w-1/cancel", url.Values{"reason": {"customer changed their mind"}, "confirm": {"yes"}})
	if r.status != 303 || r.header.Get("Location") != "/ui/instances/w-1?done=cancel" {
		t.Fatalf("cancel confirmed: %d %q\n%s", r.status, r.header.Get("Location"), r.body)
	}
	f.env.WaitStatus("w-1", ordo.StatusCancelled)
	page = f.get("/ui/instances/w-1?done=cancel")
	mustContain(t, "cancelled instance", page.body, `<span class="badge s-cancelled">cancelled</span>`, "customer changed their mind",
		`id="audit"`, `<tr data-action="cancel">`, `<td class="mono">local</td>`)
	mustNotContain(t, "cancelled instance", page.body, `id="action-cancel"`)

	r = f.post("/ui/instances/w-1/cancel", url.Values{"reason": {"again"}, "confirm": {"yes"}}, "HX-Request", "true")
	if r.status != 409 {
		t.Fatalf("cancel a cancelled instance: %d", r.status)
	}
}

// TestCompensationActions: a compensation that failed for good is listed
// with retry, mark done and skip, each needing a reason.
func TestCompensationActions(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.start("checkout", "co-1")
	f.env.WaitDone("co-1")
	page := f.get("/ui/instances/co-1")
	mustContain(t, "errored checkout", page.body, `id="failed-compensations"`, `data-step="charge#1"`, "refund declined for ch-1",
		`name="do" value="retry"`, `name="do" value="done"`, `name="do" value="skip"`)

	r := f.post("/ui/instances/co-1/compensation", url.Values{"step": {"charge#1"}, "do": {"skip"}}, "HX-Request", "true")
	if r.status != 400 {
		t.Fatalf("skip without a reason: %d", r.status)
	}
	r = f.post("/ui/instances/co-1/compensation", url.Values{"step": {"charge#1"}, "do": {"explode"}, "reason": {"x"}}, "HX-Request", "true")
	if r.status != 400 {
		t.Fatalf("unknown compensation action: %d", r.status)
	}
	r = f.post("/ui/instances/co-1/compensation", url.Values{"step": {"charge#1"}, "do": {"skip"}, "reason": {"refunded by phone"}})
	if r.status != 303 {
		t.Fatalf("skip: %d\n%s", r.status, r.body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		inst, err := f.engine.Get(context.Background(), "co-1")
		if err != nil {
			t.Fatal(err)
		}
		var charge *ordo.StepRecord
		for _, st := range inst.Steps {
			if st.Key == "charge#1" {
				charge = st
			}
		}
		if charge != nil && charge.CompensationStatus == store.CompSkipped && inst.Status.Terminal() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the compensation of charge#1 was not skipped: %+v", charge)
		}
		time.Sleep(5 * time.Millisecond) // polling interval of a deadline-bound wait
	}
	page = f.get("/ui/instances/co-1")
	mustContain(t, "after skip", page.body, "compensation skipped", `<tr data-action="compensation.skip">`, "refunded by phone")
	mustNotContain(t, "after skip", page.body, `id="failed-compensations"`)
}
