package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ordohq/ordo/store"
)

var _ store.WebhookStore = (*Store)(nil)

const (
	webhookCols      = `id, url, events, secret, created_at`
	sqlWebhookInsert = `INSERT INTO webhooks (id, url, events, secret, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`
	sqlWebhookCount  = `SELECT count(*) FROM webhooks`
	sqlWebhookGet    = `SELECT ` + webhookCols + ` FROM webhooks WHERE id = ?`
	sqlWebhookList   = `SELECT ` + webhookCols + ` FROM webhooks ORDER BY id`
	sqlWebhookDelete = `DELETE FROM webhooks WHERE id = ?`
	sqlHookDelDel    = `DELETE FROM webhook_deliveries WHERE webhook_id = ?`
	sqlHookInstance  = `SELECT workflow, custom_status FROM instances WHERE id = ?`
	sqlHookInsert    = `INSERT INTO webhook_deliveries (webhook_id, event, instance_id, workflow, status,
			custom_status, prev_custom, created_at, next_attempt_at, retry_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	hookDeliveryCols = `id, webhook_id, event, instance_id, workflow, status, custom_status, prev_custom,
		created_at, state, next_attempt_at, retry_until`
	// sqlHookClaim takes the oldest pending delivery of each webhook and
	// instance, when due and not claimed.
	sqlHookClaim = `UPDATE webhook_deliveries SET claimed_until = ?2 WHERE id IN (
			SELECT d.id FROM webhook_deliveries d
			WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 AND d.claimed_until <= ?1
				AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = d.webhook_id
					AND e.instance_id = d.instance_id AND e.state = 'pending' AND e.id < d.id)
			ORDER BY d.id LIMIT ?3)
		RETURNING ` + hookDeliveryCols
	sqlHookRecord = `UPDATE webhook_deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?,
			claimed_until = 0, finished_at = ? WHERE id = ? AND state = 'pending' AND attempts = ?`
	sqlHookAttempt = `INSERT INTO webhook_attempts (delivery_id, number, at, status_code, error) VALUES (?, ?, ?, ?, ?)`
	sqlHookList    = `SELECT ` + hookDeliveryCols + ` FROM webhook_deliveries WHERE webhook_id = ? AND (? = 0 OR id < ?)
		ORDER BY id DESC LIMIT ?`
	sqlHookAttempts  = `SELECT delivery_id, number, at, status_code, error FROM webhook_attempts WHERE delivery_id IN (SELECT value FROM json_each(?)) ORDER BY delivery_id, number`
	sqlHookRedeliver = `UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?, retry_until = ?,
			claimed_until = 0, finished_at = NULL WHERE id = ? AND webhook_id = ? AND state <> 'pending'`
	sqlHookPrune = `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
		WHERE state <> 'pending' AND finished_at < ? ORDER BY id LIMIT ?)`
	sqlHookGet = `SELECT ` + hookDeliveryCols + ` FROM webhook_deliveries WHERE id = ? AND webhook_id = ?`
)

// hookCache is the webhooks as the write transactions see them, so that a
// commit with no webhook stored reads nothing more. It is loaded by the
// first write transaction that needs it and dropped by every write
// transaction that changes the webhooks (write transactions run one at a
// time, on the one write connection). A SQLite file is used by one
// process.
type hookCache struct {
	mu     sync.Mutex
	loaded bool
	hooks  []*store.Webhook
}

// webhooks returns the stored webhooks, read in w on first use.
func (w *writeTx) webhooks() ([]*store.Webhook, error) {
	c := &w.s.hooks
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.loaded {
		return c.hooks, nil
	}
	rows, err := w.query(sqlWebhookList)
	if err != nil {
		return nil, fmt.Errorf("load webhooks: %w", err)
	}
	hooks, err := scanWebhooks(rows)
	if err != nil {
		return nil, fmt.Errorf("load webhooks: %w", err)
	}
	c.hooks, c.loaded = hooks, true
	return hooks, nil
}

// dropWebhooks makes the next write transaction read the webhooks again.
func (s *Store) dropWebhooks() {
	s.hooks.mu.Lock()
	s.hooks.loaded, s.hooks.hooks = false, nil
	s.hooks.mu.Unlock()
}

// report writes the deliveries of changes of an instance to every webhook
// that takes them.
func (w *writeTx) report(hooks []*store.Webhook, instanceID, workflow string, changes []store.WebhookChange, t time.Time) error {
	for _, c := range changes {
		for _, h := range hooks {
			if !h.Subscribes(c.Event) {
				continue
			}
			d := store.NewWebhookDelivery(h, instanceID, workflow, c, t)
			if _, err := w.exec(sqlHookInsert, d.WebhookID, d.Event, d.InstanceID, d.Workflow, string(d.Status),
				d.CustomStatus, d.PreviousCustomStatus, micros(t), micros(t), micros(d.RetryUntil)); err != nil {
				return fmt.Errorf("webhook %q delivery: %w", h.ID, err)
			}
		}
	}
	return nil
}

// reportUpdate writes the deliveries of update u, applied to an instance
// that had status prev: it reads the instance's workflow and custom status
// before the update writes them. It returns a func to run after the
// update, or nil when there is nothing to report.
func (w *writeTx) reportUpdate(u *store.Update, prev store.InstanceStatus, t time.Time) (func() error, error) {
	if u.CustomStatus == nil && u.State == nil {
		return nil, nil
	}
	hooks, err := w.webhooks()
	if err != nil || len(hooks) == 0 {
		return nil, err
	}
	var workflow, custom string
	if err := w.queryRow(sqlHookInstance, u.InstanceID).Scan(&workflow, &custom); err != nil {
		return nil, fmt.Errorf("read instance for webhooks: %w", err)
	}
	changes := store.ReportedChanges(u, custom, prev)
	if len(changes) == 0 {
		return nil, nil
	}
	return func() error { return w.report(hooks, u.InstanceID, workflow, changes, t) }, nil
}

func scanWebhooks(rows *sql.Rows) ([]*store.Webhook, error) {
	defer rows.Close()
	var out []*store.Webhook
	for rows.Next() {
		h, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func scanWebhook(sc scanner) (*store.Webhook, error) {
	var (
		h       store.Webhook
		events  string
		created int64
	)
	if err := sc.Scan(&h.ID, &h.URL, &events, &h.Secret, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(events), &h.Events); err != nil {
		return nil, fmt.Errorf("webhook %q events: %w", h.ID, err)
	}
	h.CreatedAt = fromMicros(created)
	return &h, nil
}

// WebhookCreate stores a new webhook.
func (s *Store) WebhookCreate(ctx context.Context, h *store.Webhook) error {
	if err := store.ValidateWebhook(h); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	events, err := json.Marshal(h.Events)
	if err != nil {
		return fmt.Errorf("sqlite: webhook %q: %w", h.ID, err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: webhook create %q: %w", h.ID, err)
	}
	defer w.rollback()
	var n int
	if err := w.queryRow(sqlWebhookCount).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: webhook create %q: %w", h.ID, err)
	}
	if n >= store.MaxWebhooks {
		return fmt.Errorf("sqlite: webhook create %q: %w", h.ID, store.ErrWebhookLimit())
	}
	res, err := w.exec(sqlWebhookInsert, h.ID, h.URL, string(events), h.Secret, micros(now(h.CreatedAt)))
	if err != nil {
		return fmt.Errorf("sqlite: webhook create %q: %w", h.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: webhook create %q: %w", h.ID, store.ErrAlreadyExists)
	}
	s.dropWebhooks()
	if err := w.commit(); err != nil {
		return fmt.Errorf("sqlite: webhook create %q: %w", h.ID, err)
	}
	return nil
}

// WebhookGet returns one webhook.
func (s *Store) WebhookGet(ctx context.Context, id string) (*store.Webhook, error) {
	h, err := scanWebhook(s.read.QueryRowContext(ctx, sqlWebhookGet, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: webhook %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook %q: %w", id, err)
	}
	return h, nil
}

// WebhookList returns every webhook sorted by ID.
func (s *Store) WebhookList(ctx context.Context) ([]*store.Webhook, error) {
	rows, err := s.read.QueryContext(ctx, sqlWebhookList)
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook list: %w", err)
	}
	hooks, err := scanWebhooks(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook list: %w", err)
	}
	if hooks == nil {
		hooks = []*store.Webhook{}
	}
	return hooks, nil
}

// WebhookDelete removes a webhook and its deliveries.
func (s *Store) WebhookDelete(ctx context.Context, id string) error {
	w, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: webhook delete %q: %w", id, err)
	}
	defer w.rollback()
	if _, err := w.exec(sqlHookDelDel, id); err != nil {
		return fmt.Errorf("sqlite: webhook delete %q: %w", id, err)
	}
	res, err := w.exec(sqlWebhookDelete, id)
	if err != nil {
		return fmt.Errorf("sqlite: webhook delete %q: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: webhook %q: %w", id, store.ErrNotFound)
	}
	s.dropWebhooks()
	if err := w.commit(); err != nil {
		return fmt.Errorf("sqlite: webhook delete %q: %w", id, err)
	}
	return nil
}

// WebhookClaim claims due deliveries, the oldest pending one of each
// webhook and instance.
func (s *Store) WebhookClaim(ctx context.Context, p *store.WebhookClaimParams) ([]*store.WebhookDelivery, error) {
	limit, err := store.WebhookClaimLimit(p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook claim: %w", err)
	}
	defer w.rollback()
	rows, err := w.query(sqlHookClaim, micros(p.Now), micros(p.Until), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook claim: %w", err)
	}
	ds, err := scanHookDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook claim: %w", err)
	}
	hooks, err := w.webhooks()
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook claim: %w", err)
	}
	for _, d := range ds {
		for _, h := range hooks {
			if h.ID == d.WebhookID {
				d.URL, d.Secret = h.URL, h.Secret
			}
		}
	}
	if err := attachHookAttempts(ctx, w.tx, ds); err != nil {
		return nil, fmt.Errorf("sqlite: webhook claim: %w", err)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: webhook claim: %w", err)
	}
	return ds, nil
}

// WebhookRecord records one attempt of a claimed delivery.
func (s *Store) WebhookRecord(ctx context.Context, p *store.WebhookRecordParams) error {
	if err := store.ValidateWebhookRecord(p); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: webhook record %d: %w", p.ID, err)
	}
	defer w.rollback()
	var finished any
	if p.State != store.WebhookPending {
		finished = micros(now(p.Attempt.At))
	}
	res, err := w.exec(sqlHookRecord, p.State, micros(p.NextAttemptAt), finished, p.ID, p.Attempt.Number-1)
	if err != nil {
		return fmt.Errorf("sqlite: webhook record %d: %w", p.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: webhook delivery %d attempt %d: %w", p.ID, p.Attempt.Number, store.ErrLeaseLost)
	}
	a := p.Attempt
	if _, err := w.exec(sqlHookAttempt, p.ID, a.Number, micros(now(a.At)), a.StatusCode, a.Error); err != nil {
		return fmt.Errorf("sqlite: webhook record %d: %w", p.ID, err)
	}
	if err := w.commit(); err != nil {
		return fmt.Errorf("sqlite: webhook record %d: %w", p.ID, err)
	}
	return nil
}

// WebhookDeliveries lists a webhook's deliveries newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, p *store.WebhookDeliveryListParams) (*store.WebhookDeliveryPage, error) {
	limit, before, err := store.WebhookDeliveryListBounds(p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if _, err := s.WebhookGet(ctx, p.WebhookID); err != nil {
		return nil, err
	}
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook deliveries: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	rows, err := tx.QueryContext(ctx, sqlHookList, p.WebhookID, before, before, limit+1)
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook deliveries: %w", err)
	}
	ds, err := scanHookDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook deliveries: %w", err)
	}
	if err := attachHookAttempts(ctx, tx, ds); err != nil {
		return nil, fmt.Errorf("sqlite: webhook deliveries: %w", err)
	}
	return store.WebhookDeliveryPageOf(ds, limit), nil
}

// WebhookRedeliver makes a finished delivery pending again.
func (s *Store) WebhookRedeliver(ctx context.Context, webhookID string, id int64, at time.Time) (*store.WebhookDelivery, error) {
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook redeliver %d: %w", id, err)
	}
	defer w.rollback()
	t := now(at)
	if _, err := w.exec(sqlHookRedeliver, micros(t), micros(t.Add(store.WebhookRetryPeriod)), id, webhookID); err != nil {
		return nil, fmt.Errorf("sqlite: webhook redeliver %d: %w", id, err)
	}
	rows, err := w.query(sqlHookGet, id, webhookID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook redeliver %d: %w", id, err)
	}
	ds, err := scanHookDeliveries(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: webhook redeliver %d: %w", id, err)
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("sqlite: webhook %q delivery %d: %w", webhookID, id, store.ErrNotFound)
	}
	if err := attachHookAttempts(ctx, w.tx, ds); err != nil {
		return nil, fmt.Errorf("sqlite: webhook redeliver %d: %w", id, err)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: webhook redeliver %d: %w", id, err)
	}
	return ds[0], nil
}

func scanHookDeliveries(rows *sql.Rows) ([]*store.WebhookDelivery, error) {
	defer rows.Close()
	var out []*store.WebhookDelivery
	for rows.Next() {
		var (
			d                  store.WebhookDelivery
			status             string
			created, next, ret int64
		)
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.Event, &d.InstanceID, &d.Workflow, &status, &d.CustomStatus,
			&d.PreviousCustomStatus, &created, &d.State, &next, &ret); err != nil {
			return nil, err
		}
		d.Status = store.InstanceStatus(status)
		d.CreatedAt, d.RetryUntil = fromMicros(created), fromMicros(ret)
		if d.State == store.WebhookPending {
			n := fromMicros(next)
			d.NextAttemptAt = &n
		}
		d.Attempts = []store.WebhookAttempt{}
		out = append(out, &d)
	}
	return out, rows.Err()
}

// attachHookAttempts reads the attempts of ds.
func attachHookAttempts(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, ds []*store.WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	byID := make(map[int64]*store.WebhookDelivery, len(ds))
	ids := make([]string, 0, len(ds))
	for _, d := range ds {
		byID[d.ID] = d
		ids = append(ids, fmt.Sprint(d.ID))
	}
	rows, err := q.QueryContext(ctx, sqlHookAttempts, "["+strings.Join(ids, ",")+"]")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			a  store.WebhookAttempt
			t  int64
		)
		if err := rows.Scan(&id, &a.Number, &t, &a.StatusCode, &a.Error); err != nil {
			return err
		}
		a.At = fromMicros(t)
		byID[id].Attempts = append(byID[id].Attempts, a)
	}
	return rows.Err()
}

// WebhookPrune deletes finished deliveries (and, by cascade, their
// attempts) that finished before before.
func (s *Store) WebhookPrune(ctx context.Context, before time.Time, limit int) (int, error) {
	w, err := s.begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("sqlite: webhook prune: %w", err)
	}
	defer w.rollback()
	res, err := w.exec(sqlHookPrune, micros(before), limit)
	if err != nil {
		return 0, fmt.Errorf("sqlite: webhook prune: %w", err)
	}
	n, _ := res.RowsAffected()
	if err := w.commit(); err != nil {
		return 0, fmt.Errorf("sqlite: webhook prune: %w", err)
	}
	return int(n), nil
}
