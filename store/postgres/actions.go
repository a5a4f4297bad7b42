package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

var _ store.ActionStore = (*Store)(nil)

const (
	actionCols      = `id, at, actor, action, instance_id, target, reason, before_data, after_data`
	sqlActionInsert = `INSERT INTO actions (at, actor, action, instance_id, target, reason, before_data, after_data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
)

// insertAction writes one prepared entry (store.PrepareAction) in tx; a
// nil entry writes nothing.
func insertAction(ctx context.Context, tx pgx.Tx, a *store.Action) error {
	if a == nil {
		return nil
	}
	if _, err := tx.Exec(ctx, sqlActionInsert, ts(a.At), a.Actor, a.Action, a.InstanceID, a.Target, a.Reason,
		textArg(a.Before), textArg(a.After)); err != nil {
		return fmt.Errorf("audit trail: %w", err)
	}
	return nil
}

// textArg encodes JSON kept in a text column; nil becomes NULL.
func textArg(r json.RawMessage) *string {
	if r == nil {
		return nil
	}
	s := string(r)
	return &s
}

// ActionAppend records entries in one transaction.
func (s *Store) ActionAppend(ctx context.Context, entries ...*store.Action) error {
	es, err := store.PrepareActions(entries)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	if len(es) == 0 {
		return nil
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for i := range es {
			if err := insertAction(ctx, tx, &es[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: action append: %w", err)
	}
	return nil
}

// ActionList returns the entries that match p, newest first.
func (s *Store) ActionList(ctx context.Context, p *store.ActionListParams) (*store.ActionPage, error) {
	q, err := store.ParseActionList(p)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	for _, f := range []struct{ col, v string }{{"instance_id", q.InstanceID}, {"action", q.Action}, {"actor", q.Actor}, {"target", q.Target}} {
		if f.v != "" {
			where = append(where, f.col+" = "+arg(f.v))
		}
	}
	if !q.Since.IsZero() {
		where = append(where, "at >= "+arg(q.Since))
	}
	if !q.Until.IsZero() {
		where = append(where, "at < "+arg(q.Until))
	}
	if q.After {
		where = append(where, "(at, id) < ("+arg(q.AfterAt)+", "+arg(q.AfterID)+")")
	}
	query := `SELECT ` + actionCols + ` FROM actions`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY at DESC, id DESC LIMIT ` + arg(q.Limit+1)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: action list: %w", err)
	}
	defer rows.Close()
	var out []*store.Action
	for rows.Next() {
		var (
			a             store.Action
			before, after *string
		)
		if err := rows.Scan(&a.ID, &a.At, &a.Actor, &a.Action, &a.InstanceID, &a.Target, &a.Reason, &before, &after); err != nil {
			return nil, fmt.Errorf("postgres: action list: %w", err)
		}
		a.At = a.At.UTC()
		if before != nil {
			a.Before = json.RawMessage(*before)
		}
		if after != nil {
			a.After = json.RawMessage(*after)
		}
		out = append(out, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: action list: %w", err)
	}
	return store.ActionPageOf(q, out), nil
}
