package ui_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/ordohq/ordo"
)

// stepRow is one timeline row as rendered: its kind, status and HTML.
type stepRow struct{ kind, status, key, html string }

// timelineRows cuts an instance page's timeline into its rows, in order.
func timelineRows(body string) []stepRow {
	re := regexp.MustCompile(`<tr class="step-row k-(\w+) st-(\w+)" data-key="([^"]+)">`)
	locs := re.FindAllStringSubmatchIndex(body, -1)
	var rows []stepRow
	for i, l := range locs {
		end := len(body)
		if i+1 < len(locs) {
			end = locs[i+1][0]
		}
		rows = append(rows, stepRow{kind: body[l[2]:l[3]], status: body[l[4]:l[5]], key: body[l[6]:l[7]], html: body[l[0]:end]})
	}
	return rows
}

func TestInstanceTimeline(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.start("checkout", "order-1")
	f.env.WaitDone("order-1")

	r := f.get("/ui/instances/order-1")
	if r.status != http.StatusOK {
		t.Fatalf("status %d", r.status)
	}
	// Header: status, custom status, error with the compensation errors.
	mustContain(t, "summary", r.body,
		`<span class="kicker">checkout</span><span class="mono">order-1</span>`,
		`<span class="badge s-errored">errored</span> <span class="badge custom" title="Custom status">paid</span>`,
		`<span class="tag">non_retryable</span> <span class="in">in step</span> <code>ship</code>`,
		`no carrier for this address`,
		`<h3>Compensation errors</h3>`,
		`<li><code>charge</code>: compensation of step &#34;charge&#34;: refund declined for ch-1</li>`,
		`<dt>Duration</dt><dd>15s</dd>`,
		`<h2 id="params-title">Params</h2>`,
	)
	// A finished instance is not polled.
	mustNotContain(t, "finished instance", r.body, `/live"`, `class="live"`)

	rows := timelineRows(r.body)
	var got []string
	for _, row := range rows {
		got = append(got, row.kind+" "+row.key+" "+row.status)
	}
	want := []string{"do reserve#1 completed", "do charge#1 completed", "sleep cool-off#1 completed", "do ship#1 failed"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("timeline rows\n got %q\nwant %q", got, want)
	}
	reserve, charge, sleep, ship := rows[0].html, rows[1].html, rows[2].html, rows[3].html
	mustContain(t, "reserve row", reserve,
		`<span class="badge c-completed">compensated</span>`, `Compensation completed after 1 attempt`,
		`class="attempt ok"`, `class="comp ok"`)
	mustContain(t, "charge row (retried, compensation failed)", charge,
		`<td class="num">3</td>`, // attempts
		`<span class="badge c-failed">compensation failed</span>`,
		`<span class="what">Attempt 1</span>`, `payment gateway unavailable (attempt 1)`,
		`<span class="what">Attempt 2</span>`, `payment gateway unavailable (attempt 2)`,
		`<span class="what">Compensation attempt 1</span>`, `refund declined for ch-1`,
		`<title>attempt 1 failed after 400ms</title>`, `<title>waiting 2.0s</title>`,
		`<title>attempt 3 succeeded after 400ms</title>`,
		`Set status <span class="badge custom">paid</span>`,
		`took 5.2s`,
	)
	mustNotContain(t, "charge row", charge, `Attempt 3</span>`) // only failed attempts are listed
	mustContain(t, "sleep row", sleep, `kind-sleep`, `Slept until <time datetime="2026-03-02T14:00:15.350Z"`, `took 10s`, `class="sleep"`)
	mustContain(t, "ship row", ship, `<span class="badge s-failed">failed</span>`, `no carrier for this address`, `class="attempt fail"`)

	// Bars sit where their times fall on the 15.6 s span: the sleep starts
	// after charge's 5.35 s and lasts 10 s.
	mustContain(t, "sleep bar", sleep, `<rect x="34.29" y="1.5" width="64.10" height="9" class="sleep">`)
}

func TestInstanceLive(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.waiting("order-7")

	r := f.get("/ui/instances/order-7")
	mustContain(t, "waiting instance", r.body,
		`hx-get="/ui/instances/order-7/live" hx-trigger="every 2s" hx-swap="outerHTML"`,
		`<span class="live"`,
		`Waiting for the event until <time datetime="2026-03-03T14:00:00.200Z"`, `(in 1d)`,
		`<dt>Wakes</dt>`, `200ms so far`, // the prepare step moved the clock 200 ms
		`<option value="packed">step “packed”</option>`,
	)
	if rows := timelineRows(r.body); len(rows) != 2 || rows[1].kind != "event" || rows[1].status != "waiting" {
		t.Fatalf("rows %+v", rows)
	}
	mustContain(t, "open event bar", timelineRows(r.body)[1].html, `class="event open"`)

	// The polled fragment is the summary plus the timeline, swapped out of band.
	live := f.get("/ui/instances/order-7/live")
	if live.status != http.StatusOK {
		t.Fatalf("live: status %d", live.status)
	}
	mustContain(t, "live fragment", live.body,
		`<section id="summary"`, `hx-trigger="every 2s"`,
		`<section id="timeline" class="card timeline" aria-labelledby="timeline-title" hx-swap-oob="true">`)
	mustNotContain(t, "live fragment", live.body, "<html", `id="actions"`)

	// Once finished, the fragment stops the polling.
	f.env.SendEvent("order-7", "order.packed", map[string]int{"boxes": 2})
	f.env.WaitDone("order-7")
	live = f.get("/ui/instances/order-7/live")
	mustContain(t, "final fragment", live.body, `<span class="badge s-complete">complete</span>`, `Event received: <code class="out">{&#34;boxes&#34;:2}</code>`)
	mustNotContain(t, "final fragment", live.body, `hx-trigger`)
	if r := f.get("/ui/instances/nope/live"); r.status != http.StatusNotFound {
		t.Errorf("live fragment of an unknown instance: status %d", r.status)
	}
}

func TestInstanceRetrying(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.start("flaky", "erp-1")
	f.waitStep("erp-1", "call-erp#1", "retrying")
	r := f.get("/ui/instances/erp-1")
	rows := timelineRows(r.body)
	if len(rows) != 1 || rows[0].status != "retrying" {
		t.Fatalf("rows %+v", rows)
	}
	mustContain(t, "retrying row", rows[0].html,
		`<span class="badge s-retrying">retrying</span>`,
		`<div class="next">Next attempt <time datetime="2026-03-02T15:00:00.000Z"`, `(in 1h)`,
		`ERP answered 503`,
		`class="gap open"`, // the pending delay runs off the right edge
	)
}

// TestInstancePriority: the instance page shows a priority other than 0,
// and says nothing of the default one.
func TestInstancePriority(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	if _, err := f.engine.Create(context.Background(), "waiter", nil, &ordo.CreateOptions{ID: "urgent", Priority: 7}); err != nil {
		t.Fatal(err)
	}
	f.waitStep("urgent", "packed#1", "waiting")
	f.waiting("plain")
	mustContain(t, "priority 7", f.get("/ui/instances/urgent").body,
		`<dt>Priority</dt><dd id="instance-priority">7 <span class="muted">(claimed before priority 0 when workers are busy)</span>`)
	mustNotContain(t, "priority 0", f.get("/ui/instances/plain").body, `id="instance-priority"`)
}
