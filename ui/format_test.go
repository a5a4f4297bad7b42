package ui

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{500 * time.Microsecond, "<1ms"},
		{350 * time.Millisecond, "350ms"},
		{4250 * time.Millisecond, "4.2s"},
		{42 * time.Second, "42s"},
		{3*time.Minute + 4*time.Second, "3m 4s"},
		{5 * time.Minute, "5m"},
		{2*time.Hour + 5*time.Minute + 59*time.Second, "2h 5m"},
		{3*24*time.Hour + 4*time.Hour, "3d 4h"},
		{-90 * time.Second, "1m 30s"},
	} {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestClockFormat(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	f := clockFormat{now: now, loc: time.UTC}
	for _, tc := range []struct {
		t         time.Time
		text, rel string
	}{
		{now.Add(-90 * time.Second), "13:58:30", "1m 30s ago"},
		{now.Add(20 * time.Second), "14:00:20", "in 20s"},
		{now.Add(300 * time.Millisecond), "14:00:00", "now"},
		{now.Add(30 * time.Hour), "Mar 3 20:00", "in 1d 6h"},
		{time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC), "2025-12-31 23:00", "60d 15h ago"},
	} {
		v := f.at(&tc.t)
		if v.Text != tc.text || v.Rel != tc.rel {
			t.Errorf("at(%s) = %q %q, want %q %q", tc.t, v.Text, v.Rel, tc.text, tc.rel)
		}
	}
	if f.at(nil) != nil || f.at(&time.Time{}) != nil {
		t.Errorf("nil and zero times must give no view")
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err == nil {
		if v := (clockFormat{now: now, loc: berlin}).at(&now); v.Text != "15:00:00" || v.ISO != "2026-03-02T14:00:00.000Z" {
			t.Errorf("Berlin: %+v", v)
		}
	}
}

func TestJSONForDisplay(t *testing.T) {
	t.Parallel()
	if got := prettyJSON(json.RawMessage(`{"a":[1,2]}`)); got != "{\n  \"a\": [\n    1,\n    2\n  ]\n}" {
		t.Errorf("prettyJSON = %q", got)
	}
	if got := prettyJSON(json.RawMessage(`not json`)); got != "not json" {
		t.Errorf("prettyJSON of invalid JSON = %q", got)
	}
	if got := compactJSON(json.RawMessage(`{ "name": "Grüße" }`), 12); got != `{"name":"Gr…` {
		t.Errorf("compactJSON cut = %q", got)
	}
	if got := compactJSON(json.RawMessage(`{ "a": 1 }`), 100); got != `{"a":1}` {
		t.Errorf("compactJSON = %q", got)
	}
}

func TestTimelineBars(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	ptr := func(t time.Time) *time.Time { return &t }
	inst := &ordo.Instance{
		Instance: store.Instance{ID: "i", Status: store.StatusWaiting, CreatedAt: t0},
		Steps: []*store.Step{
			{Key: "charge#1", Name: "charge", Seq: 1, Kind: store.KindDo, Status: store.StepRetrying, Attempts: 2,
				StartedAt: at(0), NextAttemptAt: ptr(at(200)),
				History: []store.Attempt{
					{Number: 1, StartedAt: at(0), FinishedAt: at(10), Error: &store.ErrorInfo{Message: "boom", Kind: "step"}},
					{Number: 2, StartedAt: at(30), FinishedAt: at(40), Error: &store.ErrorInfo{Message: "boom again", Kind: "step"}},
				}},
			{Key: "nap#1", Name: "nap", Seq: 1, Kind: store.KindSleep, Status: store.StepWaiting, StartedAt: at(50), WakeAt: ptr(at(500))},
		},
	}
	tl := buildTimeline(inst, clockFormat{now: at(100), loc: time.UTC})
	if !tl.Live || tl.Span != "1m 40s" || len(tl.Rows) != 2 || tl.Ticks[1].Label != "+50s" {
		t.Fatalf("timeline %+v", tl)
	}
	type b struct {
		x, w  float64
		class string
	}
	var got []b
	for _, x := range tl.Rows[0].Bars {
		got = append(got, b{x.X, x.W, x.Class})
	}
	want := []b{{0, 10, "attempt fail"}, {10, 20, "gap"}, {30, 10, "attempt fail"}, {40, 60, "gap open"}}
	if len(got) != len(want) {
		t.Fatalf("bars %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("bar %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	row := tl.Rows[0]
	if len(row.Failures) != 2 || row.NextAttempt == nil || row.NextAttempt.Rel != "in 1m 40s" {
		t.Errorf("retrying row %+v", row)
	}
	nap := tl.Rows[1]
	if nap.Bars[0] != (bar{X: 50, W: 50, Class: "sleep open", Title: "sleep waiting"}) || nap.WaitUntil.Rel != "in 6m 40s" {
		t.Errorf("sleeping row %+v %+v", nap.Bars, nap.WaitUntil)
	}

	// A finished instance spans created..finished; instant attempts stay
	// visible and inside the chart.
	inst.Status, inst.FinishedAt = store.StatusComplete, ptr(at(40))
	inst.Steps = inst.Steps[:1]
	inst.Steps[0].Status = store.StepCompleted
	inst.Steps[0].History = append(inst.Steps[0].History, store.Attempt{Number: 3, StartedAt: at(40), FinishedAt: at(40)})
	tl = buildTimeline(inst, clockFormat{now: at(1000), loc: time.UTC})
	last := tl.Rows[0].Bars[len(tl.Rows[0].Bars)-1]
	if tl.Live || tl.Span != "40s" || last.X != 100-minBarWidth || last.W != minBarWidth || last.Class != "attempt ok" {
		t.Errorf("finished timeline: live %v span %s last bar %+v", tl.Live, tl.Span, last)
	}
}

func TestSameOrigin(t *testing.T) {
	t.Parallel()
	h := &handler{cfg: Config{TrustedOrigins: []string{"https://ops.example.com"}}}
	for _, tc := range []struct {
		name   string
		header map[string]string
		ok     bool
	}{
		{"same origin", map[string]string{"Origin": "http://dash.local:8080"}, true},
		{"same origin, host in other case", map[string]string{"Origin": "http://DASH.local:8080"}, true},
		{"other port", map[string]string{"Origin": "http://dash.local:9090"}, false},
		{"other host", map[string]string{"Origin": "https://evil.example"}, false},
		{"trusted proxy origin", map[string]string{"Origin": "https://ops.example.com", "Sec-Fetch-Site": "same-site"}, true},
		{"fetch metadata same-origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"fetch metadata cross-site", map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "http://dash.local:8080"}, false},
		{"null origin", map[string]string{"Origin": "null", "Referer": "http://dash.local:8080/ui/"}, false},
		{"referer only", map[string]string{"Referer": "http://dash.local:8080/ui/instances/x"}, true},
		{"foreign referer", map[string]string{"Referer": "http://evil.example/x"}, false},
		{"not a URL", map[string]string{"Origin": "javascript:alert(1)"}, false},
		{"nothing", nil, false},
	} {
		r := httptest.NewRequest(http.MethodPost, "http://dash.local:8080/ui/instances/x/pause", nil)
		for k, v := range tc.header {
			r.Header.Set(k, v)
		}
		if err := h.sameOrigin(r); (err == nil) != tc.ok {
			t.Errorf("%s: sameOrigin = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
