package store

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The rules every ActionStore backend applies: what an audit-trail entry
// may hold and how the listing filters and pages. A refused argument is
// an *Error matching ErrInvalidArgument.

// Bounds of an Action.
const (
	// MaxActionNameLength bounds Action.Action.
	MaxActionNameLength = 64
	// MaxActionTargetLength bounds Action.InstanceID and Action.Target.
	MaxActionTargetLength = 512
	// MaxReasonLength bounds Action.Reason (and the reason an operator
	// may give to an action).
	MaxReasonLength = 2000
	// MaxActionDataBytes bounds Action.Before and Action.After each.
	MaxActionDataBytes = 4 << 20
)

// PrepareAction checks one entry and returns the copy a backend stores:
// Action and Actor are required, Action is lower-case letters, digits and
// ".", "_", "-"; the text fields are bounded, valid UTF-8 without NUL;
// Before and After, when set, are JSON; At is truncated to the
// microsecond (a zero At becomes the wall clock).
func PrepareAction(a *Action) (Action, error) {
	if a == nil {
		return Action{}, invalidArg("audit action is nil")
	}
	c := *a
	if c.Action == "" || c.Actor == "" {
		return c, invalidArg("audit action: the action and the actor are required")
	}
	if len(c.Action) > MaxActionNameLength || strings.Trim(c.Action, "abcdefghijklmnopqrstuvwxyz0123456789._-") != "" {
		return c, invalidArg("audit action %q: an action name is at most %d lower-case letters, digits and . _ -", truncate(c.Action), MaxActionNameLength)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"actor", c.Actor, MaxKeyNameLength}, {"instance id", c.InstanceID, MaxActionTargetLength},
		{"target", c.Target, MaxActionTargetLength}, {"reason", c.Reason, MaxReasonLength}} {
		if err := checkText("audit action "+c.Action+": the "+f.name, f.v, f.max); err != nil {
			return c, err
		}
	}
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"before", c.Before}, {"after", c.After}} {
		if len(f.v) > MaxActionDataBytes {
			return c, invalidArg("audit action %s: %s is %d bytes; at most %d are allowed", c.Action, f.name, len(f.v), MaxActionDataBytes)
		}
		if len(f.v) > 0 && !json.Valid(f.v) {
			return c, invalidArg("audit action %s: %s is not valid JSON", c.Action, f.name)
		}
	}
	c.Before, c.After = cloneRaw(c.Before), cloneRaw(c.After)
	c.At = actionTime(c.At)
	return c, nil
}

// PrepareAttached is PrepareAction for an optional entry attached to
// another write (ControlParams.Audit, FlowPutParams.Audit,
// KeyCreateParams.Audit): nil stays nil. A backend calls it before the
// write begins, so a refused entry refuses the write and changes nothing.
func PrepareAttached(a *Action) (*Action, error) {
	if a == nil {
		return nil, nil
	}
	c, err := PrepareAction(a)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// PrepareActions is PrepareAction for a batch; one bad entry fails it.
func PrepareActions(entries []*Action) ([]Action, error) {
	out := make([]Action, len(entries))
	for i, a := range entries {
		c, err := PrepareAction(a)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// checkText refuses text a backend cannot store as it is: over max bytes,
// invalid UTF-8, or holding a NUL (PostgreSQL's text refuses it).
func checkText(what, v string, max int) error {
	if len(v) > max {
		return invalidArg("%s is %d bytes long; at most %d are allowed", what, len(v), max)
	}
	if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
		return invalidArg("%s must be UTF-8 text without NUL", what)
	}
	return nil
}

func cloneRaw(r json.RawMessage) json.RawMessage {
	if len(r) == 0 {
		return nil
	}
	return append(json.RawMessage(nil), r...)
}

// actionTime is t as every backend stores it: the wall clock when zero,
// truncated to the microsecond, in UTC.
func actionTime(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.Truncate(time.Microsecond).UTC()
}

// ActionListQuery is ActionListParams checked and decoded for a backend.
type ActionListQuery struct {
	InstanceID, Action, Actor, Target string
	// Since and Until are zero for no bound (Since inclusive, Until
	// exclusive).
	Since, Until time.Time
	// Limit is the page size; a backend reads Limit+1 entries.
	Limit int
	// After reports a cursor: the page holds the entries after (older
	// than) the position (AfterAt, AfterID), in (At, ID) order.
	After   bool
	AfterAt time.Time
	AfterID int64
}

// ParseActionList checks p (Limit as ListLimit; filters bounded as the
// fields they match; Until not before Since) and decodes its cursor.
func ParseActionList(p *ActionListParams) (ActionListQuery, error) {
	var q ActionListQuery
	if p == nil {
		p = &ActionListParams{}
	}
	limit, err := ListLimit(p.Limit)
	if err != nil {
		return q, err
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"instance", p.InstanceID, MaxActionTargetLength}, {"action", p.Action, MaxActionNameLength},
		{"actor", p.Actor, MaxKeyNameLength}, {"target", p.Target, MaxActionTargetLength}} {
		if err := checkText("audit list: "+f.name, f.v, f.max); err != nil {
			return q, err
		}
	}
	if !p.Since.IsZero() && !p.Until.IsZero() && p.Until.Before(p.Since) {
		return q, invalidArg("audit list: until %s is before since %s", p.Until.Format(time.RFC3339), p.Since.Format(time.RFC3339))
	}
	for _, t := range []time.Time{p.Since, p.Until} {
		if !t.IsZero() && (t.UnixMicro() < minCursorMicros || t.UnixMicro() > maxCursorMicros) {
			return q, invalidArg("audit list: time %s is out of range (years 1 to 9999)", t.Format(time.RFC3339))
		}
	}
	q = ActionListQuery{InstanceID: p.InstanceID, Action: p.Action, Actor: p.Actor, Target: p.Target, Limit: limit}
	if !p.Since.IsZero() {
		q.Since = p.Since.UTC()
	}
	if !p.Until.IsZero() {
		q.Until = p.Until.UTC()
	}
	if p.Cursor != "" {
		if q.AfterAt, q.AfterID, err = decodeActionCursor(p.Cursor); err != nil {
			return q, err
		}
		q.After = true
	}
	return q, nil
}

// Match reports whether a (as stored) passes q's filters and cursor; the
// memory backend filters with it, the SQL backends with the same rules in
// their WHERE clause.
func (q ActionListQuery) Match(a *Action) bool {
	switch {
	case q.InstanceID != "" && a.InstanceID != q.InstanceID,
		q.Action != "" && a.Action != q.Action,
		q.Actor != "" && a.Actor != q.Actor,
		q.Target != "" && a.Target != q.Target,
		!q.Since.IsZero() && a.At.Before(q.Since),
		!q.Until.IsZero() && !a.At.Before(q.Until):
		return false
	}
	if q.After {
		return a.At.Before(q.AfterAt) || a.At.Equal(q.AfterAt) && a.ID < q.AfterID
	}
	return true
}

// ActionPageOf makes the page of a listing from up to q.Limit+1 entries
// read newest first: the extra entry, when there is one, only says that
// another page follows.
func ActionPageOf(q ActionListQuery, entries []*Action) *ActionPage {
	page := &ActionPage{Actions: entries}
	if len(entries) > q.Limit {
		page.Actions = entries[:q.Limit]
		last := page.Actions[q.Limit-1]
		page.NextCursor = encodeActionCursor(last.At, last.ID)
	}
	if page.Actions == nil {
		page.Actions = []*Action{}
	}
	return page
}

// actionCursorPrefix starts an audit-trail cursor's text, so that another
// listing's cursor does not decode as one.
const actionCursorPrefix = "action/"

// encodeActionCursor returns the ActionList cursor for the position after
// the entry at at with ID id: the base64url form of
// "action/<at, unix microseconds>/<id>".
func encodeActionCursor(at time.Time, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(actionCursorPrefix +
		strconv.FormatInt(at.UnixMicro(), 10) + "/" + strconv.FormatInt(id, 10)))
}

func decodeActionCursor(c string) (time.Time, int64, error) {
	s, err := decodeCursor(c)
	if err != nil {
		return time.Time{}, 0, err
	}
	rest, ok := strings.CutPrefix(s, actionCursorPrefix)
	if !ok {
		return time.Time{}, 0, invalidCursor(c)
	}
	ts, n, ok := strings.Cut(rest, "/")
	if !ok {
		return time.Time{}, 0, invalidCursor(c)
	}
	us, err1 := strconv.ParseInt(ts, 10, 64)
	id, err2 := strconv.ParseInt(n, 10, 64)
	if err1 != nil || err2 != nil || us < minCursorMicros || us > maxCursorMicros || id <= 0 {
		return time.Time{}, 0, invalidCursor(c)
	}
	return time.UnixMicro(us).UTC(), id, nil
}
