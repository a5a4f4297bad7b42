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
// While a batch is in flight, another lane takes a batch only if a create
// waits and no batch in flight creates an instance: a creator (a
// submitter, an API request) waits for its commit, and need not wait for
// a batch of other instances' step results too. Step results that arrive
// meanwhile, and creates while a create commits (many creators at once),
// wait to share the next batch instead of each paying a transaction of
// their own. With no batch in flight, a batch without a create waits
// briefly for the next create after one that created (awaitCreator).

// laneBatch is one batch handed to a lane, with the instances it holds.
type laneBatch struct {
	reqs    []*commitReq
	keys    map[string]bool
	creates bool          // some update creates an instance
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
	creating := 0 // batches in flight that create instances
	var last lastBatch
	for open || len(queue) > 0 || free < c.lanes {
		if free > 0 && len(queue) > 0 && (free == c.lanes || creating == 0 && slices.ContainsFunc(queue, isCreate)) {
			// As in loop: writers woken by the last commit are about to
			// send their next update; let them make this batch.
			for yield := 0; yield < lingerYields && len(queue) < c.maxBatch; yield++ {
				runtime.Gosched()
				queue = c.drain(queue)
			}
			if free == c.lanes {
				queue = c.awaitCreator(queue, last)
			}
			var b *laneBatch
			if b, queue = c.take(queue, busy, free < c.lanes); b != nil {
				for k := range b.keys {
					busy[k]++
				}
				if b.creates {
					creating++
				}
				free--
				work <- b
				continue
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
			last = lastBatch{created: b.creates, took: b.took}
			if b.creates {
				creating--
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

// take forms the next batch from queue: up to maxBatch updates, in queue
// order, none touching an instance in busy or one that an update left in
// the queue touches. It returns the batch (nil if every update must wait,
// or if needCreate and the batch would create no instance) and what stays
// queued.
func (c *committer) take(queue []*commitReq, busy map[string]int, needCreate bool) (*laneBatch, []*commitReq) {
	b := &laneBatch{keys: map[string]bool{}}
	var (
		rest    []*commitReq
		waiting map[string]bool // instances of updates left queued
	)
	for _, r := range queue {
		if len(b.reqs) == c.maxBatch || touches(r.upd, busy, waiting) {
			if waiting == nil {
				waiting = map[string]bool{}
			}
			forTouched(r.upd, func(id string) { waiting[id] = true })
			rest = append(rest, r)
			continue
		}
		forTouched(r.upd, func(id string) { b.keys[id] = true })
		b.reqs = append(b.reqs, r)
	}
	b.creates = slices.ContainsFunc(b.reqs, isCreate)
	if len(b.reqs) == 0 || needCreate && !b.creates {
		return nil, queue
	}
	return b, rest
}

// isCreate reports whether r creates an instance.
func isCreate(r *commitReq) bool { return r.upd.Create != nil }

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
