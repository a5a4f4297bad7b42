package ui

import (
	"encoding/json"
	"testing"
	"time"
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
