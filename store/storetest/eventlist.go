package storetest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// testEventList: EventList pages an instance's events in send order, with
// a cursor on every page but the last, and only that instance's events.
func testEventList(t *testing.T, s suite) {
	f := s.setup(t)
	f.create("a", "wf", at(0))
	f.create("b", "wf", at(0))
	var want []*store.Event
	for i := range 7 {
		want = append(want, f.send("a", "note", fmt.Sprintf(`{"n":%d}`, i), at(time.Duration(i)*time.Second)))
		f.send("b", "note", `{}`, at(0))
	}
	for _, size := range []int{1, 3, 7, 50} {
		var got []*store.Event
		cursor, pages := "", 0
		for {
			page, err := f.s.EventList(f.ctx, &store.EventListParams{InstanceID: "a", Limit: size, Cursor: cursor})
			if err != nil {
				t.Fatalf("EventList limit %d: %v", size, err)
			}
			pages++
			if len(page.Events) > size || page.NextCursor != "" && len(page.Events) != size {
				t.Fatalf("EventList limit %d: a page of %d events with cursor %q", size, len(page.Events), page.NextCursor)
			}
			got = append(got, page.Events...)
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("EventList limit %d (-want +got):\n%s", size, diff)
		}
		if wantPages := (7 + size - 1) / size; pages != wantPages {
			t.Errorf("EventList limit %d: %d pages, want %d (no empty last page)", size, pages, wantPages)
		}
	}
	page, err := f.s.EventList(f.ctx, &store.EventListParams{InstanceID: "a"})
	if err != nil || len(page.Events) != 7 || page.NextCursor != "" {
		t.Errorf("EventList default limit: %v, %+v", err, page)
	}
	f.create("quiet", "wf", at(0))
	page, err = f.s.EventList(f.ctx, &store.EventListParams{InstanceID: "quiet"})
	if err != nil || len(page.Events) != 0 || page.NextCursor != "" {
		t.Errorf("EventList of an instance without events: %v, %+v; want an empty page", err, page)
	}
	_, err = f.s.EventList(f.ctx, &store.EventListParams{InstanceID: "nope"})
	wantErr(t, "EventList of an unknown instance", err, store.ErrNotFound)
	_, err = f.s.EventList(f.ctx, &store.EventListParams{InstanceID: "a", Limit: -1})
	wantErr(t, "EventList with a negative limit", err, store.ErrInvalidArgument)
}

// forgedCursors are cursors no listing returns: not base64url, not the
// form of either listing, out of range, not text a database can bind.
var forgedCursors = []string{
	"!!!",
	"bm90LWEtY3Vyc29y", // "not-a-cursor"
	b64("x/a"),
	b64("1/"),
	b64("99999999999999999999/a"),
	b64("-99999999999999999/a"),
	b64("999999999999999999/a"), // year 31 690
	b64("1772359200000000/\xff\xfe"),
	b64("1772359200000000/a\x00b"),
	b64("event/"),
	b64("event/-1"),
	b64("event/1x"),
	b64("event/99999999999999999999"),
	strings.Repeat("A", 5000),
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// testListBadCursor: a forged cursor, or one of another listing, is an
// *store.Error matching ErrInvalidArgument on every listing (instances,
// events, and where the backend has them published events and webhook
// deliveries), whatever the backend, and so is a negative limit.
func testListBadCursor(t *testing.T, s suite) {
	f := s.setup(t)
	f.create("a", "wf", at(0))
	f.create("b", "wf", at(time.Second))
	f.send("a", "note", `{}`, at(0))
	f.send("a", "note", `{}`, at(0))
	ip, err := f.s.InstanceList(f.ctx, &store.InstanceListParams{Limit: 1})
	if err != nil || ip.NextCursor == "" {
		t.Fatalf("InstanceList: %v, cursor %q", err, ip.NextCursor)
	}
	ep, err := f.s.EventList(f.ctx, &store.EventListParams{InstanceID: "a", Limit: 1})
	if err != nil || ep.NextCursor == "" {
		t.Fatalf("EventList: %v, cursor %q", err, ep.NextCursor)
	}
	wantInvalid := func(what string, err error) {
		t.Helper()
		wantErr(t, what, err, store.ErrInvalidArgument)
		var se *store.Error
		if !errors.As(err, &se) || !strings.Contains(se.Message, "cursor") {
			t.Errorf("%s: %v, want a *store.Error about the cursor", what, err)
		}
	}
	for _, c := range append(forgedCursors, ep.NextCursor) {
		_, err := f.s.InstanceList(f.ctx, &store.InstanceListParams{Cursor: c})
		wantInvalid(fmt.Sprintf("InstanceList with cursor %.40q", c), err)
	}
	for _, c := range append(forgedCursors, ip.NextCursor) {
		_, err := f.s.EventList(f.ctx, &store.EventListParams{InstanceID: "a", Cursor: c})
		wantInvalid(fmt.Sprintf("EventList with cursor %.40q", c), err)
	}
	if ps, ok := f.s.(store.PublishStore); ok {
		for _, c := range append(forgedCursors, ip.NextCursor) {
			_, err := ps.PublishedList(f.ctx, &store.PublishedListParams{Cursor: c})
			wantInvalid(fmt.Sprintf("PublishedList with cursor %.40q", c), err)
		}
	}
	if ws, ok := f.s.(store.WebhookStore); ok {
		for _, c := range append(forgedCursors, ip.NextCursor) {
			_, err := ws.WebhookDeliveries(f.ctx, &store.WebhookDeliveryListParams{WebhookID: "h", Cursor: c})
			wantInvalid(fmt.Sprintf("WebhookDeliveries with cursor %.40q", c), err)
		}
	}
	_, err = f.s.InstanceList(f.ctx, &store.InstanceListParams{Limit: -1})
	wantErr(t, "InstanceList with a negative limit", err, store.ErrInvalidArgument)
}
