package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// RunPurge runs the conformance tests of the optional store.PurgeStore
// capability: which instances a purge selects, what a deletion takes
// with it and what it keeps, and the purge lock. open is called as in
// Run; the store must implement store.PurgeStore, store.WebhookStore and
// store.ActionStore.
func RunPurge(t *testing.T, open func(t *testing.T) store.Store) {
	runCapability(t, open, []capabilityTest[store.PurgeStore]{
		{"Rule", testPurgeRule},
		{"Filters", testPurgeFilters},
		{"Batches", testPurgeBatches},
		{"DeletesWhatIsTied", testPurgeTied},
		{"DeleteRechecks", testPurgeRecheck},
		{"Invalid", testPurgeInvalid},
		{"Lock", testPurgeLock},
	})
}

// purgeFixture is a fixture on a PurgeStore.
func purgeFixture(t *testing.T, ps store.PurgeStore) (*fixture, store.PurgeStore) {
	return &fixture{t: t, s: ps.(store.Store), ctx: t.Context()}, ps
}

// finishAt creates instance id of workflow wf and ends it in status (a
// terminal status) at t, or leaves it in a non-terminal status reached
// at t.
func (f *fixture) finishAt(id, wf string, status store.InstanceStatus, t time.Time) {
	f.t.Helper()
	f.create(id, wf, t.Add(-2*time.Second))
	switch status {
	case store.StatusQueued:
		return
	case store.StatusPaused:
		f.mustControl(id, store.ActionPause, "", t)
		return
	case store.StatusTerminated:
		f.mustControl(id, store.ActionTerminate, "", t)
		return
	}
	in := f.claimOne(wf, t.Add(-time.Second), t.Add(time.Hour))
	var sc *store.StateChange
	switch status {
	case store.StatusRunning:
		return
	case store.StatusWaiting:
		sc = &store.StateChange{Status: store.StatusWaiting, WakeAt: ptr(t.Add(time.Hour))}
	case store.StatusComplete, store.StatusErrored, store.StatusCancelled:
		sc = &store.StateChange{Status: status, Output: json.RawMessage(`"done"`)}
		if status != store.StatusComplete {
			sc.Output, sc.Error = nil, &store.ErrorInfo{Message: "boom", Kind: store.ErrorKindWorkflow}
		}
	default:
		f.t.Fatalf("finishAt: unknown status %q", status)
	}
	f.mustApply(&store.Update{InstanceID: id, LeaseToken: in.LeaseToken, Now: t, State: sc, Release: true})
}

// purgeList returns the IDs InstancePurgeList selects, checking that each
// candidate names its instance's workflow.
func purgeList(t *testing.T, ps store.PurgeStore, p store.PurgeParams) []string {
	t.Helper()
	cs, err := ps.InstancePurgeList(t.Context(), &p)
	if err != nil {
		t.Fatalf("InstancePurgeList %+v: %v", p, err)
	}
	ids := []string{}
	for _, c := range cs {
		in, err := ps.(store.Store).InstanceGet(t.Context(), c.ID)
		if err != nil || in.Workflow != c.Workflow {
			t.Errorf("InstancePurgeList: candidate %+v; the instance is %+v, %v", c, in, err)
		}
		ids = append(ids, c.ID)
	}
	return ids
}

func purgeCount(t *testing.T, ps store.PurgeStore, p store.PurgeParams) int64 {
	t.Helper()
	n, err := ps.InstancePurgeCount(t.Context(), &p)
	if err != nil {
		t.Fatalf("InstancePurgeCount %+v: %v", p, err)
	}
	return n
}

func purgeDelete(t *testing.T, ps store.PurgeStore, p store.InstanceDeleteParams) []string {
	t.Helper()
	ids, err := ps.InstanceDelete(t.Context(), &p)
	if err != nil {
		t.Fatalf("InstanceDelete %+v: %v", p, err)
	}
	return ids
}

// exists reports whether instance id is still there.
func (f *fixture) exists(id string) bool {
	f.t.Helper()
	_, err := f.s.InstanceGet(f.ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		f.t.Fatalf("InstanceGet %q: %v", id, err)
	}
	return err == nil
}

func testPurgeRule(t *testing.T, ps store.PurgeStore) {
	f, ps := purgeFixture(t, ps)
	cut := at(10 * time.Hour)
	// Every status, finished (or last changed) before and after the cut.
	var want []string
	for _, st := range store.Statuses {
		for _, when := range []struct {
			tag string
			t   time.Time
		}{{"old", cut.Add(-time.Hour)}, {"new", cut.Add(time.Minute)}, {"edge", cut}} {
			id := string(st) + "-" + when.tag
			f.finishAt(id, "wf-"+id, st, when.t)
			if st.Terminal() && when.tag == "old" {
				want = append(want, id)
			}
		}
	}
	p := store.PurgeParams{FinishedBefore: cut, Limit: store.MaxPurgeBatch}
	got := purgeList(t, ps, p)
	if diff := cmp.Diff(sorted(want), sorted(got)); diff != "" {
		t.Errorf("InstancePurgeList before %v (-want +got):\n%s", cut, diff)
	}
	if n := purgeCount(t, ps, p); n != int64(len(want)) {
		t.Errorf("InstancePurgeCount = %d, want %d", n, len(want))
	}
	// Deleting every instance by ID deletes the finished ones only.
	var all []string
	for _, st := range store.Statuses {
		all = append(all, string(st)+"-old", string(st)+"-new", string(st)+"-edge")
	}
	deleted := purgeDelete(t, ps, store.InstanceDeleteParams{IDs: all, FinishedBefore: cut})
	if diff := cmp.Diff(sorted(want), sorted(deleted)); diff != "" {
		t.Errorf("InstanceDelete (-want +got):\n%s", diff)
	}
	for _, id := range all {
		if gone := !f.exists(id); gone != slices.Contains(want, id) {
			t.Errorf("after the delete, %s gone = %v", id, gone)
		}
	}
	if n := purgeCount(t, ps, p); n != 0 {
		t.Errorf("InstancePurgeCount after the delete = %d, want 0", n)
	}
	// With no finish bound, every finished instance is deletable, and
	// no other.
	deleted = purgeDelete(t, ps, store.InstanceDeleteParams{IDs: all})
	for _, id := range all {
		name, _, _ := strings.Cut(id, "-")
		st := store.InstanceStatus(name)
		if f.exists(id) == st.Terminal() {
			t.Errorf("after an unbounded delete (deleted %q), %s exists = %v", deleted, id, !st.Terminal())
		}
	}
}

func sorted(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	if c == nil {
		c = []string{}
	}
	return c
}

func testPurgeFilters(t *testing.T, ps store.PurgeStore) {
	f, ps := purgeFixture(t, ps)
	old := at(time.Hour)
	f.finishAt("a-complete", "a", store.StatusComplete, old)
	f.finishAt("a-errored", "a", store.StatusErrored, old)
	f.finishAt("b-complete", "b", store.StatusComplete, old)
	f.finishAt("c-terminated", "c", store.StatusTerminated, old)
	cut := at(2 * time.Hour)
	for _, tc := range []struct {
		name string
		p    store.PurgeParams
		want []string
	}{
		{"all", store.PurgeParams{}, []string{"a-complete", "a-errored", "b-complete", "c-terminated"}},
		{"workflows", store.PurgeParams{Workflows: []string{"a", "c"}}, []string{"a-complete", "a-errored", "c-terminated"}},
		{"except", store.PurgeParams{ExceptWorkflows: []string{"a"}}, []string{"b-complete", "c-terminated"}},
		{"both", store.PurgeParams{Workflows: []string{"a", "b"}, ExceptWorkflows: []string{"a"}}, []string{"b-complete"}},
		{"status", store.PurgeParams{Statuses: []store.InstanceStatus{store.StatusComplete}}, []string{"a-complete", "b-complete"}},
		{"statuses", store.PurgeParams{Statuses: []store.InstanceStatus{store.StatusErrored, store.StatusTerminated}},
			[]string{"a-errored", "c-terminated"}},
		{"status and workflow", store.PurgeParams{Statuses: []store.InstanceStatus{store.StatusComplete}, Workflows: []string{"b"}},
			[]string{"b-complete"}},
		{"none before", store.PurgeParams{FinishedBefore: old}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			if p.FinishedBefore.IsZero() {
				p.FinishedBefore = cut
			}
			if diff := cmp.Diff(sorted(tc.want), sorted(purgeList(t, ps, p))); diff != "" {
				t.Errorf("InstancePurgeList (-want +got):\n%s", diff)
			}
			if n := purgeCount(t, ps, p); n != int64(len(tc.want)) {
				t.Errorf("InstancePurgeCount = %d, want %d", n, len(tc.want))
			}
		})
	}
}

func testPurgeBatches(t *testing.T, ps store.PurgeStore) {
	f, ps := purgeFixture(t, ps)
	// Finished in the reverse order of their IDs: the listing goes by
	// finish time.
	var want []string
	for i := 0; i < 7; i++ {
		id := string(rune('g' - i))
		f.finishAt(id, "wf", store.StatusComplete, at(time.Duration(i+1)*time.Minute))
		want = append(want, id)
	}
	p := store.PurgeParams{FinishedBefore: at(time.Hour), Limit: 3}
	var got []string
	for range 4 {
		ids := purgeList(t, ps, p)
		if len(ids) > 3 {
			t.Fatalf("InstancePurgeList with limit 3 returned %d IDs", len(ids))
		}
		if len(ids) == 0 {
			break
		}
		got = append(got, ids...)
		purgeDelete(t, ps, store.InstanceDeleteParams{IDs: ids, FinishedBefore: p.FinishedBefore})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("batches in finish order (-want +got):\n%s", diff)
	}
}

func testPurgeTied(t *testing.T, ps store.PurgeStore) {
	f, ps := purgeFixture(t, ps)
	f.webhook("h", store.WebhookEvents...)
	// Two instances with everything an instance has: attributes, steps
	// with attempts, events, an ended run and webhook deliveries. One is
	// deleted, the other must keep all of it.
	for _, id := range []string{"gone", "kept"} {
		if _, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: id, Workflow: "wf-" + id, Now: at(0),
			Attributes: []store.Attribute{{Key: "sku", Value: "mug"}}}); err != nil {
			t.Fatalf("InstanceCreate %q: %v", id, err)
		}
		f.send(id, "paid", `{"n":1}`, at(time.Second))
	}
	// "gone" runs twice (a restart ends its first run), "kept" once.
	for _, run := range []struct {
		id  string
		now time.Time
	}{{"gone", at(time.Minute)}, {"kept", at(time.Minute)}, {"gone", at(2 * time.Minute)}} {
		in := f.claimOne("wf-"+run.id, run.now, run.now.Add(time.Hour))
		st := &store.Step{Key: "charge#1", Name: "charge", Seq: 1, Kind: store.KindDo, Status: store.StepCompleted,
			Output: json.RawMessage(`1`), Attempts: 1, StartedAt: run.now, FinishedAt: ptr(run.now)}
		f.mustApply(&store.Update{InstanceID: in.ID, LeaseToken: in.LeaseToken, Now: run.now, Steps: []*store.Step{st},
			Attempts: []store.AttemptRecord{{StepKey: "charge#1", Attempt: store.Attempt{Number: 1, StartedAt: run.now, FinishedAt: run.now}}},
			State:    &store.StateChange{Status: store.StatusComplete}, Release: true})
		if run.id == "gone" && run.now.Equal(at(time.Minute)) {
			f.mustControl("gone", store.ActionRestart, "", run.now.Add(time.Second))
		}
	}
	if runs, err := f.s.InstanceRuns(f.ctx, "gone"); err != nil || len(runs) != 1 {
		t.Fatalf("InstanceRuns gone before = %d runs, %v; want 1", len(runs), err)
	}
	deliveriesOf := func() map[string]int {
		t.Helper()
		page, err := f.hooks().WebhookDeliveries(f.ctx, &store.WebhookDeliveryListParams{WebhookID: "h", Limit: 1000})
		if err != nil {
			t.Fatalf("WebhookDeliveries: %v", err)
		}
		n := map[string]int{}
		for _, d := range page.Deliveries {
			n[d.InstanceID]++
		}
		return n
	}
	before := deliveriesOf()
	if before["gone"] == 0 || before["kept"] == 0 {
		t.Fatalf("webhook deliveries before the delete: %v; want some of each", before)
	}
	keptJournal := f.journal("kept")

	audit := &store.Action{At: at(time.Hour), Actor: "ops", Action: store.ActionInstanceDelete, Reason: "gdpr"}
	deleted := purgeDelete(t, ps, store.InstanceDeleteParams{IDs: []string{"gone"}, Audit: audit})
	if !slices.Equal(deleted, []string{"gone"}) {
		t.Fatalf("InstanceDelete deleted %q, want [gone]", deleted)
	}

	if f.exists("gone") {
		t.Error("the deleted instance is still there")
	}
	if _, err := f.s.JournalLoad(f.ctx, "gone"); err == nil {
		if j := f.journal("gone"); len(j.Steps)+len(j.Events) != 0 {
			t.Errorf("the deleted instance's journal has %d steps and %d events", len(j.Steps), len(j.Events))
		}
	}
	if runs, err := f.s.InstanceRuns(f.ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("InstanceRuns of the deleted instance = %d runs, %v; want ErrNotFound", len(runs), err)
	}
	if _, err := f.s.EventList(f.ctx, &store.EventListParams{InstanceID: "gone"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("EventList of the deleted instance: %v; want ErrNotFound", err)
	}
	page, err := f.s.InstanceList(f.ctx, &store.InstanceListParams{Attributes: []store.Attribute{{Key: "sku", Value: "mug"}}})
	if err != nil {
		t.Fatalf("InstanceList by attribute: %v", err)
	}
	if len(page.Instances) != 1 || page.Instances[0].ID != "kept" {
		t.Errorf("InstanceList by attribute after the delete: %d instances; want kept only", len(page.Instances))
	}
	after := deliveriesOf()
	if after["gone"] != 0 || after["kept"] != before["kept"] {
		t.Errorf("webhook deliveries after the delete: %v, before %v; want none of gone, all of kept", after, before)
	}
	if diff := cmp.Diff(keptJournal, f.journal("kept")); diff != "" {
		t.Errorf("the kept instance's journal changed (-before +after):\n%s", diff)
	}
	// The same ID again: a new instance, with nothing of the old one.
	f.create("gone", "wf-gone", at(2*time.Hour))
	if j := f.journal("gone"); len(j.Steps)+len(j.Events) != 0 {
		t.Errorf("a new instance under the deleted ID has %d steps and %d events", len(j.Steps), len(j.Events))
	}
	if runs, _ := f.s.InstanceRuns(f.ctx, "gone"); len(runs) != 0 {
		t.Errorf("a new instance under the deleted ID has %d ended runs", len(runs))
	}

	as := f.s.(store.ActionStore)
	entries, err := as.ActionList(f.ctx, &store.ActionListParams{Action: store.ActionInstanceDelete})
	if err != nil {
		t.Fatalf("ActionList: %v", err)
	}
	if len(entries.Actions) != 1 || entries.Actions[0].InstanceID != "gone" || entries.Actions[0].Reason != "gdpr" ||
		string(entries.Actions[0].After) != `{"deleted":1}` {
		t.Errorf("audit entries of the delete: %+v; want one for gone", entries.Actions)
	}
}

func testPurgeRecheck(t *testing.T, ps store.PurgeStore) {
	f, ps := purgeFixture(t, ps)
	f.finishAt("done", "wf", store.StatusComplete, at(time.Minute))
	p := store.PurgeParams{FinishedBefore: at(time.Hour)}
	ids := purgeList(t, ps, p)
	// Restarted between the listing and the delete: no longer finished.
	f.mustControl("done", store.ActionRestart, "", at(2*time.Minute))
	audit := &store.Action{At: at(time.Hour), Actor: "retention", Action: store.ActionInstancePurge}
	if got := purgeDelete(t, ps, store.InstanceDeleteParams{IDs: append(ids, "nobody"), FinishedBefore: p.FinishedBefore,
		Audit: audit}); len(got) != 0 {
		t.Errorf("InstanceDelete of a restarted instance and an unknown ID deleted %q", got)
	}
	if !f.exists("done") {
		t.Error("the restarted instance was deleted")
	}
	entries, err := f.s.(store.ActionStore).ActionList(f.ctx, &store.ActionListParams{Action: store.ActionInstancePurge})
	if err != nil {
		t.Fatalf("ActionList: %v", err)
	}
	if len(entries.Actions) != 0 {
		t.Errorf("a delete that deleted nothing wrote %d audit entries", len(entries.Actions))
	}
}

func testPurgeInvalid(t *testing.T, ps store.PurgeStore) {
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		p     store.PurgeParams
		field string
	}{
		{"no finish time", store.PurgeParams{}, "finishedBefore"},
		{"running status", store.PurgeParams{FinishedBefore: t0, Statuses: []store.InstanceStatus{store.StatusRunning}}, "status"},
		{"unknown status", store.PurgeParams{FinishedBefore: t0, Statuses: []store.InstanceStatus{"gone"}}, "status"},
		{"negative limit", store.PurgeParams{FinishedBefore: t0, Limit: -1}, "limit"},
		{"limit too large", store.PurgeParams{FinishedBefore: t0, Limit: store.MaxPurgeBatch + 1}, "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ps.InstancePurgeList(ctx, &tc.p)
			var se *store.Error
			if !errors.As(err, &se) || !errors.Is(err, store.ErrInvalidArgument) || se.Field != tc.field {
				t.Errorf("InstancePurgeList: %v; want an *store.Error on field %s", err, tc.field)
			}
			if _, err := ps.InstancePurgeCount(ctx, &tc.p); !errors.Is(err, store.ErrInvalidArgument) {
				t.Errorf("InstancePurgeCount: %v; want ErrInvalidArgument", err)
			}
		})
	}
	many := make([]string, store.MaxPurgeBatch+1)
	for i := range many {
		many[i] = "i"
	}
	for _, p := range []*store.InstanceDeleteParams{nil, {}, {IDs: many},
		{IDs: []string{"x"}, Audit: &store.Action{Action: "Bad Name", Actor: "a"}}} {
		if _, err := ps.InstanceDelete(ctx, p); !errors.Is(err, store.ErrInvalidArgument) {
			t.Errorf("InstanceDelete %+v: %v; want ErrInvalidArgument", p, err)
		}
	}
}

func testPurgeLock(t *testing.T, ps store.PurgeStore) {
	ctx := t.Context()
	unlock, ok, err := ps.PurgeLock(ctx)
	if err != nil || !ok {
		t.Fatalf("PurgeLock on a free lock = %v, %v; want true", ok, err)
	}
	if _, ok2, err := ps.PurgeLock(ctx); err != nil || ok2 {
		t.Fatalf("PurgeLock while held = %v, %v; want false", ok2, err)
	}
	unlock()
	unlock() // a second call does nothing
	unlock2, ok, err := ps.PurgeLock(ctx)
	if err != nil || !ok {
		t.Fatalf("PurgeLock after unlock = %v, %v; want true", ok, err)
	}
	unlock2()
}
