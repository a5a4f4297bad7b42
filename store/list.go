package store

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Page sizes of every listing (InstanceList, EventList).
const (
	DefaultListLimit = 50
	MaxListLimit     = 1000
)

// ListLimit applies a listing's Limit rules: 0 means DefaultListLimit,
// more than MaxListLimit is capped, a negative limit is an *Error matching
// ErrInvalidArgument.
func ListLimit(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultListLimit, nil
	case n < 0:
		return 0, &Error{Err: ErrInvalidArgument, Field: "limit", Message: fmt.Sprintf("limit %d is negative", n)}
	case n > MaxListLimit:
		return MaxListLimit, nil
	}
	return n, nil
}

// MarkUnreadable records on in why part of its stored row could not be
// decoded (decodeErr, from a column the backend failed to decode, may be
// nil) and clears the JSON fields that are not valid JSON, so that a
// listing or an answer that shows the row stays valid JSON itself. It
// reports whether the row is unreadable.
func MarkUnreadable(in *Instance, decodeErr error) bool {
	var problems []string
	if decodeErr != nil {
		problems = append(problems, decodeErr.Error())
	}
	if len(in.Params) > 0 && !json.Valid(in.Params) {
		in.Params = nil
		problems = append(problems, "params are not valid JSON")
	}
	if len(in.Output) > 0 && !json.Valid(in.Output) {
		in.Output = nil
		problems = append(problems, "output is not valid JSON")
	}
	if len(problems) == 0 {
		return false
	}
	in.Unreadable = fmt.Sprintf("stored instance %q does not decode: %s", in.ID, strings.Join(problems, "; "))
	return true
}

// EventListBounds checks p and returns the page size (ListLimit) and the
// event ID the page starts after (0 without a cursor).
func EventListBounds(p *EventListParams) (limit int, after int64, err error) {
	if limit, err = ListLimit(p.Limit); err != nil {
		return 0, 0, err
	}
	if p.Cursor != "" {
		if after, err = DecodeEventCursor(p.Cursor); err != nil {
			return 0, 0, err
		}
	}
	return limit, after, nil
}

// EventPageOf returns the page of events a backend read after the cursor,
// in ID order: up to limit+1 of them, the last only telling that there is
// more (the page then has a NextCursor).
func EventPageOf(events []*Event, limit int) *EventPage {
	page := &EventPage{Events: events}
	if events == nil {
		page.Events = []*Event{}
	}
	if len(events) > limit {
		page.Events = events[:limit]
		page.NextCursor = EncodeEventCursor(events[limit-1].ID)
	}
	return page
}
