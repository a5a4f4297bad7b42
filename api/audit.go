package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/store"
)

// AuditLog stores audit entries (store.KeyStore has it).
type AuditLog interface {
	AuditAppend(ctx context.Context, entries ...*store.AuditEntry) error
}

// Audit batching: entries are written together once auditBatch are waiting
// or auditFlush has passed, so recording them costs no commit per request.
const (
	auditBatch = 256
	auditFlush = 200 * time.Millisecond
	auditQueue = 4096
)

// audited reports whether a request is recorded: every state-changing
// request of the API and of the dashboard (its actions, sign-in and
// sign-out).
func audited(r *http.Request) bool {
	return !safeMethod(r.Method) && (strings.HasPrefix(r.URL.Path, "/v1/") || strings.HasPrefix(r.URL.Path, "/ui/"))
}

// record queues an audit entry for a state-changing request; who made it
// is the principal the request was authenticated as (whichever layer did
// it, see auth.WithRecorder).
func (s *Server) record(r *http.Request, status int, who func() (*auth.Principal, bool)) {
	if s.audit == nil || !audited(r) {
		return
	}
	// The escaped path: the decoded one may hold NUL or invalid UTF-8
	// (/v1/instances/a%00b), which a text column refuses, failing the batch.
	e := &store.AuditEntry{At: time.Now().UTC(), Method: r.Method, Path: r.URL.EscapedPath(), Status: status, RemoteAddr: r.RemoteAddr}
	if p, ok := who(); ok {
		e.Key = p.Name
	}
	s.audit.add(e)
}

// auditWriter writes queued audit entries in batches from one goroutine.
type auditWriter struct {
	log   AuditLog
	slog  *slog.Logger
	queue chan *store.AuditEntry
	done  chan struct{}
	once  sync.Once
	mu    sync.RWMutex
	shut  bool
}

func newAuditWriter(l AuditLog, log *slog.Logger) *auditWriter {
	w := &auditWriter{log: l, slog: log, queue: make(chan *store.AuditEntry, auditQueue), done: make(chan struct{})}
	go w.run()
	return w
}

// add queues e; when the queue is full the request waits (back pressure
// rather than a lost entry).
func (w *auditWriter) add(e *store.AuditEntry) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.shut {
		return
	}
	w.queue <- e
}

func (w *auditWriter) run() {
	defer close(w.done)
	t := time.NewTicker(auditFlush)
	defer t.Stop()
	var batch []*store.AuditEntry
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := w.log.AuditAppend(ctx, batch...); err != nil && len(batch) > 1 {
			// One entry the store refuses must not cost the others: write
			// them one by one.
			w.slog.Warn("ordo api: write audit entries, retrying one by one", "entries", len(batch), "err", err)
			for _, e := range batch {
				if err := w.log.AuditAppend(ctx, e); err != nil {
					w.slog.Error("ordo api: write audit entry", "method", e.Method, "path", e.Path, "err", err)
				}
			}
		} else if err != nil {
			w.slog.Error("ordo api: write audit entries", "entries", len(batch), "err", err)
		}
		cancel()
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-w.queue:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
			if len(batch) >= auditBatch {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

// close stops accepting entries, writes those queued and waits for them
// (or ctx).
func (w *auditWriter) close(ctx context.Context) error {
	w.once.Do(func() {
		w.mu.Lock()
		w.shut = true
		close(w.queue)
		w.mu.Unlock()
	})
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
