package ordo

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ordohq/ordo/store"
)

// createReq is a queued update that creates instance id.
func createReq(id string) *commitReq {
	return &commitReq{upd: &store.Update{InstanceID: id, Create: &store.InstanceCreateParams{ID: id}}}
}

// updReq is a queued update of instance id that sends events to notify.
func updReq(id string, notify ...string) *commitReq {
	u := &store.Update{InstanceID: id}
	for _, n := range notify {
		u.Notify = append(u.Notify, &store.EventSendParams{InstanceID: n})
	}
	return &commitReq{upd: u}
}

// reqIDs lists the instances of rs, in order.
func reqIDs(rs []*commitReq) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.upd.InstanceID)
	}
	return out
}

// TestLanesTake pins which queued updates a batch takes: queue order, none
// of an instance a batch in flight holds (its own or a Notify target), and
// none behind an update of the same instance left queued.
func TestLanesTake(t *testing.T) {
	t.Parallel()
	create, upd, ids := createReq, updReq, reqIDs
	cases := []struct {
		name      string
		queue     []*commitReq
		busy      []string
		maxBatch  int
		take, out []string
		kind      takeKind
	}{
		{"all free", []*commitReq{upd("a"), upd("b"), upd("a")}, nil, 10, []string{"a", "b", "a"}, nil, takeAny},
		{"busy instance waits", []*commitReq{upd("a"), upd("b")}, []string{"a"}, 10, []string{"b"}, []string{"a"}, takeAny},
		{"busy notify target waits", []*commitReq{upd("c", "p"), upd("b")}, []string{"p"}, 10, []string{"b"}, []string{"c"}, takeAny},
		{"update of a busy target waits", []*commitReq{upd("p"), upd("b")}, []string{"p"}, 10, []string{"b"}, []string{"p"}, takeAny},
		{"later update stays behind a waiting one", []*commitReq{upd("c", "p"), upd("c"), upd("d")}, []string{"p"}, 10,
			[]string{"d"}, []string{"c", "c"}, takeAny},
		{"nothing free", []*commitReq{upd("a")}, []string{"a"}, 10, nil, []string{"a"}, takeAny},
		{"batch limit", []*commitReq{upd("a"), upd("b"), upd("c")}, nil, 2, []string{"a", "b"}, []string{"c"}, takeAny},
		{"a create wanted, none", []*commitReq{upd("a"), upd("b")}, nil, 10, nil, []string{"a", "b"}, takeWithCreate},
		{"a create wanted, one", []*commitReq{upd("a"), create("n")}, nil, 10, []string{"a", "n"}, nil, takeWithCreate},
		{"a create wanted, past the limit", []*commitReq{upd("a"), create("n")}, nil, 1, nil, []string{"a", "n"}, takeWithCreate},
		{"creates only", []*commitReq{upd("a"), create("n"), upd("b"), create("m")}, nil, 10,
			[]string{"n", "m"}, []string{"a", "b"}, takeCreates},
		{"creates only, none", []*commitReq{upd("a")}, nil, 10, nil, []string{"a"}, takeCreates},
		{"a create behind an update of its instance", []*commitReq{upd("n"), create("n")}, nil, 10,
			nil, []string{"n", "n"}, takeCreates},
		{"others only", []*commitReq{upd("a"), create("n"), upd("b")}, nil, 10,
			[]string{"a", "b"}, []string{"n"}, takeOthers},
		{"others only, an update behind a create of its instance", []*commitReq{create("n"), upd("n"), upd("b")}, nil, 10,
			[]string{"b"}, []string{"n", "n"}, takeOthers},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &committer{maxBatch: tc.maxBatch}
			busy := map[string]int{}
			for _, id := range tc.busy {
				busy[id]++
			}
			b, rest := c.take(tc.queue, busy, tc.kind)
			var took []string
			if b != nil {
				took = ids(b.reqs)
				if n := len(slices.DeleteFunc(slices.Clone(b.reqs), isOther)); b.creates != n {
					t.Errorf("batch counts %d creates, holds %d", b.creates, n)
				}
				for _, id := range took {
					if !b.keys[id] {
						t.Errorf("batch keys %v lack %s", b.keys, id)
					}
				}
			}
			if !slices.Equal(took, tc.take) || !slices.Equal(ids(rest), tc.out) {
				t.Errorf("took %v, left %v; want %v, %v", took, ids(rest), tc.take, tc.out)
			}
		})
	}
}

// TestLanesNextKinds pins when a free lane takes a batch and of which
// updates: with many creators as before (any batch on an idle committer,
// a batch that creates beside others), with a lone creator one batch of
// creates and one of other updates side by side.
func TestLanesNextKinds(t *testing.T) {
	t.Parallel()
	create, upd := createReq("n"), updReq("a")
	cases := []struct {
		name           string
		queue          []*commitReq
		free, creating int
		others         int
		lone           bool
		want           []takeKind
	}{
		{"many, idle", []*commitReq{upd, create}, 2, 0, 0, false, []takeKind{takeAny}},
		{"many, a create beside step results", []*commitReq{upd, create}, 1, 0, 1, false, []takeKind{takeWithCreate}},
		{"many, no create beside step results", []*commitReq{upd}, 1, 0, 1, false, nil},
		{"many, a create beside a create", []*commitReq{upd, create}, 1, 1, 0, false, nil},
		{"many, a long queue beside a create", longQueue(parallelBatchMin), 1, 1, 0, false, []takeKind{takeAny}},
		{"many, a long queue beside step results", longQueue(parallelBatchMin), 1, 0, 1, false, []takeKind{takeAny}},
		{"many, a queue just short beside a create", longQueue(parallelBatchMin - 1), 1, 1, 0, false, nil},
		{"lone, a long queue beside step results", longQueue(parallelBatchMin), 1, 0, 1, true, nil},
		{"lone, idle", []*commitReq{upd, create}, 2, 0, 0, true, []takeKind{takeCreates, takeOthers}},
		{"lone, a create beside step results", []*commitReq{upd, create}, 1, 0, 1, true, []takeKind{takeCreates}},
		{"lone, step results beside a create", []*commitReq{upd, create}, 1, 1, 0, true, []takeKind{takeOthers}},
		{"lone, only step results, idle", []*commitReq{upd}, 2, 0, 0, true, []takeKind{takeOthers}},
		{"lone, a create beside a create", []*commitReq{create}, 1, 1, 0, true, nil},
		{"lone, step results beside step results", []*commitReq{upd}, 1, 0, 1, true, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &committer{maxBatch: 10, lanes: 2}
			if got := c.nextKinds(tc.queue, tc.free, tc.creating, tc.others, tc.lone); !slices.Equal(got, tc.want) {
				t.Errorf("nextKinds = %v, want %v", got, tc.want)
			}
		})
	}
}

// longQueue is n queued step results of distinct instances.
func longQueue(n int) []*commitReq {
	q := make([]*commitReq, n)
	for i := range q {
		q[i] = updReq(fmt.Sprintf("q%d", i))
	}
	return q
}

// TestCreatorGauge pins how a lone creator is told from many: by the
// average of creates per create batch, from the first batch on.
func TestCreatorGauge(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		batches []int
		lone    bool
	}{
		{"nothing seen", nil, false},
		{"one create each", []int{1, 1, 1, 1}, true},
		{"two each", []int{2, 2, 1, 2, 2}, true},
		{"several each", []int{1, 8, 7, 8}, false},
		{"three each", []int{3, 3, 3, 3}, false},
		{"a burst passes", append([]int{1, 1, 1, 1, 1, 1, 1, 1, 1}, 3), true},
		{"back to one creator", append([]int{8, 8, 8}, slices.Repeat([]int{1}, 20)...), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var g creatorGauge
			for _, n := range tc.batches {
				g.observe(n)
			}
			if g.lone() != tc.lone {
				t.Errorf("lone() = %v after %v (average %.2f), want %v", g.lone(), tc.batches, g.avg, tc.lone)
			}
		})
	}
}
