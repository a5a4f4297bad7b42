package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

func attrs(kv ...string) []store.Attribute {
	out := make([]store.Attribute, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, store.Attribute{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// searchFixture creates instances through every create path (InstanceCreate
// and Commit, claimed or not) with search attributes, statuses and finish
// times to filter on:
//
//	A-100 flow/std   1s  email a, sku MUG, sku TEE, meta.k v   queued
//	A-101 flow/std   2s  email b, sku MUG                      queued
//	A-200 flow/std   3s  email a, sku CAP   "Failed"   complete at 10s
//	B-100 flow/gift  4s  (none)             "Shipped"  errored at 20s
//	X-1   other      5s  email a                               queued
func searchFixture(t *testing.T, s suite) *fixture {
	f := s.setup(t)
	params := json.RawMessage(`{}`)
	if _, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "A-100", Workflow: "flow/std", Params: params,
		Now:        at(time.Second),
		Attributes: attrs("sku", "TEE", "email", "a@x.com", "sku", "MUG", "meta.k", "v", "sku", "MUG")}); err != nil {
		t.Fatalf("InstanceCreate: %v", err)
	}
	f.mustApply(&store.Update{InstanceID: "A-101", Now: at(2 * time.Second), Create: &store.InstanceCreateParams{
		ID: "A-101", Workflow: "flow/std", Params: params, Attributes: attrs("email", "b@x.com", "sku", "MUG")}})
	claim := &store.CreateClaim{Owner: "w", Token: "tok-a200", LeaseUntil: at(time.Hour)}
	f.mustApply(&store.Update{InstanceID: "A-200", LeaseToken: "tok-a200", Now: at(3 * time.Second),
		Create: &store.InstanceCreateParams{ID: "A-200", Workflow: "flow/std", Params: params, Claim: claim,
			Attributes: attrs("email", "a@x.com", "sku", "CAP")}})
	f.mustApply(&store.Update{InstanceID: "A-200", LeaseToken: "tok-a200", Now: at(10 * time.Second),
		CustomStatus: ptr("Failed"), State: &store.StateChange{Status: store.StatusComplete}, Release: true})
	if _, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "B-100", Workflow: "flow/gift", Params: params,
		Now: at(4 * time.Second), Claim: &store.CreateClaim{Owner: "w", Token: "tok-b100", LeaseUntil: at(time.Hour)}}); err != nil {
		t.Fatalf("InstanceCreate: %v", err)
	}
	f.mustApply(&store.Update{InstanceID: "B-100", LeaseToken: "tok-b100", Now: at(20 * time.Second),
		CustomStatus: ptr("Shipped"), State: &store.StateChange{Status: store.StatusErrored}, Release: true})
	if _, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "X-1", Workflow: "other", Params: params,
		Now: at(5 * time.Second), Attributes: attrs("email", "a@x.com")}); err != nil {
		t.Fatalf("InstanceCreate: %v", err)
	}
	return f
}

// testInstanceSearch: every filter of InstanceListParams, alone and
// combined with attributes.
func testInstanceSearch(t *testing.T, s suite) {
	f := searchFixture(t, s)
	email := func(v string) []store.Attribute { return attrs("email", v) }
	tests := []struct {
		name string
		p    store.InstanceListParams
		want []string
	}{
		{"attribute", store.InstanceListParams{Attributes: email("a@x.com")}, []string{"X-1", "A-200", "A-100"}},
		{"attribute none", store.InstanceListParams{Attributes: email("nobody@x.com")}, nil},
		{"attribute of several values", store.InstanceListParams{Attributes: attrs("sku", "MUG")}, []string{"A-101", "A-100"}},
		{"attributes all match", store.InstanceListParams{Attributes: attrs("email", "a@x.com", "sku", "MUG")}, []string{"A-100"}},
		{"attributes all match reversed", store.InstanceListParams{Attributes: attrs("sku", "TEE", "meta.k", "v", "email", "a@x.com")}, []string{"A-100"}},
		{"attribute value is exact", store.InstanceListParams{Attributes: attrs("sku", "mug")}, nil},
		{"attribute and prefix", store.InstanceListParams{Attributes: email("a@x.com"), WorkflowPrefix: "flow/"}, []string{"A-200", "A-100"}},
		{"attribute and workflow", store.InstanceListParams{Attributes: email("a@x.com"), Workflow: "other"}, []string{"X-1"}},
		{"attribute and status", store.InstanceListParams{Attributes: email("a@x.com"), Status: store.StatusComplete}, []string{"A-200"}},
		{"attribute and custom status", store.InstanceListParams{Attributes: email("a@x.com"), CustomStatus: "failed"}, []string{"A-200"}},
		{"attribute and no custom status", store.InstanceListParams{Attributes: email("a@x.com"), NoCustomStatus: true}, []string{"X-1", "A-100"}},
		{"attribute and id prefix", store.InstanceListParams{Attributes: email("a@x.com"), IDPrefix: "A-2"}, []string{"A-200"}},
		{"attribute and created", store.InstanceListParams{Attributes: email("a@x.com"), CreatedAfter: at(2 * time.Second), CreatedBefore: at(5 * time.Second)}, []string{"A-200"}},
		{"attribute and finished", store.InstanceListParams{Attributes: email("a@x.com"), FinishedAfter: at(0)}, []string{"A-200"}},
		{"custom status folds case", store.InstanceListParams{CustomStatus: "failed"}, []string{"A-200"}},
		{"custom status upper", store.InstanceListParams{CustomStatus: "SHIPPED"}, []string{"B-100"}},
		{"custom status exact", store.InstanceListParams{CustomStatus: "Failed"}, []string{"A-200"}},
		{"custom status and prefix", store.InstanceListParams{CustomStatus: "fAILED", WorkflowPrefix: "flow/"}, []string{"A-200"}},
		{"no custom status", store.InstanceListParams{NoCustomStatus: true}, []string{"X-1", "A-101", "A-100"}},
		{"no custom status and prefix", store.InstanceListParams{NoCustomStatus: true, WorkflowPrefix: "flow/"}, []string{"A-101", "A-100"}},
		{"id prefix", store.InstanceListParams{IDPrefix: "A-1"}, []string{"A-101", "A-100"}},
		{"id prefix short", store.InstanceListParams{IDPrefix: "A"}, []string{"A-200", "A-101", "A-100"}},
		{"id prefix whole id", store.InstanceListParams{IDPrefix: "B-100"}, []string{"B-100"}},
		{"id prefix none", store.InstanceListParams{IDPrefix: "A-1000"}, nil},
		{"id prefix and status", store.InstanceListParams{IDPrefix: "A", Status: store.StatusQueued}, []string{"A-101", "A-100"}},
		{"created after (inclusive)", store.InstanceListParams{CreatedAfter: at(4 * time.Second)}, []string{"X-1", "B-100"}},
		{"created before (exclusive)", store.InstanceListParams{CreatedBefore: at(2 * time.Second)}, []string{"A-100"}},
		{"created range", store.InstanceListParams{CreatedAfter: at(2 * time.Second), CreatedBefore: at(4 * time.Second)}, []string{"A-200", "A-101"}},
		{"created range and workflow", store.InstanceListParams{Workflow: "flow/std", CreatedAfter: at(1500 * time.Millisecond)}, []string{"A-200", "A-101"}},
		{"finished any", store.InstanceListParams{FinishedAfter: at(0)}, []string{"B-100", "A-200"}},
		{"finished before", store.InstanceListParams{FinishedBefore: at(15 * time.Second)}, []string{"A-200"}},
		{"finished after", store.InstanceListParams{FinishedAfter: at(15 * time.Second)}, []string{"B-100"}},
		{"finished exact bounds", store.InstanceListParams{FinishedAfter: at(10 * time.Second), FinishedBefore: at(20 * time.Second)}, []string{"A-200"}},
		{"finished and status", store.InstanceListParams{FinishedAfter: at(0), Status: store.StatusErrored}, []string{"B-100"}},
		{"created empty range", store.InstanceListParams{CreatedAfter: at(3 * time.Second), CreatedBefore: at(3 * time.Second)}, nil},
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
	// The instance rows of a search are the instances as InstanceGet reads them.
	page, err := f.s.InstanceList(f.ctx, &store.InstanceListParams{Attributes: email("a@x.com"), Status: store.StatusComplete})
	if err != nil || len(page.Instances) != 1 {
		t.Fatalf("InstanceList: %v, %v", page, err)
	}
	if diff := cmp.Diff(f.get("A-200"), page.Instances[0]); diff != "" {
		t.Errorf("searched instance differs from InstanceGet (-get +list):\n%s", diff)
	}
}

// testInstanceSearchDuplicate: a create that finds its ID taken leaves the
// existing instance's attributes alone, on both create paths.
func testInstanceSearchDuplicate(t *testing.T, s suite) {
	f := searchFixture(t, s)
	_, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "A-100", Workflow: "flow/std", Now: at(time.Minute),
		Attributes: attrs("email", "dup@x.com")})
	wantErr(t, "InstanceCreate duplicate", err, store.ErrAlreadyExists)
	res := f.commit(&store.Update{InstanceID: "A-101", Now: at(time.Minute), Create: &store.InstanceCreateParams{
		ID: "A-101", Workflow: "flow/std", Attributes: attrs("email", "dup@x.com")}})
	wantErr(t, "Commit create duplicate", res.Err, store.ErrAlreadyExists)
	page, err := f.s.InstanceList(f.ctx, &store.InstanceListParams{Attributes: attrs("email", "dup@x.com")})
	if err != nil {
		t.Fatalf("InstanceList: %v", err)
	}
	if len(page.Instances) != 0 {
		t.Errorf("a duplicate create added its attributes to %v", ids(page.Instances))
	}
}

// testInstanceSearchPagination pages through the instances holding an
// attribute (many sharing a creation microsecond) together with others
// that do not: every holder exactly once, newest first.
func testInstanceSearchPagination(t *testing.T, s suite) {
	f := s.setup(t)
	var want []string
	for i := range 17 {
		id := fmt.Sprintf("i%02d", i)
		var a []store.Attribute
		if i%3 != 1 {
			a = attrs("sku", "MUG")
			want = append([]string{id}, want...)
		}
		u := &store.Update{InstanceID: id, Now: at(time.Duration(i/4) * time.Millisecond),
			Create: &store.InstanceCreateParams{ID: id, Workflow: "wf", Attributes: a}}
		f.mustApply(u)
	}
	for _, size := range []int{1, 2, 4, 11, 12} {
		p := store.InstanceListParams{Attributes: attrs("sku", "MUG"), Limit: size}
		var got []string
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatalf("limit %d: too many pages", size)
			}
			page, err := f.s.InstanceList(f.ctx, &p)
			if err != nil {
				t.Fatalf("InstanceList: %v", err)
			}
			got = append(got, ids(page.Instances)...)
			if page.NextCursor == "" {
				break
			}
			p.Cursor = page.NextCursor
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("pages of %d (-want +got):\n%s", size, diff)
		}
	}
}

// testInstanceAttributes: an instance's attributes read back normalised,
// replaced as a whole (store.AttributeStore), and searched after that.
func testInstanceAttributes(t *testing.T, s suite) {
	f := searchFixture(t, s)
	as, ok := f.s.(store.AttributeStore)
	if !ok {
		t.Fatalf("%T does not implement store.AttributeStore", f.s)
	}
	got, err := as.InstanceAttributes(f.ctx, "A-100")
	if err != nil {
		t.Fatalf("InstanceAttributes: %v", err)
	}
	if diff := cmp.Diff(attrs("email", "a@x.com", "meta.k", "v", "sku", "MUG", "sku", "TEE"), got); diff != "" {
		t.Errorf("InstanceAttributes (-want +got):\n%s", diff)
	}
	if got, err := as.InstanceAttributes(f.ctx, "B-100"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("InstanceAttributes of an instance without = %v, %v; want empty", got, err)
	}
	if err := as.InstanceAttributesReplace(f.ctx, "A-100", attrs("email", "new@x.com", "sku", "MUG")); err != nil {
		t.Fatalf("InstanceAttributesReplace: %v", err)
	}
	for _, tc := range []struct {
		a    []store.Attribute
		want []string
	}{
		{attrs("email", "new@x.com"), []string{"A-100"}},
		{attrs("email", "a@x.com"), []string{"X-1", "A-200"}},
		{attrs("sku", "TEE"), nil},
		{attrs("sku", "MUG"), []string{"A-101", "A-100"}},
	} {
		page, err := f.s.InstanceList(f.ctx, &store.InstanceListParams{Attributes: tc.a})
		if err != nil {
			t.Fatalf("InstanceList: %v", err)
		}
		if diff := cmp.Diff(tc.want, ids(page.Instances), cmpEmpty); diff != "" {
			t.Errorf("after replace, %v (-want +got):\n%s", tc.a, diff)
		}
	}
	if err := as.InstanceAttributesReplace(f.ctx, "A-100", nil); err != nil {
		t.Fatalf("InstanceAttributesReplace nil: %v", err)
	}
	if got, _ := as.InstanceAttributes(f.ctx, "A-100"); len(got) != 0 {
		t.Errorf("after replace with none: %v", got)
	}
	wantErr(t, "InstanceAttributesReplace missing", as.InstanceAttributesReplace(f.ctx, "missing", nil), store.ErrNotFound)
	_, err = as.InstanceAttributes(f.ctx, "missing")
	wantErr(t, "InstanceAttributes missing", err, store.ErrNotFound)
	err = as.InstanceAttributesReplace(f.ctx, "A-100", attrs("bad key", "v"))
	wantErr(t, "InstanceAttributesReplace bad key", err, store.ErrInvalidArgument)
}

// testInstanceSearchInvalid: a filter no listing can take is an *Error
// naming it, on every backend; so is a create with bad attributes.
func testInstanceSearchInvalid(t *testing.T, s suite) {
	f := s.setup(t)
	many := make([]store.Attribute, store.MaxAttributeFilters+1)
	for i := range many {
		many[i] = store.Attribute{Key: fmt.Sprintf("k%d", i), Value: "v"}
	}
	tests := []struct {
		name, field string
		p           store.InstanceListParams
	}{
		{"status", "status", store.InstanceListParams{Status: "Failed"}},
		{"custom status NUL", "customStatus", store.InstanceListParams{CustomStatus: "a\x00"}},
		{"custom status and none", "customStatus", store.InstanceListParams{CustomStatus: "a", NoCustomStatus: true}},
		{"id prefix space", "idPrefix", store.InstanceListParams{IDPrefix: "A 1"}},
		{"id prefix non-ASCII", "idPrefix", store.InstanceListParams{IDPrefix: "é"}},
		{"attribute key empty", "attributes", store.InstanceListParams{Attributes: attrs("", "v")}},
		{"attribute key char", "attributes", store.InstanceListParams{Attributes: attrs("a=b", "v")}},
		{"attribute value long", "attributes", store.InstanceListParams{Attributes: attrs("k", strings.Repeat("v", store.MaxAttributeValueBytes+1))}},
		{"attributes many", "attributes", store.InstanceListParams{Attributes: many}},
		{"created crossed", "createdAfter", store.InstanceListParams{CreatedAfter: at(time.Hour), CreatedBefore: at(0)}},
		{"finished crossed", "finishedAfter", store.InstanceListParams{FinishedAfter: at(time.Hour), FinishedBefore: at(0)}},
		{"created out of range", "createdBefore", store.InstanceListParams{CreatedBefore: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"limit", "limit", store.InstanceListParams{Limit: -1}},
	}
	for _, tc := range tests {
		_, err := f.s.InstanceList(f.ctx, &tc.p)
		wantErr(t, tc.name, err, store.ErrInvalidArgument)
		var se *store.Error
		if !errors.As(err, &se) || se.Field != tc.field {
			t.Errorf("%s: error %v does not name field %q", tc.name, err, tc.field)
		}
	}
	tooMany := make([]store.Attribute, store.MaxAttributes+1)
	for i := range tooMany {
		tooMany[i] = store.Attribute{Key: "sku", Value: fmt.Sprint(i)}
	}
	for name, a := range map[string][]store.Attribute{"bad key": attrs("a b", "v"), "too many": tooMany} {
		_, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{ID: "x", Workflow: "wf", Attributes: a})
		wantErr(t, "InstanceCreate "+name, err, store.ErrInvalidArgument)
		_, err = f.s.Commit(f.ctx, []*store.Update{{InstanceID: "y", Create: &store.InstanceCreateParams{ID: "y", Workflow: "wf", Attributes: a}}})
		wantErr(t, "Commit create "+name, err, store.ErrInvalidArgument)
	}
	if _, err := f.s.InstanceGet(f.ctx, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an instance with bad attributes was created: %v", err)
	}
}
