package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

// sqlOpenChildren lists the children of $1 that have not finished.
const sqlOpenChildren = `SELECT ` + instanceCols + ` FROM instances
	WHERE parent_id = $1 AND status NOT IN ('complete', 'errored', 'terminated', 'cancelled')`

// closeChildren applies store.CloseChildren to the children of the
// instance p terminated or cancelled, in p's transaction: each child's
// action (with its audit entry, and its own children's) is written with
// the parent's.
func (s *Store) closeChildren(ctx context.Context, tx pgx.Tx, p *store.ControlParams) error {
	rows, err := tx.Query(ctx, sqlOpenChildren, p.InstanceID)
	if err != nil {
		return err
	}
	children, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*store.Instance, error) { return scanInstance(row) })
	if err != nil {
		return err
	}
	return store.CloseChildren(p, children, func(cp *store.ControlParams) error {
		audit, err := store.PrepareAttached(cp.Audit)
		if err != nil {
			return err
		}
		s.prefetch.drop(cp.InstanceID)
		if _, err := s.control(ctx, tx, cp); err != nil {
			return err
		}
		return insertAction(ctx, tx, audit)
	})
}
