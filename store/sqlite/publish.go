package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ordohq/ordo/store"
)

var _ store.PublishStore = (*Store)(nil)

const (
	publishedCols    = `seq, id, type, payload, published_at`
	deliveryCols     = `event_id, subscription, instance_id, outcome, error, delivered_at`
	sqlPublishedIns  = `INSERT INTO published_events (id, type, payload, published_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING seq`
	sqlPublishedGet  = `SELECT ` + publishedCols + ` FROM published_events WHERE id = ?`
	sqlDeliveryIns   = `INSERT INTO event_deliveries (` + deliveryCols + `) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	sqlDeliveryList  = `SELECT ` + deliveryCols + ` FROM event_deliveries WHERE event_id = ? ORDER BY subscription`
	sqlDeliveryNames = `SELECT subscription FROM event_deliveries WHERE event_id = ?`
)

func scanPublished(sc scanner) (*store.PublishedEvent, error) {
	var (
		ev      store.PublishedEvent
		payload []byte
		at      int64
	)
	if err := sc.Scan(&ev.Seq, &ev.ID, &ev.Type, &payload, &at); err != nil {
		return nil, err
	}
	ev.Payload = rawValue(payload)
	ev.PublishedAt = fromMicros(at)
	return &ev, nil
}

func scanDeliveries(rows *sql.Rows) ([]*store.Delivery, error) {
	defer rows.Close()
	out := []*store.Delivery{}
	for rows.Next() {
		var (
			d       store.Delivery
			outcome string
			at      int64
		)
		if err := rows.Scan(&d.EventID, &d.Subscription, &d.InstanceID, &outcome, &d.Error, &at); err != nil {
			return nil, err
		}
		d.Outcome = store.DeliveryOutcome(outcome)
		d.DeliveredAt = fromMicros(at)
		out = append(out, &d)
	}
	return out, rows.Err()
}

// EventPublish stores the event, its deliveries and the instances they
// start in one write transaction; an ID already stored returns the first
// event.
func (s *Store) EventPublish(ctx context.Context, p *store.EventPublishParams) (*store.PublishedEvent, bool, error) {
	return store.PublishOne(ctx, s, p)
}

// EventPublishBatch publishes each of ps as EventPublish does, in one
// write transaction.
func (s *Store) EventPublishBatch(ctx context.Context, ps []*store.EventPublishParams) ([]store.PublishOutcome, error) {
	if err := store.ValidatePublishBatch(ps); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: event publish: %w", err)
	}
	defer w.rollback()
	out := make([]store.PublishOutcome, len(ps))
	for i, p := range ps {
		if out[i], err = w.publish(p); err != nil {
			return nil, fmt.Errorf("sqlite: event publish %q: %w", p.ID, err)
		}
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: event publish: %w", err)
	}
	return out, nil
}

// publish stores one event in w, or reads the first one with its ID.
func (w *writeTx) publish(p *store.EventPublishParams) (store.PublishOutcome, error) {
	at := now(p.Now)
	ev := &store.PublishedEvent{ID: p.ID, Type: p.Type, Payload: p.Payload, PublishedAt: fromMicros(micros(at))}
	err := w.queryRow(sqlPublishedIns, p.ID, p.Type, rawArg(p.Payload), micros(at)).Scan(&ev.Seq)
	if errors.Is(err, sql.ErrNoRows) {
		first, err := scanPublished(w.queryRow(sqlPublishedGet, p.ID))
		if err != nil {
			return store.PublishOutcome{}, err
		}
		rows, err := w.query(sqlDeliveryList, p.ID)
		if err != nil {
			return store.PublishOutcome{}, err
		}
		if first.Deliveries, err = scanDeliveries(rows); err != nil {
			return store.PublishOutcome{}, err
		}
		return store.PublishOutcome{Event: first}, nil
	}
	if err != nil {
		return store.PublishOutcome{}, err
	}
	if ev.Deliveries, err = w.deliver(p.ID, p.Deliveries, at, nil); err != nil {
		return store.PublishOutcome{}, err
	}
	store.SortDeliveries(ev.Deliveries)
	if err := w.copyToWaits(ev); err != nil {
		return store.PublishOutcome{}, err
	}
	return store.PublishOutcome{Event: ev, Created: true}, nil
}

// deliver creates the instances of ds and inserts their deliveries,
// skipping subscriptions in done.
func (w *writeTx) deliver(eventID string, ds []*store.DeliveryParams, at time.Time, done map[string]bool) ([]*store.Delivery, error) {
	out := make([]*store.Delivery, 0, len(ds))
	for _, d := range ds {
		if done[d.Subscription] {
			continue
		}
		conflict := false
		if d.Create != nil {
			_, err := w.createStatus(d.Create, at)
			if conflict = errors.Is(err, store.ErrAlreadyExists); err != nil && !conflict {
				return nil, fmt.Errorf("delivery %q: instance %q: %w", d.Subscription, d.Create.ID, err)
			}
		}
		r := store.DeliveryRecord(eventID, d, conflict, fromMicros(micros(at)))
		if _, err := w.exec(sqlDeliveryIns, r.EventID, r.Subscription, r.InstanceID, string(r.Outcome), r.Error,
			micros(r.DeliveredAt)); err != nil {
			return nil, fmt.Errorf("delivery %q: %w", d.Subscription, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// PublishedGet returns one event with its deliveries.
func (s *Store) PublishedGet(ctx context.Context, id string) (*store.PublishedEvent, error) {
	ev, err := scanPublished(s.read.QueryRowContext(ctx, sqlPublishedGet, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: published get %q: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: published get %q: %w", id, err)
	}
	rows, err := s.read.QueryContext(ctx, sqlDeliveryList, id)
	if err != nil {
		return nil, fmt.Errorf("sqlite: published get %q: %w", id, err)
	}
	if ev.Deliveries, err = scanDeliveries(rows); err != nil {
		return nil, fmt.Errorf("sqlite: published get %q: %w", id, err)
	}
	return ev, nil
}

// PublishedList returns events in publish order, filtered and paged by p.
func (s *Store) PublishedList(ctx context.Context, p *store.PublishedListParams) (*store.PublishedPage, error) {
	p, limit, after, err := store.PublishedListBounds(p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: published list: %w", err)
	}
	var (
		where = []string{"seq > ?"}
		args  = []any{after}
	)
	if p.Type != "" {
		where, args = append(where, "type = ?"), append(args, p.Type)
	}
	if !p.Since.IsZero() {
		where, args = append(where, "published_at >= ?"), append(args, micros(p.Since))
	}
	if !p.Until.IsZero() {
		where, args = append(where, "published_at < ?"), append(args, micros(p.Until))
	}
	q := `SELECT ` + publishedCols + ` FROM published_events WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY seq LIMIT ?`
	rows, err := s.read.QueryContext(ctx, q, append(args, limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: published list: %w", err)
	}
	defer rows.Close()
	var events []*store.PublishedEvent
	for rows.Next() {
		ev, err := scanPublished(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: published list: %w", err)
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: published list: %w", err)
	}
	return store.PublishedPageOf(events, limit), nil
}

// PublishedDeliver adds the deliveries of p not made yet to a stored event,
// in one write transaction with the instances they start.
func (s *Store) PublishedDeliver(ctx context.Context, p *store.DeliverParams) ([]*store.Delivery, error) {
	if err := store.ValidateDeliver(p); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: published deliver %q: %w", p.EventID, err)
	}
	defer w.rollback()
	if _, err := scanPublished(w.queryRow(sqlPublishedGet, p.EventID)); errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: published deliver %q: %w", p.EventID, store.ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: published deliver %q: %w", p.EventID, err)
	}
	rows, err := w.query(sqlDeliveryNames, p.EventID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: published deliver %q: %w", p.EventID, err)
	}
	done := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: published deliver %q: %w", p.EventID, err)
		}
		done[name] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: published deliver %q: %w", p.EventID, err)
	}
	added, err := w.deliver(p.EventID, p.Deliveries, now(p.Now), done)
	if err != nil {
		return nil, fmt.Errorf("sqlite: published deliver %q: %w", p.EventID, err)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: published deliver %q: %w", p.EventID, err)
	}
	return added, nil
}
