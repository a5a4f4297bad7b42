package ui

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// timelineView is an instance's step timeline: one row per journal entry,
// each with bars placed on the instance's span (created until finished, or
// until now while it runs).
type timelineView struct {
	Start, End *timeView
	Live       bool   // the span ends now: the instance is not finished
	Span       string // length of the span, "3m 4s"
	Ticks      []tick
	Rows       []stepRow
}

// tick is a grid line of the timeline with its offset from the start.
type tick struct {
	X     float64 // percent of the span
	Label string  // "+1m 30s"
}

// stepRow is one journal entry.
type stepRow struct {
	Key, Name    string
	Seq          int    // occurrence of Name in the run, from 1
	Kind         string // do, sleep, event
	KindLabel    string // "step", "sleep", "event wait"
	Status       string // completed, failed, retrying, waiting
	Attempts     int
	Started      *timeView
	Finished     *timeView
	Took         string
	Bars         []bar
	BarLabel     string     // the bars in words, for screen readers
	WaitUntil    *timeView  // a sleep's wake-up time or an event wait's deadline
	NextAttempt  *timeView  // when a retrying step's next attempt runs
	Error        *errorView // why the step failed for good, unless Failures shows it
	Failures     []attemptView
	Comp         *compView // nil when the step has no compensation
	CustomStatus string
	Output       string     // one-line preview of the output
	Await        *awaitView // what an event wait waits for
	// LimitWait is why a step waits for a named limit ("waiting for limit
	// erp (5 at once)"); WaitUntil is then when it tries again.
	LimitWait string
}

// awaitView is the event an event step waits for: its type and, for a
// matched wait, the payload fields in words (orderId = "C-1", n = 2).
type awaitView struct {
	Type, Match string
}

// newAwaitView returns a's view, nil for nil.
func newAwaitView(a *store.EventAwait) *awaitView {
	if a == nil {
		return nil
	}
	v := &awaitView{Type: a.Type}
	names := slices.Sorted(maps.Keys(a.Match))
	for i, name := range names {
		if i > 0 {
			v.Match += ", "
		}
		v.Match += name + " = " + compactJSON(a.Match[name], 80)
	}
	return v
}

// awaitsOf returns what inst's waiting event steps wait for, in journal
// order.
func awaitsOf(inst *ordo.Instance) []awaitView {
	var out []awaitView
	for _, st := range inst.Steps {
		if st.Kind == store.KindEvent && st.Status == store.StepWaiting && st.Await != nil {
			out = append(out, *newAwaitView(st.Await))
		}
	}
	return out
}

// bar is one segment on a timeline row.
type bar struct {
	X, W  float64 // percent of the span
	Class string  // attempt ok|fail, comp ok|fail, gap, sleep, event (+ open)
	Title string  // tooltip
}

// attemptView is one failed attempt of a step or of its compensation.
type attemptView struct {
	Number       int
	Compensation bool
	At           *timeView
	Took         string
	Error        string
	Kind         string // how the error was classified: step, timeout, ...
}

// compView is the status of a step's compensation.
type compView struct {
	Status   string // "", retrying, completed, failed
	Label    string // "not needed", "retrying", "compensated", "failed"
	Attempts int
	Error    string
	Next     *timeView
}

// errorView is a persisted error with the compensation failures it caused.
type errorView struct {
	Message       string
	Kind          string
	Step          string
	Compensations []errorView
}

func newErrorView(e *store.ErrorInfo) *errorView {
	if e == nil {
		return nil
	}
	v := &errorView{Message: e.Message, Kind: string(e.Kind), Step: e.Step}
	for i := range e.Compensations {
		v.Compensations = append(v.Compensations, *newErrorView(&e.Compensations[i]))
	}
	return v
}

// minBarWidth keeps instantaneous attempts visible, in percent.
const minBarWidth = 0.8

// span maps times onto 0..100 percent of an instance's timeline.
type span struct{ start, end time.Time }

func (s span) pos(t time.Time) float64 {
	total := s.end.Sub(s.start)
	if total <= 0 {
		return 0
	}
	p := 100 * float64(t.Sub(s.start)) / float64(total)
	return min(max(p, 0), 100)
}

// seg returns the bar from a to b, at least minBarWidth wide.
func (s span) seg(a, b time.Time, class, title string) bar {
	x, w := s.pos(a), s.pos(b)-s.pos(a)
	if w < minBarWidth {
		w = minBarWidth
		x = min(x, 100-w)
	}
	return bar{X: x, W: w, Class: class, Title: title}
}

// buildTimeline lays out an instance's journal at time now.
func buildTimeline(inst *ordo.Instance, f clockFormat) timelineView {
	sp := span{start: inst.CreatedAt, end: f.now}
	live := !inst.Status.Terminal() || inst.FinishedAt == nil
	if !live {
		sp.end = *inst.FinishedAt
	}
	for _, st := range inst.Steps { // clock skew between workers: keep every bar on the chart
		for _, a := range st.History {
			if a.FinishedAt.After(sp.end) {
				sp.end = a.FinishedAt
			}
		}
		if st.FinishedAt != nil && st.FinishedAt.After(sp.end) {
			sp.end = *st.FinishedAt
		}
	}
	total := sp.end.Sub(sp.start)
	tv := timelineView{Start: f.at(&sp.start), End: f.at(&sp.end), Live: live, Span: formatDuration(total)}
	for _, q := range []float64{25, 50, 75} {
		if total < time.Millisecond { // nothing to measure yet
			break
		}
		tv.Ticks = append(tv.Ticks, tick{X: q, Label: "+" + formatDuration(time.Duration(float64(total)*q/100))})
	}
	for _, st := range inst.Steps {
		tv.Rows = append(tv.Rows, buildRow(st, sp, f))
	}
	return tv
}

func buildRow(st *store.Step, sp span, f clockFormat) stepRow {
	r := stepRow{
		Key: st.Key, Name: st.Name, Seq: st.Seq, Kind: string(st.Kind), KindLabel: kindLabel(st.Kind),
		Status: string(st.Status), Attempts: st.Attempts,
		Started: f.at(&st.StartedAt), Finished: f.at(st.FinishedAt),
		Error: newErrorView(st.Error), CustomStatus: st.CustomStatus, Output: compactJSON(st.Output, 120),
		Await: newAwaitView(st.Await),
	}
	end := f.now
	if st.FinishedAt != nil {
		end = *st.FinishedAt
		r.Took = formatDuration(end.Sub(st.StartedAt))
	}
	switch st.Kind {
	case store.KindConcurrency: // the instance's wait for its slot (ordo.ConcurrencyWaitStatus)
		class := "event"
		if st.Status == store.StepWaiting {
			r.LimitWait, r.CustomStatus = st.CustomStatus, ""
			r.WaitUntil = f.at(st.WakeAt)
			class += " open"
		}
		r.Bars = append(r.Bars, sp.seg(st.StartedAt, end, class, fmt.Sprintf("%s %s", r.KindLabel, st.Status)))
	case store.KindSleep, store.KindEvent:
		r.WaitUntil = f.at(st.WakeAt)
		class := string(st.Kind)
		switch st.Status {
		case store.StepWaiting:
			class += " open"
		case store.StepFailed:
			class += " fail"
		}
		r.Bars = append(r.Bars, sp.seg(st.StartedAt, end, class, fmt.Sprintf("%s %s", r.KindLabel, st.Status)))
	default:
		r.Bars = attemptBars(st, sp, f)
		if st.Status == store.StepRetrying {
			r.NextAttempt = f.at(st.NextAttemptAt)
		}
		if st.Kind == store.KindAsync && st.Status == store.StepWaiting {
			r.WaitUntil = f.at(st.WakeAt) // its result is due by then
		}
		if st.Kind == store.KindDo && st.Status == store.StepWaiting { // waits for its limit (ordo.LimitWaitStatus)
			r.LimitWait, r.CustomStatus = st.CustomStatus, ""
			r.WaitUntil = f.at(st.WakeAt)
		}
	}
	for _, a := range st.History {
		if a.Error != nil {
			r.Failures = append(r.Failures, attemptView{
				Number: a.Number, Compensation: a.Compensation, At: f.at(&a.StartedAt),
				Took: formatDuration(a.FinishedAt.Sub(a.StartedAt)), Error: a.Error.Message, Kind: string(a.Error.Kind),
			})
		}
	}
	// An error already listed with its attempt is not repeated.
	listed := func(msg string, comp bool) bool {
		for _, a := range r.Failures {
			if a.Compensation == comp && a.Error == msg {
				return true
			}
		}
		return false
	}
	if r.Error != nil && listed(r.Error.Message, false) {
		r.Error = nil
	}
	if st.HasCompensation {
		r.Comp = &compView{Status: string(st.CompensationStatus), Label: compLabel(st.CompensationStatus),
			Attempts: st.CompensationAttempts}
		if st.CompensationStatus == store.CompRetrying {
			r.Comp.Next = f.at(st.CompensationNextAt)
		}
		if e := st.CompensationError; e != nil && !listed(e.Message, true) {
			r.Comp.Error = e.Message
		}
	}
	r.BarLabel = barLabel(r.Bars)
	return r
}

// attemptBars draws a step's attempts, the retry delays between them, and
// its compensation's attempts.
func attemptBars(st *store.Step, sp span, f clockFormat) []bar {
	var bars []bar
	if len(st.History) == 0 {
		end := f.now
		if st.FinishedAt != nil {
			end = *st.FinishedAt
		}
		return []bar{sp.seg(st.StartedAt, end, "attempt "+okClass(st.Status != store.StepFailed), string(st.Status))}
	}
	var last *store.Attempt
	for i := range st.History {
		a := &st.History[i]
		who := fmt.Sprintf("attempt %d", a.Number)
		class := "attempt "
		if a.Compensation {
			who, class = fmt.Sprintf("compensation attempt %d", a.Number), "comp "
		}
		if last != nil && last.Compensation == a.Compensation && a.StartedAt.After(last.FinishedAt) {
			bars = append(bars, sp.seg(last.FinishedAt, a.StartedAt, "gap", "waiting "+formatDuration(a.StartedAt.Sub(last.FinishedAt))))
		}
		outcome := "succeeded"
		if a.Error != nil {
			outcome = "failed"
		}
		bars = append(bars, sp.seg(a.StartedAt, a.FinishedAt, class+okClass(a.Error == nil),
			fmt.Sprintf("%s %s after %s", who, outcome, formatDuration(a.FinishedAt.Sub(a.StartedAt)))))
		last = a
	}
	next := st.NextAttemptAt
	if st.CompensationStatus == store.CompRetrying {
		next = st.CompensationNextAt
	} else if st.Status != store.StepRetrying {
		next = nil
	}
	if next != nil && next.After(last.FinishedAt) && last.Compensation == (st.CompensationStatus == store.CompRetrying) {
		bars = append(bars, sp.seg(last.FinishedAt, *next, "gap open", "next attempt "+f.at(next).Rel))
	}
	return bars
}

func okClass(ok bool) string {
	if ok {
		return "ok"
	}
	return "fail"
}

func kindLabel(k store.StepKind) string {
	switch k {
	case store.KindSleep:
		return "sleep"
	case store.KindEvent:
		return "event wait"
	case store.KindAsync:
		return "async step"
	case store.KindPatch:
		return "patch marker"
	case store.KindChild:
		return "child workflow"
	case store.KindConcurrency:
		return "concurrency wait"
	}
	return "step"
}

func compLabel(s store.CompensationStatus) string {
	switch s {
	case store.CompRetrying:
		return "compensation retrying"
	case store.CompCompleted:
		return "compensated"
	case store.CompFailed:
		return "compensation failed"
	case store.CompSkipped:
		return "compensation skipped"
	}
	return "compensation not run"
}

// barLabel describes a row's bars in words.
func barLabel(bars []bar) string {
	s := ""
	for i, b := range bars {
		if i > 0 {
			s += "; "
		}
		s += b.Title
	}
	return s
}
