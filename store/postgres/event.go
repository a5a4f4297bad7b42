package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/ordohq/ordo/store"
)

const (
	sqlEventPage = `SELECT ` + eventColumns + ` FROM events WHERE instance_id = $1 AND id > $2 ORDER BY id LIMIT $3`
	// sqlInstanceFound tells an instance without events from none.
	sqlInstanceFound = `SELECT EXISTS (SELECT 1 FROM instances WHERE id = $1)`
)

// EventList returns a page of an instance's events in send order
// (store.ErrNotFound if the instance does not exist).
func (s *Store) EventList(ctx context.Context, p *store.EventListParams) (*store.EventPage, error) {
	if p == nil {
		return nil, errors.New("postgres: event list: nil params")
	}
	page, err := s.eventList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("postgres: event list %q: %w", p.InstanceID, err)
	}
	return page, nil
}

func (s *Store) eventList(ctx context.Context, p *store.EventListParams) (*store.EventPage, error) {
	limit, after, err := store.EventListBounds(p)
	if err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, sqlEventPage, p.InstanceID, after, limit+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var events []*store.Event
	for rows.Next() {
		ev, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	page := store.EventPageOf(events, limit)
	if len(page.Events) == 0 {
		var exists bool
		if err := s.pool.QueryRow(ctx, sqlInstanceFound, p.InstanceID).Scan(&exists); err != nil {
			return nil, err
		}
		if !exists {
			return nil, store.ErrNotFound
		}
	}
	return page, nil
}
