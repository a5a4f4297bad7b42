package ordo

import (
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
		name       string
		queue      []*commitReq
		busy       []string
		maxBatch   int
		take, out  []string
		needCreate bool
	}{
		{"all free", []*commitReq{upd("a"), upd("b"), upd("a")}, nil, 10, []string{"a", "b", "a"}, nil, false},
		{"busy instance waits", []*commitReq{upd("a"), upd("b")}, []string{"a"}, 10, []string{"b"}, []string{"a"}, false},
		{"busy notify target waits", []*commitReq{upd("c", "p"), upd("b")}, []string{"p"}, 10, []string{"b"}, []string{"c"}, false},
		{"update of a busy target waits", []*commitReq{upd("p"), upd("b")}, []string{"p"}, 10, []string{"b"}, []string{"p"}, false},
		{"later update stays behind a waiting one", []*commitReq{upd("c", "p"), upd("c"), upd("d")}, []string{"p"}, 10,
			[]string{"d"}, []string{"c", "c"}, false},
		{"nothing free", []*commitReq{upd("a")}, []string{"a"}, 10, nil, []string{"a"}, false},
		{"batch limit", []*commitReq{upd("a"), upd("b"), upd("c")}, nil, 2, []string{"a", "b"}, []string{"c"}, false},
		{"a create wanted, none", []*commitReq{upd("a"), upd("b")}, nil, 10, nil, []string{"a", "b"}, true},
		{"a create wanted, one", []*commitReq{upd("a"), create("n")}, nil, 10, []string{"a", "n"}, nil, true},
		{"a create wanted, past the limit", []*commitReq{upd("a"), create("n")}, nil, 1, nil, []string{"a", "n"}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &committer{maxBatch: tc.maxBatch}
			busy := map[string]int{}
			for _, id := range tc.busy {
				busy[id]++
			}
			b, rest := c.take(tc.queue, busy, tc.needCreate)
			var took []string
			if b != nil {
				took = ids(b.reqs)
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
