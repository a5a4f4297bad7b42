package ui_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/ordohq/ordo"
)

func TestActions(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	id := f.waiting("order-1")
	base := "/ui/instances/" + id

	// Without htmx: POST, then a redirect to the page with the outcome.
	r := f.post(base+"/pause", nil)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != base+"?done=pause" {
		t.Fatalf("pause: %d %q, want 303 to %s?done=pause", r.status, r.header.Get("Location"), base)
	}
	if s := f.status(id); s != ordo.StatusPaused {
		t.Fatalf("after pause: status %s", s)
	}
	page := f.get(base + "?done=pause")
	mustContain(t, "page after pause", page.body,
		`<p class="flash ok" role="status">Paused: the instance stops at its next step boundary.</p>`,
		`<span class="badge s-paused">paused</span>`)

	// With htmx: the page comes back at once, with the outcome.
	r = f.post(base+"/resume", nil, "HX-Request", "true")
	if r.status != http.StatusOK {
		t.Fatalf("resume with htmx: status %d", r.status)
	}
	mustContain(t, "resume answer", r.body, `<p class="flash ok" role="status">Resumed.</p>`, `<div id="instance">`)
	f.waitStep(id, "packed#1", "waiting")

	// An event with a JSON payload completes the instance.
	r = f.post(base+"/event", url.Values{"type": {"order.packed"}, "payload": {`{"boxes": 3}`}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("event: status %d\n%s", r.status, r.body)
	}
	done := f.env.WaitDone(id)
	if done.Status != ordo.StatusComplete || string(done.Output) != `{"boxes":3}` {
		t.Fatalf("after the event: %s %s", done.Status, done.Output)
	}

	// Restart from a chosen step keeps the steps before it; the event its
	// wait had received is handed to it again.
	r = f.post(base+"/restart", url.Values{"from": {"packed"}}, "HX-Request", "true")
	mustContain(t, "restart answer", r.body, `Restarted from step &#34;packed&#34;.`)
	if done := f.env.WaitDone(id); done.Status != ordo.StatusComplete || f.env.Calls("prepare") != 1 {
		t.Fatalf("after restart from packed: %s, prepare ran %d times", done.Status, f.env.Calls("prepare"))
	}

	// Restart from the beginning runs every step again.
	r = f.post(base+"/restart", url.Values{"from": {""}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != base+"?done=restart" {
		t.Fatalf("restart: %d %q", r.status, r.header.Get("Location"))
	}
	if done := f.env.WaitDone(id); done.Status != ordo.StatusComplete || f.env.Calls("prepare") != 2 {
		t.Fatalf("after restart from the beginning: %s, prepare ran %d times", done.Status, f.env.Calls("prepare"))
	}

	// Terminate a waiting instance.
	id = f.waiting("order-2")
	base = "/ui/instances/" + id
	r = f.post(base+"/terminate", nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("terminate: status %d", r.status)
	}
	if s := f.status(id); s != ordo.StatusTerminated {
		t.Fatalf("after terminate: status %s", s)
	}
	page = f.get(base + "?done=terminate")
	mustContain(t, "terminated page", page.body, `role="status">Terminated.</p>`, `<span class="badge s-terminated">terminated</span>`)
}

func TestRefusedActions(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	id := f.waiting("order-1")
	base := "/ui/instances/" + id

	// An invalid transition shows the engine's message.
	r := f.post(base+"/resume", nil)
	if r.status != http.StatusConflict {
		t.Fatalf("resume a waiting instance: status %d, want 409", r.status)
	}
	mustContain(t, "refused resume", r.body, `<p class="flash error" role="alert">instance &#34;order-1&#34; is waiting: resume needs a paused instance`,
		`<div id="instance">`)
	// The same with htmx (its config swaps 4xx answers in).
	r = f.post(base+"/resume", nil, "HX-Request", "true")
	if r.status != http.StatusConflict {
		t.Fatalf("resume with htmx: status %d, want 409", r.status)
	}

	// Bad input: the event form is refilled so it can be fixed.
	r = f.post(base+"/event", url.Values{"type": {"order.packed"}, "payload": {`{"boxes":`}})
	if r.status != http.StatusBadRequest {
		t.Fatalf("bad JSON: status %d, want 400", r.status)
	}
	mustContain(t, "bad JSON", r.body, `the event payload is not valid JSON`, `value="order.packed"`, `>{&#34;boxes&#34;:</textarea>`)
	r = f.post(base+"/event", url.Values{"type": {""}})
	if r.status != http.StatusBadRequest {
		t.Errorf("no event type: status %d, want 400", r.status)
	}
	mustContain(t, "no event type", r.body, `role="alert">`, `event type`)
	r = f.post(base+"/restart", url.Values{"from": {"nope"}})
	if r.status != http.StatusNotFound {
		t.Errorf("restart from an unknown step: status %d, want 404", r.status)
	}
	mustContain(t, "restart from an unknown step", r.body, `role="alert">`, `&#34;nope&#34;`)
	if r := f.post(base+"/explode", nil); r.status != http.StatusNotFound {
		t.Errorf("unknown action: status %d, want 404", r.status)
	}
	if r := f.post("/ui/instances/missing/pause", nil); r.status != http.StatusNotFound {
		t.Errorf("pause an unknown instance: status %d, want 404", r.status)
	}
	if s := f.status(id); s != ordo.StatusWaiting {
		t.Fatalf("refused actions changed the instance: %s", s)
	}

	// Restarting after compensations from a later step is refused by the engine.
	f.start("checkout", "order-2")
	f.env.WaitDone("order-2")
	r = f.post("/ui/instances/order-2/restart", url.Values{"from": {"ship"}})
	if r.status != http.StatusConflict {
		t.Fatalf("restart from ship after compensations: status %d, want 409", r.status)
	}
	mustContain(t, "restart after compensations", r.body, `role="alert">`, `an earlier step was already compensated`)
}

func TestCrossOriginRefused(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	id := f.waiting("order-1")
	pause := "/ui/instances/" + id + "/pause"

	for _, tc := range []struct {
		name   string
		header []string
	}{
		{"other origin", []string{"Origin", "https://evil.example"}},
		{"other origin, same host name, other port", []string{"Origin", "http://127.0.0.1:1"}},
		{"opaque origin", []string{"Origin", "null"}},
		{"cross-site fetch", []string{"Sec-Fetch-Site", "cross-site"}},
		{"same-site fetch from another origin", []string{"Sec-Fetch-Site", "same-site", "Origin", "http://shop.localhost"}},
		{"other referer", []string{"Origin", "", "Referer", "https://evil.example/page"}},
		{"no origin, no referer", []string{"Origin", ""}},
	} {
		r := f.post(pause, nil, tc.header...)
		if r.status != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", tc.name, r.status)
		}
		if s := f.status(id); s != ordo.StatusWaiting {
			t.Fatalf("%s: the action ran; status %s", tc.name, s)
		}
	}
	// GET never acts.
	if r := f.get(pause); r.status == http.StatusOK || r.status == http.StatusSeeOther {
		t.Errorf("GET %s: status %d", pause, r.status)
	}
	if s := f.status(id); s != ordo.StatusWaiting {
		t.Fatalf("GET paused the instance")
	}
	// Same-origin by Referer alone, or by Sec-Fetch-Site alone, is accepted.
	if r := f.post(pause, nil, "Origin", "", "Referer", f.srv.URL+"/ui/instances/"+id); r.status != http.StatusSeeOther {
		t.Fatalf("same-origin Referer: status %d\n%s", r.status, r.body)
	}
	if r := f.post("/ui/instances/"+id+"/resume", nil, "Origin", "", "Sec-Fetch-Site", "same-origin"); r.status != http.StatusSeeOther {
		t.Fatalf("Sec-Fetch-Site same-origin: status %d\n%s", r.status, r.body)
	}
}
