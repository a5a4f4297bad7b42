package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// RunWebhooks runs the conformance tests of the optional
// store.WebhookStore capability: webhooks, the outbox Commit and
// InstanceControl write in their transaction, ordered claims safe across
// workers, attempts and redelivery. open is called as in Run.
func RunWebhooks(t *testing.T, open func(t *testing.T) store.Store) {
	s := suite{open: open}
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s suite)
	}{
		{"CRUD", testWebhookCRUD},
		{"Invalid", testWebhookInvalid},
		{"NoWebhookNoDelivery", testWebhookNone},
		{"CommitReports", testWebhookCommitReports},
		{"Terminate", testWebhookTerminate},
		{"Cancelled", testWebhookCancelled},
		{"InOrderPerInstance", testWebhookInOrder},
		{"RetryAndFail", testWebhookRetry},
		{"ListAndRedeliver", testWebhookListRedeliver},
		{"ConcurrentClaims", testWebhookConcurrentClaims},
		{"Prune", testWebhookPrune},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, s)
		})
	}
}

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func (f *fixture) hooks() store.WebhookStore {
	f.t.Helper()
	ws, ok := f.s.(store.WebhookStore)
	if !ok {
		f.t.Fatalf("%T does not implement store.WebhookStore", f.s)
	}
	return ws
}

func (f *fixture) webhook(id string, events ...string) {
	f.t.Helper()
	if err := f.hooks().WebhookCreate(f.ctx, &store.Webhook{ID: id, URL: "http://127.0.0.1:9/" + id, Events: events,
		Secret: testSecret, CreatedAt: t0}); err != nil {
		f.t.Fatalf("WebhookCreate %q: %v", id, err)
	}
}

func (f *fixture) claimHooks(now time.Time, limit int) []*store.WebhookDelivery {
	f.t.Helper()
	ds, err := f.hooks().WebhookClaim(f.ctx, &store.WebhookClaimParams{Limit: limit, Now: now, Until: now.Add(time.Minute)})
	if err != nil {
		f.t.Fatalf("WebhookClaim: %v", err)
	}
	return ds
}

func (f *fixture) record(d *store.WebhookDelivery, n int, state string, code int, at, next time.Time) {
	f.t.Helper()
	err := f.hooks().WebhookRecord(f.ctx, &store.WebhookRecordParams{ID: d.ID, State: state, NextAttemptAt: next,
		Attempt: store.WebhookAttempt{Number: n, At: at, StatusCode: code}})
	if err != nil {
		f.t.Fatalf("WebhookRecord %d attempt %d: %v", d.ID, n, err)
	}
}

// summary names a delivery for comparisons: "hook/instance/event/custom".
func summary(d *store.WebhookDelivery) string {
	return fmt.Sprintf("%s/%s/%s/%s", d.WebhookID, d.InstanceID, d.Event, d.CustomStatus)
}

func summaries(ds []*store.WebhookDelivery) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = summary(d)
	}
	slices.Sort(out)
	return out
}

func wantSummaries(t *testing.T, what string, ds []*store.WebhookDelivery, want ...string) {
	t.Helper()
	slices.Sort(want)
	if got := summaries(ds); !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// deliverAll claims and records as delivered until nothing is due,
// returning the deliveries in the order they were claimed.
func (f *fixture) deliverAll(now time.Time) []*store.WebhookDelivery {
	f.t.Helper()
	var all []*store.WebhookDelivery
	for range 100 {
		ds := f.claimHooks(now, 100)
		if len(ds) == 0 {
			return all
		}
		for _, d := range ds {
			f.record(d, len(d.Attempts)+1, store.WebhookDelivered, 200, now, time.Time{})
		}
		all = append(all, ds...)
	}
	f.t.Fatal("deliverAll: deliveries never ran out")
	return nil
}

func testWebhookCRUD(t *testing.T, s suite) {
	f := s.setup(t)
	ws := f.hooks()
	f.webhook("b", store.WebhookInstanceComplete)
	f.webhook("a", store.WebhookOrderStatusChanged, store.WebhookInstanceErrored)
	err := ws.WebhookCreate(f.ctx, &store.Webhook{ID: "a", URL: "http://127.0.0.1:9/x", Events: []string{store.WebhookInstanceComplete}, Secret: "s"})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("WebhookCreate of an existing ID = %v, want ErrAlreadyExists", err)
	}
	got, err := ws.WebhookGet(f.ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != "http://127.0.0.1:9/a" || got.Secret != testSecret || !got.CreatedAt.Equal(t0) ||
		!slices.Equal(got.Events, []string{store.WebhookOrderStatusChanged, store.WebhookInstanceErrored}) {
		t.Errorf("WebhookGet = %+v", got)
	}
	list, err := ws.WebhookList(f.ctx)
	if err != nil || len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" {
		t.Fatalf("WebhookList = %v, %v; want a, b", list, err)
	}
	if err := ws.WebhookDelete(f.ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := ws.WebhookGet(f.ctx, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("WebhookGet after delete = %v, want ErrNotFound", err)
	}
	if err := ws.WebhookDelete(f.ctx, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second WebhookDelete = %v, want ErrNotFound", err)
	}
	if _, err := ws.WebhookDeliveries(f.ctx, &store.WebhookDeliveryListParams{WebhookID: "a"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("WebhookDeliveries of a deleted webhook = %v, want ErrNotFound", err)
	}
}

func testWebhookInvalid(t *testing.T, s suite) {
	f := s.setup(t)
	for _, w := range []*store.Webhook{
		{ID: "", URL: "http://h/x", Events: []string{store.WebhookInstanceComplete}, Secret: "s"},
		{ID: "x", URL: "ftp://h/x", Events: []string{store.WebhookInstanceComplete}, Secret: "s"},
		{ID: "x", URL: "http://h/x", Events: nil, Secret: "s"},
		{ID: "x", URL: "http://h/x", Events: []string{"order.deleted"}, Secret: "s"},
		{ID: "x", URL: "http://h/x", Events: []string{store.WebhookInstanceComplete, store.WebhookInstanceComplete}, Secret: "s"},
		{ID: "x", URL: "http://h/x", Events: []string{store.WebhookInstanceComplete}, Secret: ""},
	} {
		if err := f.hooks().WebhookCreate(f.ctx, w); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("WebhookCreate(%+v) = %v, want ErrInvalidArgument", w, err)
		}
	}
}

// run drives instance id of workflow wf through custom statuses and then
// to end (complete or errored; "" leaves it running), one commit each.
func (f *fixture) run(id string, end store.InstanceStatus, customs ...string) {
	f.t.Helper()
	f.create(id, "wf", at(0))
	in := f.claimOne("wf", at(time.Second), at(time.Hour))
	for i, c := range customs {
		f.mustApply(&store.Update{InstanceID: id, LeaseToken: in.LeaseToken, Now: at(time.Duration(2+i) * time.Second), CustomStatus: ptr(c)})
	}
	if end != "" {
		f.mustApply(&store.Update{InstanceID: id, LeaseToken: in.LeaseToken, Now: at(time.Minute),
			State: &store.StateChange{Status: end}, Release: true})
	}
}

func testWebhookNone(t *testing.T, s suite) {
	f := s.setup(t)
	f.run("i1", store.StatusComplete, "A", "B")
	f.webhook("h", store.WebhookEvents...)
	if ds := f.claimHooks(at(time.Hour), 10); len(ds) != 0 {
		t.Errorf("changes before the webhook existed were reported: %q", summaries(ds))
	}
}

func testWebhookCommitReports(t *testing.T, s suite) {
	f := s.setup(t)
	f.webhook("all", store.WebhookEvents...)
	f.webhook("done", store.WebhookInstanceComplete)
	f.create("i1", "wf", at(0))
	in := f.claimOne("wf", at(time.Second), at(time.Hour))
	f.mustApply(&store.Update{InstanceID: "i1", LeaseToken: in.LeaseToken, Now: at(2 * time.Second), CustomStatus: ptr("A")})
	f.mustApply(&store.Update{InstanceID: "i1", LeaseToken: in.LeaseToken, Now: at(3 * time.Second), CustomStatus: ptr("A")})
	if res := f.commit(&store.Update{InstanceID: "i1", LeaseToken: "stale", Now: at(4 * time.Second), CustomStatus: ptr("X"),
		State: &store.StateChange{Status: store.StatusErrored}}); !errors.Is(res.Err, store.ErrLeaseLost) {
		t.Fatalf("stale commit = %v", res.Err)
	}
	f.mustApply(&store.Update{InstanceID: "i1", LeaseToken: in.LeaseToken, Now: at(5 * time.Second), CustomStatus: ptr("B"),
		State: &store.StateChange{Status: store.StatusComplete, Output: json.RawMessage(`1`)}, Release: true})

	got := f.deliverAll(at(time.Hour))
	wantSummaries(t, "deliveries", got, "all/i1/order.status_changed/A", "all/i1/order.status_changed/B",
		"all/i1/instance.complete/B", "done/i1/instance.complete/B")
	var all []*store.WebhookDelivery
	for _, d := range got {
		if d.WebhookID == "all" {
			all = append(all, d)
		}
	}
	if len(all) != 3 || all[0].CustomStatus != "A" || all[1].PreviousCustomStatus != "A" || all[1].CustomStatus != "B" ||
		all[2].Event != store.WebhookInstanceComplete || all[2].Status != store.StatusComplete {
		t.Errorf("webhook all got, in order: %q", func() []string {
			var s []string
			for _, d := range all {
				s = append(s, summary(d))
			}
			return s
		}())
	}
	d := all[0]
	if d.URL != "http://127.0.0.1:9/all" || d.Secret != testSecret || d.Workflow != "wf" || !d.CreatedAt.Equal(at(2*time.Second)) ||
		!d.RetryUntil.Equal(at(2*time.Second).Add(store.WebhookRetryPeriod)) {
		t.Errorf("claimed delivery = %+v", d)
	}
	var body struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      struct {
			ID, Workflow, Status, CustomStatus string
		} `json:"data"`
	}
	if err := json.Unmarshal(d.Body(), &body); err != nil || body.Type != store.WebhookOrderStatusChanged ||
		body.Data.ID != "i1" || body.Data.CustomStatus != "A" || body.Data.Status != "running" {
		t.Errorf("body %s: %+v, %v", d.Body(), body, err)
	}
}

func testWebhookTerminate(t *testing.T, s suite) {
	f := s.setup(t)
	f.webhook("h", store.WebhookInstanceTerminated, store.WebhookInstanceErrored)
	f.run("i1", "", "A")
	f.mustControl("i1", store.ActionTerminate, "", at(time.Minute))
	f.run("i2", store.StatusErrored)
	f.run("i3", store.StatusComplete)
	wantSummaries(t, "deliveries", f.deliverAll(at(time.Hour)), "h/i1/instance.terminated/A", "h/i2/instance.errored/")
}

func testWebhookInOrder(t *testing.T, s suite) {
	f := s.setup(t)
	f.webhook("h", store.WebhookOrderStatusChanged)
	f.run("i1", "", "A", "B", "C")
	f.run("i2", "", "A", "B")
	now := at(time.Hour)
	first := f.claimHooks(now, 10)
	wantSummaries(t, "first claim", first, "h/i1/order.status_changed/A", "h/i2/order.status_changed/A")
	if again := f.claimHooks(now, 10); len(again) != 0 {
		t.Errorf("claimed again while claimed, or out of order: %q", summaries(again))
	}
	var i1 *store.WebhookDelivery
	for _, d := range first {
		if d.InstanceID == "i1" {
			i1 = d
		}
	}
	f.record(i1, 1, store.WebhookFailed, 500, now, time.Time{})
	wantSummaries(t, "after i1's first failed for good", f.claimHooks(now, 10), "h/i1/order.status_changed/B")
	// A claim that lapsed is taken again.
	wantSummaries(t, "after the claims lapsed", f.claimHooks(now.Add(2*time.Minute), 10),
		"h/i1/order.status_changed/B", "h/i2/order.status_changed/A")
}

func testWebhookRetry(t *testing.T, s suite) {
	f := s.setup(t)
	f.webhook("h", store.WebhookInstanceComplete)
	f.run("i1", store.StatusComplete)
	now := at(time.Hour)
	d := f.claimHooks(now, 1)[0]
	f.record(d, 1, store.WebhookPending, 503, now, now.Add(10*time.Second))
	err := f.hooks().WebhookRecord(f.ctx, &store.WebhookRecordParams{ID: d.ID, State: store.WebhookDelivered,
		Attempt: store.WebhookAttempt{Number: 1, At: now, StatusCode: 200}})
	if !errors.Is(err, store.ErrLeaseLost) {
		t.Errorf("recording attempt 1 twice = %v, want ErrLeaseLost", err)
	}
	if ds := f.claimHooks(now.Add(9*time.Second), 1); len(ds) != 0 {
		t.Errorf("claimed before its next attempt time")
	}
	d = f.claimHooks(now.Add(10*time.Second), 1)[0]
	if len(d.Attempts) != 1 || d.Attempts[0].StatusCode != http.StatusServiceUnavailable {
		t.Errorf("attempts = %+v", d.Attempts)
	}
	f.record(d, 2, store.WebhookFailed, 0, now.Add(10*time.Second), time.Time{})
	if ds := f.claimHooks(now.Add(time.Hour), 1); len(ds) != 0 {
		t.Errorf("claimed a failed delivery")
	}
}

func testWebhookListRedeliver(t *testing.T, s suite) {
	f := s.setup(t)
	ws := f.hooks()
	f.webhook("h", store.WebhookInstanceComplete)
	for i := range 5 {
		f.run(fmt.Sprintf("i%d", i), store.StatusComplete)
	}
	f.deliverAll(at(time.Hour))
	var ids []string
	cursor := ""
	for range 5 {
		page, err := ws.WebhookDeliveries(f.ctx, &store.WebhookDeliveryListParams{WebhookID: "h", Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page.Deliveries {
			ids = append(ids, d.InstanceID)
			if d.State != store.WebhookDelivered || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != http.StatusOK {
				t.Errorf("listed delivery %+v", d)
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if want := []string{"i4", "i3", "i2", "i1", "i0"}; !slices.Equal(ids, want) {
		t.Errorf("listed %q, want %q (newest first)", ids, want)
	}
	page, _ := ws.WebhookDeliveries(f.ctx, &store.WebhookDeliveryListParams{WebhookID: "h", Limit: 1})
	d, err := ws.WebhookRedeliver(f.ctx, "h", page.Deliveries[0].ID, at(2*time.Hour))
	if err != nil || d.State != store.WebhookPending || !d.RetryUntil.Equal(at(2*time.Hour).Add(store.WebhookRetryPeriod)) {
		t.Fatalf("WebhookRedeliver = %+v, %v", d, err)
	}
	got := f.claimHooks(at(2*time.Hour), 10)
	if len(got) != 1 || got[0].ID != d.ID || len(got[0].Attempts) != 1 {
		t.Errorf("claim after redeliver = %q", summaries(got))
	}
	if _, err := ws.WebhookRedeliver(f.ctx, "other", d.ID, at(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("WebhookRedeliver of another webhook's delivery = %v, want ErrNotFound", err)
	}
}

func testWebhookConcurrentClaims(t *testing.T, s suite) {
	f := s.setup(t)
	f.webhook("h", store.WebhookInstanceComplete)
	const n = 40
	for i := range n {
		f.run(fmt.Sprintf("i%02d", i), store.StatusComplete)
	}
	var (
		mu   sync.Mutex
		seen = map[int64]int{}
		wg   sync.WaitGroup
	)
	now := at(time.Hour)
	for range 4 {
		wg.Go(func() {
			for range n {
				ds, err := f.hooks().WebhookClaim(f.ctx, &store.WebhookClaimParams{Limit: 3, Now: now, Until: now.Add(time.Minute)})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				for _, d := range ds {
					seen[d.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("claimed %d distinct deliveries, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("delivery %d claimed %d times", id, c)
		}
	}
}

func testWebhookPrune(t *testing.T, s suite) {
	f := s.setup(t)
	f.webhook("h", store.WebhookOrderStatusChanged)
	f.run("i1", "", "A", "B", "C")
	now := at(time.Hour)
	d := f.claimHooks(now, 1)[0]
	f.record(d, 1, store.WebhookDelivered, 200, now, time.Time{})
	d = f.claimHooks(now.Add(time.Minute), 1)[0]
	f.record(d, 1, store.WebhookFailed, 500, now.Add(time.Minute), time.Time{})
	n, err := f.hooks().WebhookPrune(f.ctx, now.Add(time.Hour), 10)
	if err != nil || n != 2 {
		t.Fatalf("WebhookPrune = %d, %v; want the 2 finished deliveries", n, err)
	}
	page, err := f.hooks().WebhookDeliveries(f.ctx, &store.WebhookDeliveryListParams{WebhookID: "h"})
	if err != nil || len(page.Deliveries) != 1 || page.Deliveries[0].CustomStatus != "C" || page.Deliveries[0].State != store.WebhookPending {
		t.Errorf("after prune: %v %v, want the pending delivery of C only", summaries(page.Deliveries), err)
	}
}
