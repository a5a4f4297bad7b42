package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

var _ store.WebhookStore = (*Store)(nil)

const (
	webhookCols      = `id, url, events, secret, created_at`
	sqlWebhookInsert = `INSERT INTO webhooks (id, url, events, secret, created_at)
		SELECT $1, $2, $3, $4, $5 WHERE (SELECT count(*) FROM webhooks) < $6
		ON CONFLICT (id) DO NOTHING RETURNING id`
	sqlWebhookExists = `SELECT EXISTS (SELECT 1 FROM webhooks WHERE id = $1)`
	sqlWebhookGet    = `SELECT ` + webhookCols + ` FROM webhooks WHERE id = $1`
	sqlWebhookList   = `SELECT ` + webhookCols + ` FROM webhooks ORDER BY id`
	sqlWebhookDelete = `DELETE FROM webhooks WHERE id = $1`

	// sqlHookTerminated writes the outbox rows of a terminate, in the
	// InstanceControl transaction.
	sqlHookTerminated = `INSERT INTO webhook_deliveries (webhook_id, event, instance_id, workflow, status,
			custom_status, prev_custom, created_at, next_attempt_at, retry_until)
		SELECT w.id, 'instance.terminated', i.id, i.workflow, 'terminated', i.custom_status, i.custom_status,
			$2, $2, $2::timestamptz + $3::int8 * interval '1 microsecond'
		FROM instances i JOIN webhooks w ON 'instance.terminated' = ANY (w.events)
		WHERE i.id = $1 ORDER BY w.id`

	hookDeliveryCols = `d.id, d.webhook_id, d.event, d.instance_id, d.workflow, d.status, d.custom_status,
		d.prev_custom, d.created_at, d.state, d.next_attempt_at, d.retry_until`
	// sqlHookClaim takes the oldest pending delivery of each webhook and
	// instance, when due and not claimed; SKIP LOCKED lets concurrent
	// claims take other rows, and the re-check of a row locked meanwhile
	// drops one another claim just took.
	sqlHookClaim = `WITH c AS (
			SELECT d.id FROM webhook_deliveries d
			WHERE d.state = 'pending' AND d.next_attempt_at <= $1 AND d.claimed_until <= $1
				AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.webhook_id = d.webhook_id
					AND e.instance_id = d.instance_id AND e.state = 'pending' AND e.id < d.id)
			ORDER BY d.id LIMIT $3
			FOR UPDATE SKIP LOCKED)
		UPDATE webhook_deliveries d SET claimed_until = $2 FROM c, webhooks w
		WHERE d.id = c.id AND w.id = d.webhook_id
		RETURNING ` + hookDeliveryCols + `, w.url, w.secret`
	// sqlHookRecord records an attempt if the delivery is still pending
	// with the attempts before it.
	sqlHookRecord = `WITH r AS (
			UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, next_attempt_at = $3,
				claimed_until = '-infinity', finished_at = CASE WHEN $2 = 'pending' THEN NULL ELSE $5::timestamptz END
			WHERE id = $1 AND state = 'pending' AND attempts = $4 - 1 RETURNING id)
		INSERT INTO webhook_attempts (delivery_id, number, at, status_code, error)
		SELECT id, $4, $5, $6, $7 FROM r`
	sqlHookList = `SELECT ` + hookDeliveryCols + ` FROM webhook_deliveries d
		WHERE d.webhook_id = $1 AND ($2 = 0 OR d.id < $2) ORDER BY d.id DESC LIMIT $3`
	sqlHookAttempts = `SELECT delivery_id, number, at, status_code, error FROM webhook_attempts
		WHERE delivery_id = ANY ($1) ORDER BY delivery_id, number`
	sqlHookRedeliver = `UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $1, retry_until = $2,
			claimed_until = '-infinity', finished_at = NULL WHERE id = $3 AND webhook_id = $4 AND state <> 'pending'`
	sqlHookPrune = `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
		WHERE state <> 'pending' AND finished_at < $1 ORDER BY id LIMIT $2)`
	sqlHookGet = `SELECT ` + hookDeliveryCols + ` FROM webhook_deliveries d WHERE d.id = $1 AND d.webhook_id = $2`
)

func scanWebhook(row pgx.Row) (*store.Webhook, error) {
	var h store.Webhook
	if err := row.Scan(&h.ID, &h.URL, &h.Events, &h.Secret, &h.CreatedAt); err != nil {
		return nil, err
	}
	h.CreatedAt = h.CreatedAt.UTC()
	return &h, nil
}

// WebhookCreate stores a new webhook.
func (s *Store) WebhookCreate(ctx context.Context, h *store.Webhook) error {
	if err := store.ValidateWebhook(h); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	var id string
	err := s.pool.QueryRow(ctx, sqlWebhookInsert, h.ID, h.URL, h.Events, h.Secret, ts(now(h.CreatedAt)), store.MaxWebhooks).Scan(&id)
	if noRows(err) {
		var exists bool
		if err := s.pool.QueryRow(ctx, sqlWebhookExists, h.ID).Scan(&exists); err != nil {
			return fmt.Errorf("postgres: webhook create %q: %w", h.ID, err)
		}
		if exists {
			return fmt.Errorf("postgres: webhook create %q: %w", h.ID, store.ErrAlreadyExists)
		}
		return fmt.Errorf("postgres: webhook create %q: %w", h.ID, store.ErrWebhookLimit())
	}
	if err != nil {
		return fmt.Errorf("postgres: webhook create %q: %w", h.ID, err)
	}
	return nil
}

// WebhookGet returns one webhook.
func (s *Store) WebhookGet(ctx context.Context, id string) (*store.Webhook, error) {
	h, err := scanWebhook(s.pool.QueryRow(ctx, sqlWebhookGet, id))
	if noRows(err) {
		return nil, fmt.Errorf("postgres: webhook %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: webhook %q: %w", id, err)
	}
	return h, nil
}

// WebhookList returns every webhook sorted by ID.
func (s *Store) WebhookList(ctx context.Context) ([]*store.Webhook, error) {
	rows, err := s.pool.Query(ctx, sqlWebhookList)
	if err != nil {
		return nil, fmt.Errorf("postgres: webhook list: %w", err)
	}
	defer rows.Close()
	out := []*store.Webhook{}
	for rows.Next() {
		h, err := scanWebhook(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: webhook list: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: webhook list: %w", err)
	}
	return out, nil
}

// WebhookDelete removes a webhook and (by cascade) its deliveries.
func (s *Store) WebhookDelete(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, sqlWebhookDelete, id)
	if err != nil {
		return fmt.Errorf("postgres: webhook delete %q: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: webhook %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// WebhookClaim claims due deliveries, the oldest pending one of each
// webhook and instance.
func (s *Store) WebhookClaim(ctx context.Context, p *store.WebhookClaimParams) ([]*store.WebhookDelivery, error) {
	limit, err := store.WebhookClaimLimit(p)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	rows, err := s.pool.Query(ctx, sqlHookClaim, ts(p.Now), ts(p.Until), limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: webhook claim: %w", err)
	}
	ds, err := scanHookDeliveries(rows, true)
	if err != nil {
		return nil, fmt.Errorf("postgres: webhook claim: %w", err)
	}
	if err := s.attachHookAttempts(ctx, ds); err != nil {
		return nil, fmt.Errorf("postgres: webhook claim: %w", err)
	}
	return ds, nil
}

// WebhookRecord records one attempt of a claimed delivery.
func (s *Store) WebhookRecord(ctx context.Context, p *store.WebhookRecordParams) error {
	if err := store.ValidateWebhookRecord(p); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	a := p.Attempt
	tag, err := s.pool.Exec(ctx, sqlHookRecord, p.ID, p.State, ts(now(p.NextAttemptAt)), a.Number, ts(now(a.At)), a.StatusCode, a.Error)
	if err != nil {
		return fmt.Errorf("postgres: webhook record %d: %w", p.ID, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: webhook delivery %d attempt %d: %w", p.ID, a.Number, store.ErrLeaseLost)
	}
	return nil
}

// WebhookDeliveries lists a webhook's deliveries newest first.
func (s *Store) WebhookDeliveries(ctx context.Context, p *store.WebhookDeliveryListParams) (*store.WebhookDeliveryPage, error) {
	limit, before, err := store.WebhookDeliveryListBounds(p)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, err := s.WebhookGet(ctx, p.WebhookID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, sqlHookList, p.WebhookID, before, limit+1)
	if err != nil {
		return nil, fmt.Errorf("postgres: webhook deliveries: %w", err)
	}
	ds, err := scanHookDeliveries(rows, false)
	if err != nil {
		return nil, fmt.Errorf("postgres: webhook deliveries: %w", err)
	}
	if err := s.attachHookAttempts(ctx, ds); err != nil {
		return nil, fmt.Errorf("postgres: webhook deliveries: %w", err)
	}
	return store.WebhookDeliveryPageOf(ds, limit), nil
}

// WebhookRedeliver makes a finished delivery pending again.
func (s *Store) WebhookRedeliver(ctx context.Context, webhookID string, id int64, at time.Time) (*store.WebhookDelivery, error) {
	t := ts(now(at))
	if _, err := s.pool.Exec(ctx, sqlHookRedeliver, t, t.Add(store.WebhookRetryPeriod), id, webhookID); err != nil {
		return nil, fmt.Errorf("postgres: webhook redeliver %d: %w", id, err)
	}
	rows, err := s.pool.Query(ctx, sqlHookGet, id, webhookID)
	if err != nil {
		return nil, fmt.Errorf("postgres: webhook redeliver %d: %w", id, err)
	}
	ds, err := scanHookDeliveries(rows, false)
	if err != nil {
		return nil, fmt.Errorf("postgres: webhook redeliver %d: %w", id, err)
	}
	if len(ds) == 0 {
		return nil, fmt.Errorf("postgres: webhook %q delivery %d: %w", webhookID, id, store.ErrNotFound)
	}
	if err := s.attachHookAttempts(ctx, ds); err != nil {
		return nil, fmt.Errorf("postgres: webhook redeliver %d: %w", id, err)
	}
	return ds[0], nil
}

func scanHookDeliveries(rows pgx.Rows, withHook bool) ([]*store.WebhookDelivery, error) {
	defer rows.Close()
	var out []*store.WebhookDelivery
	for rows.Next() {
		var (
			d      store.WebhookDelivery
			status string
			next   time.Time
		)
		dest := []any{&d.ID, &d.WebhookID, &d.Event, &d.InstanceID, &d.Workflow, &status, &d.CustomStatus,
			&d.PreviousCustomStatus, &d.CreatedAt, &d.State, &next, &d.RetryUntil}
		if withHook {
			dest = append(dest, &d.URL, &d.Secret)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		d.Status = store.InstanceStatus(status)
		d.CreatedAt, d.RetryUntil = d.CreatedAt.UTC(), d.RetryUntil.UTC()
		if d.State == store.WebhookPending {
			n := next.UTC()
			d.NextAttemptAt = &n
		}
		d.Attempts = []store.WebhookAttempt{}
		out = append(out, &d)
	}
	return out, rows.Err()
}

// attachHookAttempts reads the attempts of ds.
func (s *Store) attachHookAttempts(ctx context.Context, ds []*store.WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	byID := make(map[int64]*store.WebhookDelivery, len(ds))
	ids := make([]int64, 0, len(ds))
	for _, d := range ds {
		byID[d.ID] = d
		ids = append(ids, d.ID)
	}
	rows, err := s.pool.Query(ctx, sqlHookAttempts, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id int64
			a  store.WebhookAttempt
		)
		if err := rows.Scan(&id, &a.Number, &a.At, &a.StatusCode, &a.Error); err != nil {
			return err
		}
		a.At = a.At.UTC()
		byID[id].Attempts = append(byID[id].Attempts, a)
	}
	return rows.Err()
}

// WebhookPrune deletes finished deliveries (and, by cascade, their
// attempts) that finished before before.
func (s *Store) WebhookPrune(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, sqlHookPrune, ts(before), limit)
	if err != nil {
		return 0, fmt.Errorf("postgres: webhook prune: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
