package ordo

import (
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/ordohq/ordo/store"
)

// A committer on a store.ParallelCommitter keeps up to lanes batches in
// flight. One goroutine (dispatch) forms the batches and one per lane
// writes them. A batch takes the queued updates in their order, except
// those that touch an instance a batch in flight holds (its own or the
// one a Notify event goes to): they wait for the next batch, as does
// every later update of the instances they touch. So an instance's
// updates still commit one batch after the other, in order, and
// concurrent batches lock disjoint instance rows (no deadlock between
// them).
//
// How batches share the lanes depends on how many create at once:
//
//   - Many creators (the creates of recent batches were several each):
//     while a batch is in flight, another lane takes a batch if a create
//     waits and no batch in flight creates an instance, or if at least
//     parallelBatchMin updates wait. A creator (a submitter, an API
//     request) waits for its commit, and need not wait for a batch of
//     other instances' step results too. A few step results that arrive
//     meanwhile, and a few creates while a create commits, wait to share
//     the next batch instead of each paying a transaction of their own;
//     a queue of parallelBatchMin is worth a transaction of its own, run
//     on the database's other cores beside the one in flight. With no
//     batch in flight, a batch without a create waits briefly for the
//     next create after one that created (awaitCreator).
//   - A lone creator, or a few (recent create batches held fewer than
//     loneCreatorBelow creates each): the creates commit in batches of
//     creates only, one at a time, and the other updates in batches of
//     their own, one at a time, beside them. A creator's next create then
//     waits only for the inserts of its batch, not for the step results
//     of the instances they started; there are too few creates for
//     merging them into step batches to pay off, and the two batches run
//     on the database's cores side by side.

// laneBatch is one batch handed to a lane, with the instances it holds.
type laneBatch struct {
	reqs    []*commitReq
	keys    map[string]bool
	creates int           // updates that create an instance
	took    time.Duration // its commit, in real time, once written
}

// dispatch is the committer's loop on several lanes. It ends when the
// request channel is closed and every queued update is written.
func (c *committer) dispatch() {
	work := make(chan *laneBatch)
	done := make(chan *laneBatch, c.lanes)
	var wg sync.WaitGroup
	for lane := range c.lanes {
		wg.Go(func() {
			for b := range work {
				begin := time.Now()
				c.write(lane, b.reqs)
				b.took = time.Since(begin)
				done <- b
			}
		})
	}
	busy := map[string]int{} // instances held by batches in flight
	var queue []*commitReq
	free, open := c.lanes, true
	creating, others := 0, 0 // batches in flight with and without creates
	var (
		last    lastBatch
		creator creatorGauge
	)
	for open || len(queue) > 0 || free < c.lanes {
		if free > 0 && len(queue) > 0 {
			if kinds := c.nextKinds(queue, free, creating, others, creator.lone()); len(kinds) > 0 {
				// As in loop: writers woken by the last commit are about
				// to send their next update; let them make this batch.
				for yield := 0; yield < lingerYields && len(queue) < c.maxBatch; yield++ {
					runtime.Gosched()
					queue = c.drain(queue)
				}
				if kinds[0] == takeAny {
					queue = c.awaitCreator(queue, last)
				}
				var b *laneBatch
				for _, kind := range kinds {
					if b, queue = c.take(queue, busy, kind); b != nil {
						break
					}
				}
				if b != nil {
					for k := range b.keys {
						busy[k]++
					}
					if b.creates > 0 {
						creating++
						creator.observe(b.creates)
					} else {
						others++
					}
					free--
					work <- b
					continue
				}
			}
		}
		var reqs <-chan *commitReq
		if open {
			reqs = c.reqs
		}
		select {
		case r, ok := <-reqs:
			if !ok {
				open = false
				continue
			}
			queue = append(queue, r)
		case b := <-done:
			free++
			last = lastBatch{created: b.creates > 0, took: b.took}
			if b.creates > 0 {
				creating--
			} else {
				others--
			}
			for k := range b.keys {
				if busy[k]--; busy[k] == 0 {
					delete(busy, k)
				}
			}
		}
	}
	close(work)
	wg.Wait()
}

// takeKind says which queued updates a batch may take.
type takeKind int

const (
	takeAny        takeKind = iota // any update
	takeWithCreate                 // any update, but the batch must create an instance
	takeCreates                    // creates only
	takeOthers                     // updates that create nothing
)

// nextKinds lists the kinds of batch a free lane may take now, to try in
// order (see the comment at the top of this file); none if it waits.
func (c *committer) nextKinds(queue []*commitReq, free, creating, others int, lone bool) []takeKind {
	if lone {
		// A create can be held up behind an update of its instance
		// (an idempotent create of one that runs): the updates go
		// first then, so try both.
		var kinds []takeKind
		if creating == 0 && slices.ContainsFunc(queue, isCreate) {
			kinds = append(kinds, takeCreates)
		}
		if others == 0 && slices.ContainsFunc(queue, isOther) {
			kinds = append(kinds, takeOthers)
		}
		return kinds
	}
	switch {
	case free == c.lanes, len(queue) >= parallelBatchMin:
		return []takeKind{takeAny}
	case creating == 0 && slices.ContainsFunc(queue, isCreate):
		return []takeKind{takeWithCreate}
	}
	return nil
}

// parallelBatchMin is how many queued updates a free lane takes as a
// batch of their own while another batch is in flight, with many
// creators. A commit costs a round trip and a WAL flush whatever its
// size, and a batch's statements take about 40 µs of database time per
// update, so from about this many the work beside the batch in flight
// outweighs the commit it adds. With one batch at a time, the database
// ran each batch's statements on one core while the machine's other
// cores idled (WF3, eight submitters: a third of the CPU idle on
// PostgreSQL, batches of about 32 updates taking 3-4 ms each).
const parallelBatchMin = 8

// take forms the next batch from queue: up to maxBatch updates of kind, in
// queue order, none touching an instance in busy or one that an update
// left in the queue touches. It returns the batch (nil if every update
// must wait, or if kind is takeWithCreate and the batch would create no
// instance) and what stays queued.
func (c *committer) take(queue []*commitReq, busy map[string]int, kind takeKind) (*laneBatch, []*commitReq) {
	b := &laneBatch{keys: map[string]bool{}}
	var (
		rest    []*commitReq
		waiting map[string]bool // instances of updates left queued
	)
	for _, r := range queue {
		if len(b.reqs) == c.maxBatch || touches(r.upd, busy, waiting) ||
			kind == takeCreates && !isCreate(r) || kind == takeOthers && isCreate(r) {
			if waiting == nil {
				waiting = map[string]bool{}
			}
			forTouched(r.upd, func(id string) { waiting[id] = true })
			rest = append(rest, r)
			continue
		}
		forTouched(r.upd, func(id string) { b.keys[id] = true })
		b.reqs = append(b.reqs, r)
		if isCreate(r) {
			b.creates++
		}
	}
	if len(b.reqs) == 0 || kind == takeWithCreate && b.creates == 0 {
		return nil, queue
	}
	return b, rest
}

// creatorGauge follows how many creates the recent create batches held,
// to tell a lone creator (or a few) from many.
type creatorGauge struct {
	avg  float64 // moving average of creates per create batch
	seen bool
}

// loneCreatorBelow is the average of creates per create batch under
// which the creates come from a lone creator or a few. Two submitters
// make batches of about two creates; merged into the step batches, each
// create then waited for a batch of other instances' step results, and
// WF3 on PostgreSQL ran slower with two submitters than with one (815
// against 1,172 wf/s with batches of creates only). With eight, batches
// hold about six creates and merging pays.
const loneCreatorBelow = 3

// observe adds a create batch that holds n creates.
func (g *creatorGauge) observe(n int) {
	if !g.seen {
		g.avg, g.seen = float64(n), true
		return
	}
	g.avg += (float64(n) - g.avg) / 8
}

// lone reports whether the recent creates came from a lone creator or a
// few (see loneCreatorBelow). Until a create batch was seen, they did
// not: the batches share the lanes as they do for many creators.
func (g *creatorGauge) lone() bool { return g.seen && g.avg < loneCreatorBelow }

// isCreate reports whether r creates an instance.
func isCreate(r *commitReq) bool { return r.upd.Create != nil }

// isOther reports whether r creates no instance.
func isOther(r *commitReq) bool { return r.upd.Create == nil }

// touches reports whether upd touches an instance in busy or waiting.
func touches(upd *store.Update, busy map[string]int, waiting map[string]bool) bool {
	hit := false
	forTouched(upd, func(id string) {
		if busy[id] > 0 || waiting[id] {
			hit = true
		}
	})
	return hit
}

// forTouched calls f with each instance upd touches: its own and those its
// Notify events go to.
func forTouched(upd *store.Update, f func(id string)) {
	f(upd.InstanceID)
	for _, ev := range upd.Notify {
		f(ev.InstanceID)
	}
}
