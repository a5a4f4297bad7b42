package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ordohq/ordo/store"
)

// RunActions runs the conformance tests of the optional store.ActionStore
// capability (the operator audit trail). open is called as in Run; the
// store it returns must implement store.ActionStore, store.FlowStore and
// store.KeyStore (their Audit params are tested here too).
func RunActions(t *testing.T, open func(t *testing.T) store.Store) {
	runCapability(t, open, []capabilityTest[store.ActionStore]{
		{"AppendList", testActionAppendList},
		{"Filters", testActionFilters},
		{"Pages", testActionPages},
		{"Invalid", testActionInvalid},
		{"ListInvalid", testActionListInvalid},
		{"Control", testActionControl},
		{"ControlRefused", testActionControlRefused},
		{"ControlBadAudit", testActionControlBadAudit},
		{"FlowPut", testActionFlowPut},
		{"KeyCreate", testActionKeyCreate},
	})
}

// actT0 is the base of the times the audit-trail tests pass.
var actT0 = time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)

// cmpActionID ignores the IDs the store assigns.
var cmpActionID = cmpopts.IgnoreFields(store.Action{}, "ID")

func actionList(t *testing.T, as store.ActionStore, p *store.ActionListParams) *store.ActionPage {
	t.Helper()
	page, err := as.ActionList(t.Context(), p)
	if err != nil {
		t.Fatalf("ActionList %+v: %v", p, err)
	}
	return page
}

// actionAll lists every entry matching p, page after page of size limit.
func actionAll(t *testing.T, as store.ActionStore, p store.ActionListParams, limit int) []*store.Action {
	t.Helper()
	p.Limit = limit
	var out []*store.Action
	for i := 0; ; i++ {
		if i > 100 {
			t.Fatal("ActionList: more than 100 pages")
		}
		page := actionList(t, as, &p)
		if len(page.Actions) > limit {
			t.Fatalf("page of %d entries, limit %d", len(page.Actions), limit)
		}
		out = append(out, page.Actions...)
		if page.NextCursor == "" {
			return out
		}
		p.Cursor = page.NextCursor
	}
}

func actionAppend(t *testing.T, as store.ActionStore, entries ...*store.Action) {
	t.Helper()
	if err := as.ActionAppend(t.Context(), entries...); err != nil {
		t.Fatalf("ActionAppend: %v", err)
	}
}

func testActionAppendList(t *testing.T, as store.ActionStore) {
	a := &store.Action{At: actT0, Actor: "ops", Action: "restart", InstanceID: "C-1", Reason: "ERP was down",
		Before: json.RawMessage(`{"params":{"sku":"A"}}`), After: json.RawMessage(`{"params":{"sku":"B"}}`)}
	b := &store.Action{At: actT0.Add(time.Second), Actor: "local", Action: "flow.apply", Target: "flow/shop",
		After: json.RawMessage(`{"version":2}`)}
	actionAppend(t, as, a, b)
	actionAppend(t, as) // nothing: no error
	page := actionList(t, as, nil)
	want := []*store.Action{b, a}
	if diff := cmp.Diff(want, page.Actions, cmpActionID); diff != "" {
		t.Errorf("ActionList (-want +got):\n%s", diff)
	}
	if page.NextCursor != "" {
		t.Errorf("NextCursor = %q on the only page", page.NextCursor)
	}
	if page.Actions[0].ID <= page.Actions[1].ID || page.Actions[1].ID <= 0 {
		t.Errorf("IDs %d, %d: want positive and increasing in append order", page.Actions[1].ID, page.Actions[0].ID)
	}
	// A zero time is the wall clock; times keep microseconds.
	before := time.Now().Add(-time.Second)
	actionAppend(t, as, &store.Action{Actor: "local", Action: "pause", InstanceID: "C-2"},
		&store.Action{At: actT0.Add(1500 * time.Nanosecond), Actor: "local", Action: "resume", InstanceID: "C-3"})
	got := actionList(t, as, &store.ActionListParams{InstanceID: "C-2"}).Actions
	if len(got) != 1 || got[0].At.Before(before) || got[0].At.Location() != time.UTC {
		t.Errorf("entry appended without a time: %+v, want the wall clock in UTC", got)
	}
	got = actionList(t, as, &store.ActionListParams{InstanceID: "C-3"}).Actions
	if len(got) != 1 || !got[0].At.Equal(actT0.Add(time.Microsecond)) {
		t.Errorf("entry at %v: got %+v, want the time truncated to the microsecond", actT0.Add(1500*time.Nanosecond), got)
	}
}

// actionFixture appends a small trail: two instances, flows, two actors,
// one entry a minute from actT0.
func actionFixture(t *testing.T, as store.ActionStore) []*store.Action {
	t.Helper()
	es := []*store.Action{
		{Actor: "ops", Action: "pause", InstanceID: "C-1"},
		{Actor: "ops", Action: "resume", InstanceID: "C-1"},
		{Actor: "ci", Action: "flow.apply", Target: "flow/shop"},
		{Actor: "ops", Action: "terminate", InstanceID: "C-2", Reason: "fraud"},
		{Actor: "local", Action: "pause", InstanceID: "C-2"},
		{Actor: "ci", Action: "flow.apply", Target: "flow/print"},
		{Actor: "ci", Action: "restart", InstanceID: "C-1"},
	}
	for i, e := range es {
		e.At = actT0.Add(time.Duration(i) * time.Minute)
	}
	actionAppend(t, as, es...)
	return es
}

// actionsAt returns the times of entries.
func actionsAt(es []*store.Action) []time.Time {
	out := []time.Time{}
	for _, e := range es {
		out = append(out, e.At)
	}
	return out
}

func testActionFilters(t *testing.T, as store.ActionStore) {
	es := actionFixture(t, as)
	m := func(i int) time.Time { return actT0.Add(time.Duration(i) * time.Minute) }
	for _, tc := range []struct {
		name string
		p    store.ActionListParams
		want []int // indexes into es, newest first
	}{
		{"all", store.ActionListParams{}, []int{6, 5, 4, 3, 2, 1, 0}},
		{"instance", store.ActionListParams{InstanceID: "C-1"}, []int{6, 1, 0}},
		{"action", store.ActionListParams{Action: "pause"}, []int{4, 0}},
		{"actor", store.ActionListParams{Actor: "ci"}, []int{6, 5, 2}},
		{"target", store.ActionListParams{Target: "flow/shop"}, []int{2}},
		{"since", store.ActionListParams{Since: m(5)}, []int{6, 5}},
		{"until", store.ActionListParams{Until: m(2)}, []int{1, 0}},
		{"range", store.ActionListParams{Since: m(1), Until: m(4)}, []int{3, 2, 1}},
		{"combined", store.ActionListParams{Actor: "ops", InstanceID: "C-2", Since: m(1)}, []int{3}},
		{"none", store.ActionListParams{Actor: "nobody"}, nil},
		{"action prefix is not a match", store.ActionListParams{Action: "flow"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []*store.Action
			for _, i := range tc.want {
				want = append(want, es[i])
			}
			got := actionAll(t, as, tc.p, 2)
			if diff := cmp.Diff(actionsAt(want), actionsAt(got)); diff != "" {
				t.Errorf("ActionList %+v times (-want +got):\n%s", tc.p, diff)
			}
			if diff := cmp.Diff(want, got, cmpActionID, cmpEmpty); diff != "" {
				t.Errorf("ActionList %+v (-want +got):\n%s", tc.p, diff)
			}
		})
	}
}

// testActionPages: entries sharing a time page by ID, newest first,
// without repeats or gaps, at every page size.
func testActionPages(t *testing.T, as store.ActionStore) {
	var es []*store.Action
	for i := range 9 {
		// Times 0, 0, 0, 1, 1, 1, 2, 2, 2 minutes: ties broken by ID. The
		// last three are appended first, so IDs do not follow times.
		es = append(es, &store.Action{At: actT0.Add(time.Duration(i/3) * time.Minute), Actor: "ops", Action: "pause",
			InstanceID: "C-" + string(rune('a'+i))})
	}
	actionAppend(t, as, es[6:]...)
	actionAppend(t, as, es[:6]...)
	full := actionAll(t, as, store.ActionListParams{}, 1000)
	if len(full) != 9 {
		t.Fatalf("listed %d entries, want 9", len(full))
	}
	for i := 1; i < len(full); i++ {
		a, b := full[i-1], full[i]
		if a.At.Before(b.At) || a.At.Equal(b.At) && a.ID < b.ID {
			t.Errorf("entry %d (%v, id %d) listed before (%v, id %d): want newest first, then higher ID", i, a.At, a.ID, b.At, b.ID)
		}
	}
	for limit := 1; limit <= 10; limit++ {
		got := actionAll(t, as, store.ActionListParams{}, limit)
		if diff := cmp.Diff(full, got); diff != "" {
			t.Errorf("pages of %d differ from one page (-one +pages):\n%s", limit, diff)
		}
	}
	got := actionAll(t, as, store.ActionListParams{Since: actT0.Add(time.Minute)}, 2)
	if diff := cmp.Diff(full[:6], got); diff != "" {
		t.Errorf("filtered pages (-want +got):\n%s", diff)
	}
	if page := actionList(t, as, &store.ActionListParams{}); len(page.Actions) != 9 || page.NextCursor != "" {
		t.Errorf("default limit: %d entries, cursor %q", len(page.Actions), page.NextCursor)
	}
}

func testActionInvalid(t *testing.T, as store.ActionStore) {
	ok := store.Action{At: actT0, Actor: "ops", Action: "pause", InstanceID: "C-1"}
	with := func(f func(a *store.Action)) *store.Action {
		a := ok
		f(&a)
		return &a
	}
	for _, tc := range []struct {
		name string
		a    *store.Action
	}{
		{"nil", nil},
		{"no action", with(func(a *store.Action) { a.Action = "" })},
		{"no actor", with(func(a *store.Action) { a.Actor = "" })},
		{"upper-case action", with(func(a *store.Action) { a.Action = "Pause" })},
		{"action with a space", with(func(a *store.Action) { a.Action = "flow apply" })},
		{"long action", with(func(a *store.Action) { a.Action = strings.Repeat("a", store.MaxActionNameLength+1) })},
		{"long actor", with(func(a *store.Action) { a.Actor = strings.Repeat("a", store.MaxKeyNameLength+1) })},
		{"long reason", with(func(a *store.Action) { a.Reason = strings.Repeat("a", store.MaxReasonLength+1) })},
		{"NUL in reason", with(func(a *store.Action) { a.Reason = "a\x00b" })},
		{"invalid UTF-8 target", with(func(a *store.Action) { a.Target = "\xff" })},
		{"before not JSON", with(func(a *store.Action) { a.Before = json.RawMessage(`{`) })},
		{"after not JSON", with(func(a *store.Action) { a.After = json.RawMessage(`x`) })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := as.ActionAppend(t.Context(), &ok, tc.a)
			wantErr(t, "ActionAppend", err, store.ErrInvalidArgument)
		})
	}
	if page := actionList(t, as, nil); len(page.Actions) != 0 {
		t.Errorf("refused batches stored %d entries, want none (one bad entry fails the batch)", len(page.Actions))
	}
}

func testActionListInvalid(t *testing.T, as store.ActionStore) {
	actionFixture(t, as)
	for _, tc := range []struct {
		name string
		p    *store.ActionListParams
	}{
		{"negative limit", &store.ActionListParams{Limit: -1}},
		{"until before since", &store.ActionListParams{Since: actT0, Until: actT0.Add(-time.Second)}},
		{"year 10000", &store.ActionListParams{Since: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"garbage cursor", &store.ActionListParams{Cursor: "!!"}},
		{"event cursor", &store.ActionListParams{Cursor: store.EncodeEventCursor(3)}},
		{"instance cursor", &store.ActionListParams{Cursor: store.EncodeInstanceCursor(actT0, "C-1")}},
		{"NUL in actor", &store.ActionListParams{Actor: "a\x00"}},
		{"long target", &store.ActionListParams{Target: strings.Repeat("t", store.MaxActionTargetLength+1)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := as.ActionList(t.Context(), tc.p)
			wantErr(t, "ActionList", err, store.ErrInvalidArgument)
		})
	}
	// A limit over the maximum is capped, not refused.
	if page := actionList(t, as, &store.ActionListParams{Limit: store.MaxListLimit + 1}); len(page.Actions) != 7 {
		t.Errorf("limit over the maximum: %d entries, want 7", len(page.Actions))
	}
}

func controlAudit(id string, action store.ControlAction, at time.Time) *store.ControlParams {
	return &store.ControlParams{InstanceID: id, Action: action, Now: at,
		Audit: &store.Action{At: at, Actor: "ops", Action: string(action), InstanceID: id, Reason: "why not"}}
}

// testActionControl: InstanceControl writes its Audit entry.
func testActionControl(t *testing.T, as store.ActionStore) {
	st := as.(store.Store)
	if _, err := st.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: "C-1", Workflow: "wf", Now: actT0}); err != nil {
		t.Fatal(err)
	}
	var want []*store.Action
	for i, action := range []store.ControlAction{store.ActionPause, store.ActionResume, store.ActionRestart, store.ActionTerminate} {
		p := controlAudit("C-1", action, actT0.Add(time.Duration(i+1)*time.Second))
		if _, err := st.InstanceControl(t.Context(), p); err != nil {
			t.Fatalf("InstanceControl %s: %v", action, err)
		}
		want = append([]*store.Action{p.Audit}, want...)
	}
	// Without Audit, nothing is recorded.
	if _, err := st.InstanceControl(t.Context(), &store.ControlParams{InstanceID: "C-1", Action: store.ActionRestart, Now: actT0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	got := actionList(t, as, &store.ActionListParams{InstanceID: "C-1"}).Actions
	if diff := cmp.Diff(want, got, cmpActionID); diff != "" {
		t.Errorf("audit trail of C-1 (-want +got):\n%s", diff)
	}
}

// testActionControlRefused: a refused action, or one on a missing
// instance, leaves no entry.
func testActionControlRefused(t *testing.T, as store.ActionStore) {
	st := as.(store.Store)
	if _, err := st.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: "C-1", Workflow: "wf", Now: actT0}); err != nil {
		t.Fatal(err)
	}
	_, err := st.InstanceControl(t.Context(), controlAudit("C-1", store.ActionResume, actT0))
	wantErr(t, "resume of a queued instance", err, store.ErrInvalidTransition)
	_, err = st.InstanceControl(t.Context(), controlAudit("nope", store.ActionPause, actT0))
	wantErr(t, "pause of a missing instance", err, store.ErrNotFound)
	p := controlAudit("C-1", store.ActionRestart, actT0)
	p.FromStep = "no-such-step"
	_, err = st.InstanceControl(t.Context(), p)
	wantErr(t, "restart from a missing step", err, store.ErrNotFound)
	if got := actionList(t, as, nil).Actions; len(got) != 0 {
		t.Errorf("refused actions left entries: %+v", got)
	}
}

// testActionControlBadAudit: an entry the store refuses refuses the
// action too, which then changes nothing.
func testActionControlBadAudit(t *testing.T, as store.ActionStore) {
	st := as.(store.Store)
	if _, err := st.InstanceCreate(t.Context(), &store.InstanceCreateParams{ID: "C-1", Workflow: "wf", Now: actT0}); err != nil {
		t.Fatal(err)
	}
	p := controlAudit("C-1", store.ActionPause, actT0)
	p.Audit.Reason = "bad\x00reason"
	_, err := st.InstanceControl(t.Context(), p)
	wantErr(t, "pause with a bad audit entry", err, store.ErrInvalidArgument)
	in, err := st.InstanceGet(t.Context(), "C-1")
	if err != nil {
		t.Fatal(err)
	}
	if in.Status != store.StatusQueued {
		t.Errorf("status %s after the refused pause, want queued", in.Status)
	}
	if got := actionList(t, as, nil).Actions; len(got) != 0 {
		t.Errorf("refused action left entries: %+v", got)
	}
}

// testActionFlowPut: a put that creates a version records the previous
// and the new version; one that creates nothing records nothing.
func testActionFlowPut(t *testing.T, as store.ActionStore) {
	fs, ok := as.(store.FlowStore)
	if !ok {
		t.Fatalf("%T is not a store.FlowStore", as)
	}
	put := func(hash string, at time.Time) bool {
		t.Helper()
		_, created, err := fs.FlowPut(t.Context(), &store.FlowPutParams{Name: "shop", Hash: hash, Definition: json.RawMessage(`{"steps":[]}`),
			Now: at, Audit: &store.Action{At: at, Actor: "ci", Action: store.ActionFlowApply}})
		if err != nil {
			t.Fatalf("FlowPut %s: %v", hash, err)
		}
		return created
	}
	put("h1", actT0)
	put("h1", actT0.Add(time.Second)) // same content: no version, no entry
	put("h2", actT0.Add(2*time.Second))
	want := []*store.Action{
		{At: actT0.Add(2 * time.Second), Actor: "ci", Action: "flow.apply", Target: "flow/shop",
			Before: json.RawMessage(`{"version":1}`), After: json.RawMessage(`{"hash":"h2","source":"api","version":2}`)},
		{At: actT0, Actor: "ci", Action: "flow.apply", Target: "flow/shop", After: json.RawMessage(`{"hash":"h1","source":"api","version":1}`)},
	}
	got := actionList(t, as, &store.ActionListParams{Target: "flow/shop"}).Actions
	if diff := cmp.Diff(want, got, cmpActionID, cmpJSON); diff != "" {
		t.Errorf("audit trail of flow/shop (-want +got):\n%s", diff)
	}
}

// testActionKeyCreate: KeyCreate writes its Audit entry, and none when
// the create is refused.
func testActionKeyCreate(t *testing.T, as store.ActionStore) {
	ks, ok := as.(store.KeyStore)
	if !ok {
		t.Fatalf("%T is not a store.KeyStore", as)
	}
	p := keyParams("ci", "operate")
	p.Audit = &store.Action{At: keyT0, Actor: "admin", Action: store.ActionKeyCreate, Target: "key/ci", After: json.RawMessage(`{"scope":"operate"}`)}
	keyCreate(t, ks, p)
	_, err := ks.KeyCreate(t.Context(), p)
	wantErr(t, "KeyCreate of an active name", err, store.ErrAlreadyExists)
	got := actionList(t, as, nil).Actions
	if diff := cmp.Diff([]*store.Action{p.Audit}, got, cmpActionID); diff != "" {
		t.Errorf("audit trail (-want +got):\n%s", diff)
	}
}

// cmpJSON compares JSON by value.
var cmpJSON = cmp.Comparer(func(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return cmp.Equal(x, y)
})
