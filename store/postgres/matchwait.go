package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

var _ store.MatchStore = (*Store)(nil)

const (
	// sqlMatchLock serializes, per event type, the recording of a matched
	// wait (exclusive) against the publishes of that type (shared), so that
	// a publish sees every wait recorded before it and a wait sees every
	// event published before it: neither misses the other.
	sqlMatchLock       = `SELECT pg_advisory_xact_lock(hashtextextended('ordo.match:' || $1, 0))`
	sqlMatchLockShared = `SELECT pg_advisory_xact_lock_shared(hashtextextended('ordo.match:' || t, 0))
		FROM unnest($1::text[]) AS t ORDER BY t`
	sqlWaitFence  = `SELECT status FROM {s}.instances WHERE id = $1 AND lease_token = $2 FOR UPDATE`
	sqlWaitUpsert = `INSERT INTO {s}.event_waits (instance_id, step_key, type, match) VALUES ($1, $2, $3, $4)
		ON CONFLICT (instance_id, step_key) DO UPDATE SET type = excluded.type, match = excluded.match`
	// sqlWaitLookBack reads the published events of the window that satisfy
	// the match and are not copied to the instance yet, oldest first.
	sqlWaitLookBack = `SELECT p.id, p.payload FROM {s}.published_events p WHERE p.type = $1 AND p.published_at >= $2
		AND {s}.ordo_payload_jsonb(p.payload) @> $3::jsonb
		AND NOT EXISTS (SELECT 1 FROM {s}.event_copies c WHERE c.instance_id = $4 AND c.published_id = p.id)
		ORDER BY p.seq LIMIT $5`
	// sqlWaitsOfType reads the instances with a live wait of the type that
	// the payload satisfies: not finished, the step neither completed nor
	// failed.
	sqlWaitsOfType = `SELECT w.instance_id, w.match FROM {s}.event_waits w JOIN {s}.instances i ON i.id = w.instance_id
		LEFT JOIN {s}.steps st ON st.instance_id = w.instance_id AND st.key = w.step_key
		WHERE w.type = $1 AND i.status NOT IN ('complete', 'errored', 'terminated', 'cancelled')
		AND coalesce(st.status, '') NOT IN ('completed', 'failed')
		AND {s}.ordo_payload_jsonb($2::bytea) @> w.match
		ORDER BY w.instance_id`
	// sqlCopyEvent copies a published event into an instance's events once,
	// as EventSend stores an event (counted; a waiting instance is due).
	sqlCopyEvent = `WITH c AS (
			INSERT INTO {s}.event_copies (instance_id, published_id) VALUES ($1, $2) ON CONFLICT DO NOTHING
			RETURNING instance_id),
		ins AS (
			INSERT INTO {s}.events (instance_id, type, payload, created_at)
			SELECT $1, $3, $4, $5 FROM c RETURNING id),
		counted AS (UPDATE {s}.instances SET event_count = event_count + 1, event_bytes = event_bytes + $6::bigint,
			wake_at = CASE WHEN status = 'waiting' AND (wake_at IS NULL OR wake_at > $5) THEN $5 ELSE wake_at END,
			updated_at = CASE WHEN status = 'waiting' AND (wake_at IS NULL OR wake_at > $5) THEN $5 ELSE updated_at END
			WHERE id = $1 AND EXISTS (SELECT 1 FROM ins))
		SELECT id FROM ins`
)

// WaitMatchBegin records a matched wait and copies the published events of
// the look-back window that satisfy it, in one transaction.
func (s *Store) WaitMatchBegin(ctx context.Context, p *store.WaitMatchParams) ([]*store.Event, error) {
	if err := store.ValidateWaitMatch(p); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s.prefetch.drop(p.InstanceID)
	match, err := json.Marshal(p.Match.Fields)
	if err != nil {
		return nil, fmt.Errorf("postgres: wait match: %w", err)
	}
	var out []*store.Event
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		out = []*store.Event{}
		if _, err := tx.Exec(ctx, sqlMatchLock, p.Match.Type); err != nil {
			return err
		}
		var status string
		if err := tx.QueryRow(ctx, s.q(sqlWaitFence), p.InstanceID, p.LeaseToken).Scan(&status); noRows(err) {
			return store.ErrLeaseLost
		} else if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, s.q(sqlWaitUpsert), p.InstanceID, p.StepKey, p.Match.Type, string(match)); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, s.q(sqlWaitLookBack), p.Match.Type, ts(p.Since), string(match), p.InstanceID, store.MaxMatchCopies)
		if err != nil {
			return err
		}
		type found struct {
			id      string
			payload []byte
		}
		all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (found, error) {
			var f found
			err := r.Scan(&f.id, &f.payload)
			return f, err
		})
		if err != nil {
			return err
		}
		at := ts(now(p.Now))
		for _, f := range all {
			// The Go match decides, as for every backend (jsonb agrees on
			// the scalar fields a match holds).
			if !p.Match.Matches(f.payload) {
				continue
			}
			ev, err := s.copyEvent(ctx, tx, p.InstanceID, f.id, p.Match.Type, f.payload, at)
			if err != nil {
				return err
			}
			if ev != nil {
				out = append(out, ev)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: wait match %q of %q: %w", p.StepKey, p.InstanceID, err)
	}
	return out, nil
}

// lockMatchTypes takes the shared match locks of the types of ps, in
// order, before a publish touches any row.
func (s *Store) lockMatchTypes(ctx context.Context, tx pgx.Tx, ps []*store.EventPublishParams) error {
	types := make([]string, 0, len(ps))
	for _, p := range ps {
		types = append(types, p.Type)
	}
	slices.Sort(types)
	if _, err := tx.Exec(ctx, sqlMatchLockShared, slices.Compact(types)); err != nil {
		return fmt.Errorf("lock matched waits: %w", err)
	}
	return nil
}

// copyToWaits copies a published event into the events of every instance
// with a live wait it satisfies.
func (s *Store) copyToWaits(ctx context.Context, tx pgx.Tx, ev *store.PublishedEvent) error {
	rows, err := tx.Query(ctx, s.q(sqlWaitsOfType), ev.Type, rawArg(ev.Payload))
	if err != nil {
		return fmt.Errorf("matched waits: %w", err)
	}
	type wait struct {
		id    string
		match []byte
	}
	waits, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (wait, error) {
		var w wait
		err := r.Scan(&w.id, &w.match)
		return w, err
	})
	if err != nil {
		return fmt.Errorf("matched waits: %w", err)
	}
	var ids []string
	for _, w := range waits {
		// The Go match decides, as for every backend.
		m := store.EventMatch{Type: ev.Type}
		if json.Unmarshal(w.match, &m.Fields) == nil && m.Matches(ev.Payload) && !slices.Contains(ids, w.id) {
			ids = append(ids, w.id)
		}
	}
	for _, id := range ids {
		if _, err := s.copyEvent(ctx, tx, id, ev.ID, ev.Type, ev.Payload, ev.PublishedAt); err != nil {
			return fmt.Errorf("matched wait of %q: %w", id, err)
		}
	}
	if len(ids) > 0 {
		if _, err := tx.Exec(ctx, sqlNotify, s.channel); err != nil {
			return fmt.Errorf("matched waits: %w", err)
		}
	}
	return nil
}

// copyEvent copies a published event into an instance's events unless it
// was copied there before (nil then).
func (s *Store) copyEvent(ctx context.Context, tx pgx.Tx, instanceID, publishedID, typ string, payload []byte, at time.Time) (*store.Event, error) {
	s.prefetch.drop(instanceID)
	ev := &store.Event{InstanceID: instanceID, Type: typ, Payload: cloneRaw(payload), CreatedAt: at}
	err := tx.QueryRow(ctx, s.q(sqlCopyEvent), instanceID, publishedID, typ, rawArg(payload), at, int64(len(payload))).Scan(&ev.ID)
	if noRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ev, nil
}
