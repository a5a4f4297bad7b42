package sqlite

import (
	"github.com/ordohq/ordo/store"
)

// sqlOpenChildren lists the children of ? that have not finished.
const sqlOpenChildren = `SELECT ` + instanceCols + ` FROM instances
	WHERE parent_id = ? AND status NOT IN ('complete', 'errored', 'terminated', 'cancelled')`

// closeChildren applies store.CloseChildren to the children of the
// instance p terminated or cancelled, in p's transaction: each child's
// action (with its audit entry, and its own children's) is written with
// the parent's.
func (w *writeTx) closeChildren(p *store.ControlParams) error {
	rows, err := w.query(sqlOpenChildren, p.InstanceID)
	if err != nil {
		return err
	}
	var children []*store.Instance
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			rows.Close()
			return err
		}
		children = append(children, in)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return store.CloseChildren(p, children, func(cp *store.ControlParams) error {
		audit, err := store.PrepareAttached(cp.Audit)
		if err != nil {
			return err
		}
		if _, err := w.control(cp); err != nil {
			return err
		}
		return w.insertAction(audit)
	})
}
