package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/store"
)

// RunUnreadable checks what a backend does with rows it cannot decode
// (its driver can hold them; the memory store cannot): corrupt must make
// the stored row of the instance it is given undecodable (a column of the
// wrong type, an error column that is not JSON, params that are not JSON).
// InstanceList must still serve the whole page, with that row marked
// Unreadable (naming its ID) in its place and every JSON field valid;
// InstanceGet must return it the same way.
func RunUnreadable(t *testing.T, s store.Store, corrupt func(t *testing.T, id string)) {
	t.Helper()
	ctx := context.Background()
	for i, id := range []string{"a", "bad", "c"} {
		if _, err := s.InstanceCreate(ctx, &store.InstanceCreateParams{ID: id, Workflow: "wf",
			Params: []byte(`{"n":1}`), Now: at(time.Duration(i) * time.Second)}); err != nil {
			t.Fatalf("InstanceCreate %s: %v", id, err)
		}
	}
	corrupt(t, "bad")
	check := func(what string, in *store.Instance) {
		t.Helper()
		if in.ID != "bad" || !strings.Contains(in.Unreadable, `"bad"`) {
			t.Errorf("%s: instance %q Unreadable %q; want the corrupt row marked, naming its ID", what, in.ID, in.Unreadable)
		}
		if in.Params != nil && !jsonValid(in.Params) || in.Output != nil && !jsonValid(in.Output) {
			t.Errorf("%s: an unreadable row keeps invalid JSON: params %q output %q", what, in.Params, in.Output)
		}
	}
	for _, limit := range []int{0, 1} {
		var got []*store.Instance
		cursor := ""
		for {
			page, err := s.InstanceList(ctx, &store.InstanceListParams{Limit: limit, Cursor: cursor})
			if err != nil {
				t.Fatalf("InstanceList limit %d with an undecodable row: %v", limit, err)
			}
			got = append(got, page.Instances...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(got) != 3 || got[0].ID != "c" || got[2].ID != "a" {
			t.Fatalf("InstanceList limit %d: %v, want [c bad a]", limit, ids(got))
		}
		check("InstanceList", got[1])
		for _, in := range []*store.Instance{got[0], got[2]} {
			if in.Unreadable != "" {
				t.Errorf("InstanceList: intact row %q marked unreadable: %s", in.ID, in.Unreadable)
			}
		}
	}
	in, err := s.InstanceGet(ctx, "bad")
	if err != nil {
		t.Fatalf("InstanceGet of an undecodable row: %v", err)
	}
	check("InstanceGet", in)
}

func jsonValid(b []byte) bool {
	probe := &store.Instance{ID: "x", Params: b}
	return !store.MarkUnreadable(probe, nil)
}
