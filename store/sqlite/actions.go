package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ordohq/ordo/store"
)

var _ store.ActionStore = (*Store)(nil)

const (
	actionCols      = `id, at, actor, action, instance_id, target, reason, before_data, after_data`
	sqlActionInsert = `INSERT INTO actions (at, actor, action, instance_id, target, reason, before_data, after_data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
)

// insertAction writes one prepared entry (store.PrepareAction) in w; a nil
// entry writes nothing.
func (w *writeTx) insertAction(a *store.Action) error {
	if a == nil {
		return nil
	}
	if _, err := w.exec(sqlActionInsert, micros(a.At), a.Actor, a.Action, a.InstanceID, a.Target, a.Reason,
		rawArg(a.Before), rawArg(a.After)); err != nil {
		return fmt.Errorf("audit trail: %w", err)
	}
	return nil
}

// ActionAppend records entries in one transaction.
func (s *Store) ActionAppend(ctx context.Context, entries ...*store.Action) error {
	es, err := store.PrepareActions(entries)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if len(es) == 0 {
		return nil
	}
	w, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: action append: %w", err)
	}
	defer w.rollback()
	for i := range es {
		if err := w.insertAction(&es[i]); err != nil {
			return fmt.Errorf("sqlite: action append: %w", err)
		}
	}
	if err := w.commit(); err != nil {
		return fmt.Errorf("sqlite: action append: %w", err)
	}
	return nil
}

// ActionList returns the entries that match p, newest first.
func (s *Store) ActionList(ctx context.Context, p *store.ActionListParams) (*store.ActionPage, error) {
	q, err := store.ParseActionList(p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	var (
		where []string
		args  []any
	)
	for _, f := range []struct{ col, v string }{{"instance_id", q.InstanceID}, {"action", q.Action}, {"actor", q.Actor}, {"target", q.Target}} {
		if f.v != "" {
			where, args = append(where, f.col+" = ?"), append(args, f.v)
		}
	}
	if !q.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, micros(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, "at < ?"), append(args, micros(q.Until))
	}
	if q.After {
		where, args = append(where, "(at, id) < (?, ?)"), append(args, micros(q.AfterAt), q.AfterID)
	}
	query := `SELECT ` + actionCols + ` FROM actions`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY at DESC, id DESC LIMIT ?`
	rows, err := s.read.QueryContext(ctx, query, append(args, q.Limit+1)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: action list: %w", err)
	}
	defer rows.Close()
	var out []*store.Action
	for rows.Next() {
		var (
			a             store.Action
			at            int64
			before, after sql.RawBytes
		)
		if err := rows.Scan(&a.ID, &at, &a.Actor, &a.Action, &a.InstanceID, &a.Target, &a.Reason, &before, &after); err != nil {
			return nil, fmt.Errorf("sqlite: action list: %w", err)
		}
		a.At = fromMicros(at)
		a.Before, a.After = copyRaw(before), copyRaw(after)
		out = append(out, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: action list: %w", err)
	}
	return store.ActionPageOf(q, out), nil
}

// copyRaw copies a JSON column the driver may reuse; NULL becomes nil.
func copyRaw(b sql.RawBytes) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
