package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

func testInstanceCreate(t *testing.T, s suite) {
	f := s.setup(t)
	now := at(1500 * time.Microsecond)
	got, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{
		ID: "order-1", Workflow: "checkout", Params: json.RawMessage(`{"sku":"MUG"}`), Now: now,
	})
	if err != nil {
		t.Fatalf("InstanceCreate: %v", err)
	}
	want := &store.Instance{
		ID: "order-1", Workflow: "checkout", Status: store.StatusQueued, Params: json.RawMessage(`{"sku":"MUG"}`),
		CreatedAt: now, UpdatedAt: now, Run: 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("InstanceCreate (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, f.get("order-1")); diff != "" {
		t.Errorf("InstanceGet (-want +got):\n%s", diff)
	}
}

func testInstanceCreateDuplicate(t *testing.T, s suite) {
	f := s.setup(t)
	first := f.create("order-1", "checkout", at(0))
	got, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{
		ID: "order-1", Workflow: "refund", Params: json.RawMessage(`{"other":true}`), Now: at(time.Minute),
	})
	wantErr(t, "InstanceCreate duplicate", err, store.ErrAlreadyExists)
	if diff := cmp.Diff(first, got); diff != "" {
		t.Errorf("InstanceCreate duplicate must return the existing instance (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(first, f.get("order-1")); diff != "" {
		t.Errorf("the existing instance changed (-want +got):\n%s", diff)
	}
}

func testNotFound(t *testing.T, s suite) {
	f := s.setup(t)
	f.create("exists", "wf", at(0))
	_, err := f.s.InstanceGet(f.ctx, "missing")
	wantErr(t, "InstanceGet", err, store.ErrNotFound)
	_, err = f.s.JournalLoad(f.ctx, "missing")
	wantErr(t, "JournalLoad", err, store.ErrNotFound)
	_, err = f.s.EventSend(f.ctx, &store.EventSendParams{InstanceID: "missing", Type: "paid", Now: at(0)})
	wantErr(t, "EventSend", err, store.ErrNotFound)
	for _, a := range []store.ControlAction{store.ActionPause, store.ActionResume, store.ActionTerminate, store.ActionRestart} {
		_, err = f.control("missing", a, "", at(0))
		wantErr(t, "InstanceControl "+string(a), err, store.ErrNotFound)
	}
}

// testInstanceListOrder: newest first by creation time, then by ID (also
// descending) among instances created in the same microsecond.
func testInstanceListOrder(t *testing.T, s suite) {
	f := s.setup(t)
	f.create("b", "wf", at(time.Second))
	f.create("a", "wf", at(2*time.Second))
	f.create("c", "wf", at(time.Second))
	f.create("d", "wf", at(0))
	f.create("e", "wf", at(2*time.Second))
	page, err := f.s.InstanceList(f.ctx, &store.InstanceListParams{})
	if err != nil {
		t.Fatalf("InstanceList: %v", err)
	}
	if diff := cmp.Diff([]string{"e", "a", "c", "b", "d"}, ids(page.Instances)); diff != "" {
		t.Errorf("InstanceList order (-want +got):\n%s", diff)
	}
	if page.NextCursor != "" {
		t.Errorf("NextCursor = %q, want \"\" on the last page", page.NextCursor)
	}
	if diff := cmp.Diff(f.get("a"), page.Instances[1]); diff != "" {
		t.Errorf("listed instance differs from InstanceGet (-get +list):\n%s", diff)
	}
}

func testInstanceListFilters(t *testing.T, s suite) {
	f := s.setup(t)
	// Build: two checkout instances (one running), a checkout-v2, a refund
	// and one with a custom status.
	f.create("c1", "checkout", at(1*time.Second))
	run := f.claimOne("checkout", at(10*time.Second), at(time.Hour))
	f.create("c2", "checkout", at(2*time.Second))
	f.create("v2", "checkout-v2", at(3*time.Second))
	f.create("r1", "refund", at(4*time.Second))
	f.create("x1", "check", at(5*time.Second))
	f.mustApply(&store.Update{InstanceID: run.ID, LeaseToken: run.LeaseToken, Now: at(11 * time.Second), CustomStatus: ptr("shipped")})

	tests := []struct {
		name string
		p    store.InstanceListParams
		want []string
	}{
		{"all", store.InstanceListParams{}, []string{"x1", "r1", "v2", "c2", "c1"}},
		{"workflow", store.InstanceListParams{Workflow: "checkout"}, []string{"c2", "c1"}},
		{"status queued", store.InstanceListParams{Status: store.StatusQueued}, []string{"x1", "r1", "v2", "c2"}},
		{"status running", store.InstanceListParams{Status: store.StatusRunning}, []string{"c1"}},
		{"status none", store.InstanceListParams{Status: store.StatusComplete}, nil},
		{"prefix", store.InstanceListParams{WorkflowPrefix: "checkout"}, []string{"v2", "c2", "c1"}},
		{"prefix short", store.InstanceListParams{WorkflowPrefix: "che"}, []string{"x1", "v2", "c2", "c1"}},
		{"prefix exact name", store.InstanceListParams{WorkflowPrefix: "check"}, []string{"x1", "v2", "c2", "c1"}},
		{"prefix none", store.InstanceListParams{WorkflowPrefix: "checkout-v3"}, nil},
		{"custom status", store.InstanceListParams{CustomStatus: "shipped"}, []string{"c1"}},
		{"custom status none", store.InstanceListParams{CustomStatus: "lost"}, nil},
		{"workflow and status", store.InstanceListParams{Workflow: "checkout", Status: store.StatusQueued}, []string{"c2"}},
		{"prefix and status", store.InstanceListParams{WorkflowPrefix: "checkout", Status: store.StatusRunning}, []string{"c1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			page, err := f.s.InstanceList(f.ctx, &p)
			if err != nil {
				t.Fatalf("InstanceList: %v", err)
			}
			if diff := cmp.Diff(tc.want, ids(page.Instances), cmpEmpty); diff != "" {
				t.Errorf("InstanceList %+v (-want +got):\n%s", tc.p, diff)
			}
			if page.NextCursor != "" {
				t.Errorf("NextCursor = %q, want \"\"", page.NextCursor)
			}
		})
	}
}

// testInstanceListPagination pages through instances many of which share
// a creation microsecond: every instance exactly once, in order.
func testInstanceListPagination(t *testing.T, s suite) {
	f := s.setup(t)
	var want []string
	for i := range 23 {
		id := fmt.Sprintf("i%02d", i)
		// Groups of four share a microsecond; the nanoseconds differ but
		// are below the stores' precision.
		f.create(id, "wf", at(time.Duration(i/4)*time.Millisecond+time.Duration(i%4)*100*time.Nanosecond))
		want = append(want, id)
	}
	// Newest first: later groups first, and inside a group descending ID.
	slices.SortFunc(want, func(a, b string) int {
		var ai, bi int
		_, _ = fmt.Sscanf(a, "i%d", &ai) // the ids are made above as i<n>
		_, _ = fmt.Sscanf(b, "i%d", &bi)
		if ai/4 != bi/4 {
			return bi/4 - ai/4
		}
		return bi - ai
	})
	for _, filter := range []store.InstanceListParams{{}, {Workflow: "wf"}, {Status: store.StatusQueued}, {WorkflowPrefix: "w"}} {
		for _, size := range []int{1, 3, 4, 5, 23, 24} {
			var got []string
			p := filter
			p.Limit = size
			pages := 0
			for {
				page, err := f.s.InstanceList(f.ctx, &p)
				if err != nil {
					t.Fatalf("InstanceList %+v: %v", p, err)
				}
				pages++
				if len(page.Instances) > size {
					t.Fatalf("InstanceList limit %d returned %d", size, len(page.Instances))
				}
				got = append(got, ids(page.Instances)...)
				if page.NextCursor == "" {
					break
				}
				if len(page.Instances) != size {
					t.Fatalf("InstanceList limit %d: a page with a cursor has %d instances", size, len(page.Instances))
				}
				if pages > 30 {
					t.Fatalf("InstanceList limit %d: too many pages", size)
				}
				p.Cursor = page.NextCursor
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("pages of %d with %+v (-want +got):\n%s", size, filter, diff)
			}
			if wantPages := (23 + size - 1) / size; pages != wantPages {
				t.Errorf("pages of %d: %d pages, want %d (no empty last page)", size, pages, wantPages)
			}
		}
	}
}

func testInstanceListDefaultLimit(t *testing.T, s suite) {
	f := s.setup(t)
	for i := range 51 {
		f.create(fmt.Sprintf("i%02d", i), "wf", at(time.Duration(i)*time.Second))
	}
	page, err := f.s.InstanceList(f.ctx, &store.InstanceListParams{})
	if err != nil {
		t.Fatalf("InstanceList: %v", err)
	}
	if len(page.Instances) != 50 || page.NextCursor == "" {
		t.Fatalf("InstanceList with Limit 0: %d instances, cursor %q; want 50 and a cursor", len(page.Instances), page.NextCursor)
	}
	page, err = f.s.InstanceList(f.ctx, &store.InstanceListParams{Cursor: page.NextCursor})
	if err != nil {
		t.Fatalf("InstanceList: %v", err)
	}
	if diff := cmp.Diff([]string{"i00"}, ids(page.Instances)); diff != "" || page.NextCursor != "" {
		t.Fatalf("second page: %v cursor %q; want [i00] and no cursor", ids(page.Instances), page.NextCursor)
	}
}

// testInstanceCreateClaimed: an instance created with a Claim is running,
// leased to the creator, and only the creator can commit to it.
func testInstanceCreateClaimed(t *testing.T, s suite) {
	f := s.setup(t)
	now := at(time.Second)
	got, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{
		ID: "a", Workflow: "wf", Params: json.RawMessage(`{}`), Now: now,
		Claim: &store.CreateClaim{Owner: "engine-1", Token: "tok-a", LeaseUntil: at(time.Minute)},
	})
	if err != nil {
		t.Fatalf("InstanceCreate: %v", err)
	}
	want := &store.Instance{
		ID: "a", Workflow: "wf", Status: store.StatusRunning, Params: json.RawMessage(`{}`),
		CreatedAt: now, UpdatedAt: now, StartedAt: &now,
		LeaseOwner: "engine-1", LeaseToken: "tok-a", LeaseExpiresAt: ptr(at(time.Minute)), Claims: 1, Run: 1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("InstanceCreate (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, f.get("a")); diff != "" {
		t.Errorf("InstanceGet (-want +got):\n%s", diff)
	}
	if got := f.claim(&store.ClaimParams{Owner: "w", Limit: 1, Now: at(30 * time.Second), LeaseUntil: at(time.Hour)}); len(got) != 0 {
		t.Errorf("claimed an instance created leased")
	}
	if hb := f.heartbeat(at(2*time.Minute), at(30*time.Second), "tok-a"); !hb[0].Held || hb[0].InstanceID != "a" {
		t.Errorf("heartbeat = %+v, want held", hb[0])
	}
	f.mustApply(&store.Update{InstanceID: "a", LeaseToken: "tok-a", Now: at(40 * time.Second),
		State: &store.StateChange{Status: store.StatusComplete}, Release: true})
	// A duplicate claimed create leaves the existing instance alone.
	dup, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "a", Workflow: "wf", Now: at(time.Hour),
		Claim: &store.CreateClaim{Owner: "engine-2", Token: "tok-b", LeaseUntil: at(2 * time.Hour)}})
	wantErr(t, "duplicate InstanceCreate", err, store.ErrAlreadyExists)
	if dup == nil || dup.Status != store.StatusComplete || dup.LeaseToken != "" {
		t.Errorf("duplicate claimed create returned %+v, want the complete instance", dup)
	}
}
