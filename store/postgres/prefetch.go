package postgres

import (
	"sync"
	"time"

	"github.com/ordohq/ordo/store"
)

// prefetchTTL bounds how long a journal read by InstanceClaim waits for the
// JournalLoad it was read for.
const prefetchTTL = 10 * time.Second

// prefetch keeps the journals InstanceClaim read together with its claim,
// so the engine's JournalLoad of each claimed instance, which follows at
// once, costs no round trip. Serving one is a valid JournalLoad: it is the
// journal as it was at the claim, a moment earlier, and nobody but the new
// lease holder writes an instance's steps. Writes through this Store
// (Commit, EventSend, InstanceControl) drop the entries they touch; an
// entry is served once.
type prefetch struct {
	mu sync.Mutex
	m  map[string]prefetched
}

type prefetched struct {
	j  *store.Journal
	at time.Time
}

// put keeps journals, and forgets entries older than prefetchTTL.
func (p *prefetch) put(journals map[string]*store.Journal) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]prefetched{}
	}
	for id, e := range p.m {
		if now.Sub(e.at) > prefetchTTL {
			delete(p.m, id)
		}
	}
	for id, j := range journals {
		p.m[id] = prefetched{j: j, at: now}
	}
}

// take returns and forgets the journal kept for id, or nil.
func (p *prefetch) take(id string) *store.Journal {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.m[id]
	if !ok {
		return nil
	}
	delete(p.m, id)
	if time.Since(e.at) > prefetchTTL {
		return nil
	}
	return e.j
}

// drop forgets the journals kept for ids.
func (p *prefetch) drop(ids ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		delete(p.m, id)
	}
}
