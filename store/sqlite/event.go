package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ordohq/ordo/store"
)

const (
	sqlEventPage = `SELECT id, type, payload, created_at, consumed_by
		FROM events WHERE instance_id = ? AND id > ? ORDER BY id LIMIT ?`
	sqlInstanceFound = `SELECT 1 FROM instances WHERE id = ?`
)

// EventList returns a page of an instance's events in send order
// (store.ErrNotFound if the instance does not exist).
func (s *Store) EventList(ctx context.Context, p *store.EventListParams) (*store.EventPage, error) {
	if p == nil {
		return nil, errors.New("sqlite: event list: nil params")
	}
	page, err := s.eventList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: event list %q: %w", p.InstanceID, err)
	}
	return page, nil
}

func (s *Store) eventList(ctx context.Context, p *store.EventListParams) (*store.EventPage, error) {
	limit, after, err := store.EventListBounds(p)
	if err != nil {
		return nil, err
	}
	rows, err := s.read.QueryContext(ctx, sqlEventPage, p.InstanceID, after, limit+1)
	if err != nil {
		return nil, err
	}
	var events []*store.Event
	for rows.Next() {
		ev, err := scanEvent(rows, p.InstanceID)
		if err != nil {
			rows.Close()
			return nil, err
		}
		events = append(events, ev)
	}
	if err := closeRows(rows); err != nil {
		return nil, err
	}
	page := store.EventPageOf(events, limit)
	if len(page.Events) == 0 {
		var one int
		err := s.read.QueryRowContext(ctx, sqlInstanceFound, p.InstanceID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, store.ErrNotFound
		}
		if err != nil {
			return nil, err
		}
	}
	return page, nil
}
