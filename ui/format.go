package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// timeView is a point in time as the templates show it: short text, the
// full timestamp as a tooltip, the machine-readable form for <time>, and
// how far it is from now.
type timeView struct {
	Text string // "14:03:05" today, "Mar 2 14:03" this year, else "2025-11-30 14:03"
	Full string // "2026-03-02 14:03:05.123 UTC"
	ISO  string // RFC 3339 with milliseconds, for <time datetime>
	Rel  string // "5m ago", "in 20s", "now"
}

// clockFormat formats times in one location relative to one "now".
type clockFormat struct {
	now time.Time
	loc *time.Location
}

// at returns the view of t, or nil for a nil or zero t.
func (f clockFormat) at(t *time.Time) *timeView {
	if t == nil || t.IsZero() {
		return nil
	}
	lt, ln := t.In(f.loc), f.now.In(f.loc)
	text := lt.Format("2006-01-02 15:04")
	switch {
	case lt.YearDay() == ln.YearDay() && lt.Year() == ln.Year():
		text = lt.Format("15:04:05")
	case lt.Year() == ln.Year():
		text = lt.Format("Jan 2 15:04")
	}
	return &timeView{
		Text: text,
		Full: lt.Format("2006-01-02 15:04:05.000 MST"),
		ISO:  t.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		Rel:  relative(t.Sub(f.now)),
	}
}

// relative says how far an offset from now is: "5m ago", "in 20s", "now".
func relative(d time.Duration) string {
	switch {
	case d > -time.Second && d < time.Second:
		return "now"
	case d < 0:
		return formatDuration(-d) + " ago"
	}
	return "in " + formatDuration(d)
}

// formatDuration writes a duration with two units at most: "350ms",
// "4.2s", "3m 4s", "2h 5m", "3d 4h".
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d == 0:
		return "0s"
	case d < time.Millisecond:
		return "<1ms"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", math.Floor(d.Seconds()*10)/10)
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return twoUnits(int(d/time.Minute), "m", int(d%time.Minute/time.Second), "s")
	case d < 24*time.Hour:
		return twoUnits(int(d/time.Hour), "h", int(d%time.Hour/time.Minute), "m")
	}
	return twoUnits(int(d/(24*time.Hour)), "d", int(d%(24*time.Hour)/time.Hour), "h")
}

func twoUnits(a int, ua string, b int, ub string) string {
	if b == 0 {
		return fmt.Sprintf("%d%s", a, ua)
	}
	return fmt.Sprintf("%d%s %d%s", a, ua, b, ub)
}

// maxJSONShown bounds the JSON (params, outputs) a page shows.
const maxJSONShown = 32 << 10

// prettyJSON indents raw JSON for display and cuts it at maxJSONShown.
// Invalid JSON is shown as it is.
func prettyJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		buf.Reset()
		buf.Write(raw)
	}
	if buf.Len() > maxJSONShown {
		return buf.String()[:maxJSONShown] + fmt.Sprintf("\n… (%d more bytes)", buf.Len()-maxJSONShown)
	}
	return buf.String()
}

// compactJSON returns raw JSON on one line, cut to n bytes with an
// ellipsis, for previews in table cells.
func compactJSON(raw json.RawMessage, n int) string {
	if len(raw) == 0 {
		return ""
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		buf.Reset()
		buf.Write(raw)
	}
	s := buf.String()
	if len(s) > n {
		cut := n
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		return s[:cut] + "…"
	}
	return s
}
