package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ordohq/ordo/store"
)

// testInstanceListPageBytes: a page ends once its instances hold more than
// store.MaxPageBytes of params, with a cursor, and paging on returns every
// instance once, newest first.
func testInstanceListPageBytes(t *testing.T, s suite) {
	f := s.setup(t)
	const n = 12
	big := json.RawMessage(`{"x":"` + strings.Repeat("y", 1<<20) + `"}`) // a 1 MiB payload
	var want []string
	for i := range n {
		id := fmt.Sprintf("b%02d", i)
		if _, err := f.s.InstanceCreate(f.ctx, &store.InstanceCreateParams{
			ID: id, Workflow: "wf", Params: big, Now: at(time.Duration(i) * time.Millisecond),
		}); err != nil {
			t.Fatalf("InstanceCreate %q: %v", id, err)
		}
		want = append([]string{id}, want...)
	}
	p := store.InstanceListParams{Limit: 1000}
	var got []string
	for pages := 1; ; pages++ {
		page, err := f.s.InstanceList(f.ctx, &p)
		if err != nil {
			t.Fatalf("InstanceList: %v", err)
		}
		if len(page.Instances) == 0 || len(page.Instances) > store.MaxPageBytes/(1<<20)+1 {
			t.Fatalf("page %d holds %d instances of 1 MiB; want 1 to %d", pages, len(page.Instances), store.MaxPageBytes/(1<<20)+1)
		}
		got = append(got, ids(page.Instances)...)
		if page.NextCursor == "" {
			break
		}
		if pages > n {
			t.Fatal("too many pages")
		}
		p.Cursor = page.NextCursor
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("instances over the pages (-want +got):\n%s", diff)
	}
}
