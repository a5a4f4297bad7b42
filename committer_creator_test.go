package ordo

import (
	"slices"
	"testing"
	"time"
)

// TestAwaitCreator pins when a batch without a create waits for one: only
// after a batch that created, ending as soon as a create is queued, and
// bounded when none comes.
func TestAwaitCreator(t *testing.T) {
	t.Parallel()
	create, upd, ids := createReq, updReq, reqIDs
	hour := time.Hour // capped at maxCreatorWait
	cases := []struct {
		name     string
		batch    []*commitReq
		queued   []*commitReq // in the channel when awaitCreator starts
		last     lastBatch
		maxBatch int
		want     []string
	}{
		{"after a create, takes the next create", []*commitReq{upd("a")}, []*commitReq{upd("b"), create("n"), upd("c")},
			lastBatch{created: true, took: hour}, 10, []string{"a", "b", "n", "c"}},
		{"no create before: no wait", []*commitReq{upd("a")}, []*commitReq{create("n")},
			lastBatch{created: false, took: hour}, 10, []string{"a"}},
		{"batch creates already", []*commitReq{create("m")}, []*commitReq{create("n")},
			lastBatch{created: true, took: hour}, 10, []string{"m"}},
		{"full batch", []*commitReq{upd("a"), upd("b")}, []*commitReq{create("n")},
			lastBatch{created: true, took: hour}, 2, []string{"a", "b"}},
		{"fills up while waiting", []*commitReq{upd("a")}, []*commitReq{upd("b"), upd("c")},
			lastBatch{created: true, took: hour}, 3, []string{"a", "b", "c"}},
		{"no create comes: ends, keeps what came", []*commitReq{upd("a")}, []*commitReq{upd("b")},
			lastBatch{created: true, took: hour}, 10, []string{"a", "b"}},
		{"instant commits: no wait", []*commitReq{upd("a")}, nil,
			lastBatch{created: true, took: 0}, 10, []string{"a"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &committer{maxBatch: tc.maxBatch, reqs: make(chan *commitReq, 10)}
			for _, r := range tc.queued {
				c.reqs <- r
			}
			got := c.awaitCreator(slices.Clone(tc.batch), tc.last)
			if !slices.Equal(ids(got), tc.want) {
				t.Errorf("batch = %v, want %v", ids(got), tc.want)
			}
			if left := len(tc.queued) - (len(got) - len(tc.batch)); len(c.reqs) != left {
				t.Errorf("%d requests left queued, want %d", len(c.reqs), left)
			}
		})
	}
}
