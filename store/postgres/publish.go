package postgres

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

var _ store.PublishStore = (*Store)(nil)

// The publish statements name their tables with the store's schema, so they
// also run in a caller's transaction (PublishTx, CreateTx) whose
// connection has another search_path. "{s}" stands for the quoted schema.
const (
	publishedCols    = `seq, id, type, payload, published_at`
	deliveryCols     = `event_id, subscription, instance_id, outcome, error, delivered_at`
	sqlPublishedIns  = `INSERT INTO {s}.published_events (id, type, payload, published_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING seq`
	sqlPublishedGet  = `SELECT ` + publishedCols + ` FROM {s}.published_events WHERE id = $1`
	sqlPublishedLock = `SELECT seq FROM {s}.published_events WHERE id = $1 FOR UPDATE`
	sqlDeliveryIns   = `INSERT INTO {s}.event_deliveries (` + deliveryCols + `) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`
	sqlDeliveryList  = `SELECT ` + deliveryCols + ` FROM {s}.event_deliveries WHERE event_id = $1 ORDER BY subscription`
	sqlCreateQueued  = `INSERT INTO {s}.instances (id, workflow, status, params, created_at, updated_at,
			started_at, lease_owner, lease_token, lease_expires_at, claims, version, trace_parent, trace_state, priority)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (id) DO NOTHING
		RETURNING ` + instanceCols
	sqlCreateGet = `SELECT ` + instanceCols + ` FROM {s}.instances WHERE id = $1`
)

// q returns query with {s} replaced by the store's quoted schema.
func (s *Store) q(query string) string {
	return strings.ReplaceAll(query, "{s}", pgx.Identifier{s.schema}.Sanitize())
}

func scanPublished(row pgx.Row) (*store.PublishedEvent, error) {
	var (
		ev      store.PublishedEvent
		payload []byte
	)
	if err := row.Scan(&ev.Seq, &ev.ID, &ev.Type, &payload, &ev.PublishedAt); err != nil {
		return nil, err
	}
	ev.Payload = rawValue(payload)
	ev.PublishedAt = ev.PublishedAt.UTC()
	return &ev, nil
}

func (s *Store) deliveries(ctx context.Context, db pgx.Tx, eventID string) ([]*store.Delivery, error) {
	rows, err := db.Query(ctx, s.q(sqlDeliveryList), eventID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*store.Delivery{}
	for rows.Next() {
		var (
			d       store.Delivery
			outcome string
		)
		if err := rows.Scan(&d.EventID, &d.Subscription, &d.InstanceID, &outcome, &d.Error, &d.DeliveredAt); err != nil {
			return nil, err
		}
		d.Outcome = store.DeliveryOutcome(outcome)
		d.DeliveredAt = d.DeliveredAt.UTC()
		out = append(out, &d)
	}
	return out, rows.Err()
}

// EventPublish stores the event, its deliveries and the instances they
// start in one transaction; an ID already stored returns the first event.
func (s *Store) EventPublish(ctx context.Context, p *store.EventPublishParams) (*store.PublishedEvent, bool, error) {
	return store.PublishOne(ctx, s, p)
}

// EventPublishBatch publishes each of ps as EventPublish does, in one
// transaction.
func (s *Store) EventPublishBatch(ctx context.Context, ps []*store.EventPublishParams) ([]store.PublishOutcome, error) {
	if err := store.ValidatePublishBatch(ps); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	// Insert in ID order, so two batches sharing IDs lock them in the same
	// order and cannot deadlock.
	order := make([]int, len(ps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return ps[order[a]].ID < ps[order[b]].ID })
	out := make([]store.PublishOutcome, len(ps))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := s.lockMatchTypes(ctx, tx, ps); err != nil {
			return err
		}
		for _, i := range order {
			p := ps[i]
			ev, created, err := s.publishTx(ctx, tx, p, false)
			if err != nil {
				return err
			}
			out[i] = store.PublishOutcome{Event: ev, Created: created}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// PublishTx is EventPublish inside the caller's transaction tx: the event,
// its deliveries and the instances they start commit with the caller's own
// statements, or roll back with them. tx may come from another pool on the
// same database (the store's tables are named with its schema). Workers
// are woken when tx commits. The engine's metrics do not count an event
// published here (ordo_events_published_total): it cannot know whether tx
// commits.
func (s *Store) PublishTx(ctx context.Context, tx pgx.Tx, p *store.EventPublishParams) (*store.PublishedEvent, bool, error) {
	if err := store.ValidatePublish(p); err != nil {
		return nil, false, fmt.Errorf("postgres: %w", err)
	}
	return s.publishTx(ctx, tx, p, true)
}

// publishTx is PublishTx; lock takes the event type's matched-wait lock
// (EventPublishBatch took them all already).
func (s *Store) publishTx(ctx context.Context, tx pgx.Tx, p *store.EventPublishParams, lock bool) (*store.PublishedEvent, bool, error) {
	if lock {
		if err := s.lockMatchTypes(ctx, tx, []*store.EventPublishParams{p}); err != nil {
			return nil, false, fmt.Errorf("postgres: event publish %q: %w", p.ID, err)
		}
	}
	at := ts(now(p.Now))
	ev := &store.PublishedEvent{ID: p.ID, Type: p.Type, Payload: p.Payload, PublishedAt: at}
	err := tx.QueryRow(ctx, s.q(sqlPublishedIns), p.ID, p.Type, rawArg(p.Payload), at).Scan(&ev.Seq)
	if noRows(err) {
		first, err := s.publishedGet(ctx, tx, p.ID)
		if err != nil {
			return nil, false, fmt.Errorf("postgres: event publish %q: %w", p.ID, err)
		}
		return first, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("postgres: event publish %q: %w", p.ID, err)
	}
	if ev.Deliveries, err = s.deliver(ctx, tx, p.ID, p.Deliveries, at, nil); err != nil {
		return nil, false, fmt.Errorf("postgres: event publish %q: %w", p.ID, err)
	}
	store.SortDeliveries(ev.Deliveries)
	if err := s.copyToWaits(ctx, tx, ev); err != nil {
		return nil, false, fmt.Errorf("postgres: event publish %q: %w", p.ID, err)
	}
	return ev, true, nil
}

// CreateTx is InstanceCreate inside the caller's transaction tx, so a new
// instance commits with the caller's own statements or not at all. An
// existing ID returns store.ErrAlreadyExists with the existing instance
// (and leaves tx usable).
func (s *Store) CreateTx(ctx context.Context, tx pgx.Tx, p *store.InstanceCreateParams) (*store.Instance, error) {
	if err := store.ValidateCreate(p); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	in, err := s.createTx(ctx, tx, p, time.Time{})
	if err != nil {
		return in, fmt.Errorf("postgres: instance create %q: %w", p.ID, err)
	}
	return in, nil
}

// createTx inserts p's instance in tx (at p.Now, or fallback) and
// notifies the workers at commit; an existing ID returns
// store.ErrAlreadyExists and the existing instance.
func (s *Store) createTx(ctx context.Context, tx pgx.Tx, p *store.InstanceCreateParams, fallback time.Time) (*store.Instance, error) {
	r := newCreateRow(p, fallback)
	in, err := scanInstance(tx.QueryRow(ctx, s.q(sqlCreateQueued), r.id, r.workflow, r.status, r.params, r.at,
		r.started, r.owner, r.token, r.until, r.claims, r.version, r.traceParent, r.traceState, r.priority))
	if noRows(err) {
		existing, err := scanInstance(tx.QueryRow(ctx, s.q(sqlCreateGet), p.ID))
		if err != nil {
			return nil, err
		}
		return existing, store.ErrAlreadyExists
	}
	if err != nil {
		return nil, err
	}
	if err := s.insertAttributes(ctx, tx, p.ID, in.CreatedAt, p.Attributes); err != nil {
		return nil, fmt.Errorf("attributes: %w", err)
	}
	if p.Claim == nil {
		if _, err := tx.Exec(ctx, sqlNotify, s.channel); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// deliver creates the instances of ds in tx and inserts their deliveries,
// skipping subscriptions in done.
func (s *Store) deliver(ctx context.Context, tx pgx.Tx, eventID string, ds []*store.DeliveryParams, at time.Time, done map[string]bool) ([]*store.Delivery, error) {
	out := make([]*store.Delivery, 0, len(ds))
	for _, d := range ds {
		if done[d.Subscription] {
			continue
		}
		conflict := false
		if d.Create != nil {
			_, err := s.createTx(ctx, tx, d.Create, at)
			if conflict = errors.Is(err, store.ErrAlreadyExists); err != nil && !conflict {
				return nil, fmt.Errorf("delivery %q: instance %q: %w", d.Subscription, d.Create.ID, err)
			}
		}
		r := store.DeliveryRecord(eventID, d, conflict, at)
		if _, err := tx.Exec(ctx, s.q(sqlDeliveryIns), r.EventID, r.Subscription, r.InstanceID, string(r.Outcome),
			r.Error, r.DeliveredAt); err != nil {
			return nil, fmt.Errorf("delivery %q: %w", d.Subscription, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// publishedGet reads one event with its deliveries in tx.
func (s *Store) publishedGet(ctx context.Context, tx pgx.Tx, id string) (*store.PublishedEvent, error) {
	ev, err := scanPublished(tx.QueryRow(ctx, s.q(sqlPublishedGet), id))
	if noRows(err) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if ev.Deliveries, err = s.deliveries(ctx, tx, id); err != nil {
		return nil, err
	}
	return ev, nil
}

// PublishedGet returns one event with its deliveries.
func (s *Store) PublishedGet(ctx context.Context, id string) (*store.PublishedEvent, error) {
	var ev *store.PublishedEvent
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		ev, err = s.publishedGet(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: published get %q: %w", id, err)
	}
	return ev, nil
}

// PublishedList returns events in publish order, filtered and paged by p.
func (s *Store) PublishedList(ctx context.Context, p *store.PublishedListParams) (*store.PublishedPage, error) {
	p, limit, after, err := store.PublishedListBounds(p)
	if err != nil {
		return nil, fmt.Errorf("postgres: published list: %w", err)
	}
	var (
		where = []string{"seq > $1"}
		args  = []any{after}
	)
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if p.Type != "" {
		add("type = $%d", p.Type)
	}
	if !p.Since.IsZero() {
		add("published_at >= $%d", ts(p.Since))
	}
	if !p.Until.IsZero() {
		add("published_at < $%d", ts(p.Until))
	}
	args = append(args, limit+1)
	q := `SELECT ` + publishedCols + ` FROM published_events WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY seq LIMIT $%d`, len(args))
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: published list: %w", err)
	}
	defer rows.Close()
	var events []*store.PublishedEvent
	for rows.Next() {
		ev, err := scanPublished(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: published list: %w", err)
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: published list: %w", err)
	}
	return store.PublishedPageOf(events, limit), nil
}

// PublishedDeliver adds the deliveries of p not made yet to a stored event,
// in one transaction with the instances they start. The event's row is
// locked, so concurrent replays of one event are serialised.
func (s *Store) PublishedDeliver(ctx context.Context, p *store.DeliverParams) ([]*store.Delivery, error) {
	if err := store.ValidateDeliver(p); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	var added []*store.Delivery
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var seq int64
		if err := tx.QueryRow(ctx, s.q(sqlPublishedLock), p.EventID).Scan(&seq); noRows(err) {
			return store.ErrNotFound
		} else if err != nil {
			return err
		}
		existing, err := s.deliveries(ctx, tx, p.EventID)
		if err != nil {
			return err
		}
		done := make(map[string]bool, len(existing))
		for _, d := range existing {
			done[d.Subscription] = true
		}
		added, err = s.deliver(ctx, tx, p.EventID, p.Deliveries, ts(now(p.Now)), done)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: published deliver %q: %w", p.EventID, err)
	}
	return added, nil
}
