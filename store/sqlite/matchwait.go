package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

var _ store.MatchStore = (*Store)(nil)

const (
	sqlWaitUpsert = `INSERT INTO event_waits (instance_id, step_key, type, match) VALUES (?, ?, ?, ?)
		ON CONFLICT (instance_id, step_key) DO UPDATE SET type = excluded.type, match = excluded.match`
	// sqlWaitLookBack reads the published events of a type in the window
	// that are not copied to the instance yet, oldest first.
	sqlWaitLookBack = `SELECT id, payload FROM published_events p WHERE type = ? AND published_at >= ?
		AND NOT EXISTS (SELECT 1 FROM event_copies c WHERE c.instance_id = ? AND c.published_id = p.id)
		ORDER BY seq`
	// sqlWaitsOfType reads the live waits of a type: the instance is not
	// finished and the step is neither completed nor failed.
	sqlWaitsOfType = `SELECT w.instance_id, w.match FROM event_waits w JOIN instances i ON i.id = w.instance_id
		LEFT JOIN steps s ON s.instance_id = w.instance_id AND s.key = w.step_key
		WHERE w.type = ? AND i.status NOT IN ('complete', 'errored', 'terminated', 'cancelled')
		AND coalesce(s.status, '') NOT IN ('completed', 'failed')
		ORDER BY w.instance_id`
	sqlCopyIns = `INSERT INTO event_copies (instance_id, published_id) VALUES (?, ?) ON CONFLICT DO NOTHING`
)

// WaitMatchBegin records a matched wait and copies the published events of
// the look-back window that satisfy it, in one write transaction.
func (s *Store) WaitMatchBegin(ctx context.Context, p *store.WaitMatchParams) ([]*store.Event, error) {
	if err := store.ValidateWaitMatch(p); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: wait match: %w", err)
	}
	defer w.rollback()
	out, err := w.waitMatchBegin(p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: wait match %q of %q: %w", p.StepKey, p.InstanceID, err)
	}
	if err := w.commit(); err != nil {
		return nil, fmt.Errorf("sqlite: wait match: %w", err)
	}
	return out, nil
}

func (w *writeTx) waitMatchBegin(p *store.WaitMatchParams) ([]*store.Event, error) {
	var status string
	if err := w.queryRow(sqlFence, p.InstanceID, p.LeaseToken).Scan(&status); errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrLeaseLost
	} else if err != nil {
		return nil, err
	}
	match, err := json.Marshal(p.Match.Fields)
	if err != nil {
		return nil, err
	}
	if _, err := w.exec(sqlWaitUpsert, p.InstanceID, p.StepKey, p.Match.Type, string(match)); err != nil {
		return nil, err
	}
	rows, err := w.query(sqlWaitLookBack, p.Match.Type, micros(p.Since), p.InstanceID)
	if err != nil {
		return nil, err
	}
	var found []string
	var payloads [][]byte
	for rows.Next() && len(found) < store.MaxMatchCopies {
		var id string
		var payload []byte
		if err := rows.Scan(&id, &payload); err != nil {
			rows.Close()
			return nil, err
		}
		if p.Match.Matches(payload) {
			found, payloads = append(found, id), append(payloads, payload)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	out := make([]*store.Event, 0, len(found))
	at := now(p.Now)
	for i, id := range found {
		ev, err := w.copyEvent(p.InstanceID, id, p.Match.Type, payloads[i], at)
		if err != nil {
			return nil, err
		}
		if ev != nil {
			out = append(out, ev)
		}
	}
	return out, nil
}

// copyToWaits copies a published event into the events of every instance
// with a live wait it satisfies.
func (w *writeTx) copyToWaits(ev *store.PublishedEvent) error {
	rows, err := w.query(sqlWaitsOfType, ev.Type)
	if err != nil {
		return fmt.Errorf("matched waits: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id, match string
		if err := rows.Scan(&id, &match); err != nil {
			rows.Close()
			return fmt.Errorf("matched waits: %w", err)
		}
		m := store.EventMatch{Type: ev.Type}
		if json.Unmarshal([]byte(match), &m.Fields) == nil && m.Matches(ev.Payload) &&
			(len(ids) == 0 || ids[len(ids)-1] != id) {
			ids = append(ids, id)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("matched waits: %w", err)
	}
	for _, id := range ids {
		if _, err := w.copyEvent(id, ev.ID, ev.Type, ev.Payload, ev.PublishedAt); err != nil {
			return fmt.Errorf("matched wait of %q: %w", id, err)
		}
	}
	return nil
}

// copyEvent inserts a copy of a published event into an instance's events
// as EventSend does (a waiting instance is due at once), unless it was
// copied there before; it returns nil then.
func (w *writeTx) copyEvent(instanceID, publishedID, typ string, payload []byte, at time.Time) (*store.Event, error) {
	res, err := w.exec(sqlCopyIns, instanceID, publishedID)
	if err != nil {
		return nil, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return nil, err
	}
	t := micros(at)
	ev := &store.Event{InstanceID: instanceID, Type: typ, Payload: cloneRaw(payload), CreatedAt: fromMicros(t)}
	if err := w.queryRow(sqlEventInsert, instanceID, typ, rawArg(payload), t).Scan(&ev.ID); err != nil {
		return nil, err
	}
	if _, err := w.exec(sqlEventCount, t, instanceID, len(payload)); err != nil {
		return nil, err
	}
	return ev, nil
}
