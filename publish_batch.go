package ordo

import (
	"context"
	"sync"
	"time"

	"github.com/ordohq/ordo/store"
)

// publishTimeout bounds one batch of publishes in the store. A batch runs
// for every publisher waiting on it, so it does not end with the context
// of the one that happens to write it.
const publishTimeout = 30 * time.Second

// publisher is the group commit of published events: concurrent Publish
// calls queue here and one of them writes all that are waiting in one
// transaction (store.PublishStore.EventPublishBatch), so events published
// at once share one durable commit, as the instances the committer
// writes do. There is no timer: a lone publish is written at once.
type publisher struct {
	mu       sync.Mutex
	pending  []*publishReq
	flushing bool
}

type publishReq struct {
	p    *store.EventPublishParams
	out  store.PublishOutcome
	err  error
	done chan struct{}
}

// publish writes p, batched with the publishes waiting at the same time.
func (b *publisher) publish(ctx context.Context, ps store.PublishStore, p *store.EventPublishParams) (store.PublishOutcome, error) {
	r := &publishReq{p: p, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, r)
	if b.flushing {
		b.mu.Unlock()
		select {
		case <-r.done:
			return r.out, r.err
		case <-ctx.Done():
			// The event may still be stored: publishing it again with
			// its ID is safe.
			return store.PublishOutcome{}, ctx.Err()
		}
	}
	// No batch is being written, so the queue held nothing before r: r is
	// in the first batch. Later batches are written in the background, so
	// that no caller writes for others for long.
	b.flushing = true
	b.mu.Unlock()
	if b.flushOnce(ctx, ps) {
		go func() {
			for b.flushOnce(context.WithoutCancel(ctx), ps) {
			}
		}()
	}
	return r.out, r.err
}

// flushOnce writes the next batch and reports whether more are waiting;
// when none is, the next publish writes its own.
func (b *publisher) flushOnce(ctx context.Context, ps store.PublishStore) bool {
	b.mu.Lock()
	n := min(len(b.pending), store.MaxPublishBatch)
	batch := b.pending[:n:n]
	b.pending = append([]*publishReq(nil), b.pending[n:]...)
	b.mu.Unlock()
	b.write(ctx, ps, batch)
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.pending) == 0 {
		b.flushing = false
		return false
	}
	return true
}

// write stores one batch and hands each request its outcome.
func (b *publisher) write(ctx context.Context, ps store.PublishStore, batch []*publishReq) {
	params := make([]*store.EventPublishParams, len(batch))
	for i, r := range batch {
		params[i] = r.p
	}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	outs, err := ps.EventPublishBatch(bctx, params)
	cancel()
	for i, r := range batch {
		if err != nil {
			r.err = err
		} else {
			r.out = outs[i]
		}
		close(r.done)
	}
}
