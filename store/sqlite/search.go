package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/ordohq/ordo/store"
)

// listQuery builds the SELECT of an InstanceList (p checked by
// store.ValidateList). Every filter has an index that serves it (pinned by
// TestQueryPlans):
//   - without attributes, the instances are read newest first from the
//     index of the most telling equality filter (status, workflow, custom
//     status folded to lower case), else from the ID or finish-time range,
//     else from the creation-time index;
//   - with attributes, the first one drives: its rows of
//     instance_attributes_match are read newest first (they carry the
//     instance's created_at, so no sort is needed however many instances
//     hold it), and each instance found is checked for the other
//     attributes (by primary key) and filters. Callers list the most
//     selective attribute first.
func listQuery(p *store.InstanceListParams, limit int) (string, []any, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	// col qualifies an instances column; created and id are the columns
	// the listing is ordered (and the cursor compared) by.
	col, created, id := func(c string) string { return c }, "created_at", "id"
	from, order := "FROM instances", "ORDER BY created_at DESC, id DESC"
	if len(p.Attributes) > 0 {
		col = func(c string) string { return "i." + c }
		created, id = "a.created_at", "a.instance_id"
		// CROSS JOIN keeps instance_attributes the outer loop.
		from = "FROM instance_attributes a CROSS JOIN instances i"
		order = "ORDER BY a.created_at DESC, a.instance_id DESC"
		first := p.Attributes[0]
		add("a.key = ? AND a.value = ? AND i.id = a.instance_id", first.Key, first.Value)
		for _, at := range p.Attributes[1:] {
			add("EXISTS (SELECT 1 FROM instance_attributes b WHERE b.instance_id = i.id AND b.key = ? AND b.value = ?)",
				at.Key, at.Value)
		}
	}
	if p.Workflow != "" {
		add(col("workflow")+" = ?", p.Workflow)
	}
	if p.Status != "" {
		add(col("status")+" = ?", string(p.Status))
	}
	if p.WorkflowPrefix != "" {
		// The range lets the workflow index narrow the scan; substr makes
		// the match exact.
		w := col("workflow")
		add(w+" >= ? AND substr("+w+", 1, length(?)) = ?", p.WorkflowPrefix, p.WorkflowPrefix, p.WorkflowPrefix)
	}
	switch {
	case p.CustomStatus != "":
		add("lower("+col("custom_status")+") = ?", store.FoldCase(p.CustomStatus))
	case p.NoCustomStatus:
		add("lower(" + col("custom_status") + ") = ''")
	}
	if p.IDPrefix != "" {
		add(col("id")+" >= ? AND "+col("id")+" < ?", p.IDPrefix, store.PrefixEnd(p.IDPrefix))
	}
	if p.ParentID != "" {
		add(col("parent_id")+" = ?", p.ParentID)
	}
	if !p.CreatedAfter.IsZero() {
		add(created+" >= ?", micros(p.CreatedAfter))
	}
	if b := store.CreatedBound(p); !b.IsZero() {
		add(created+" < ?", micros(b))
	}
	if !p.FinishedAfter.IsZero() || !p.FinishedBefore.IsZero() {
		add(col("finished_at") + " IS NOT NULL")
	}
	if !p.FinishedAfter.IsZero() {
		add(col("finished_at")+" >= ?", micros(p.FinishedAfter))
	}
	if !p.FinishedBefore.IsZero() {
		add(col("finished_at")+" < ?", micros(p.FinishedBefore))
	}
	if p.Cursor != "" {
		cAt, cID, err := store.DecodeInstanceCursor(p.Cursor)
		if err != nil {
			return "", nil, err
		}
		add("("+created+", "+id+") < (?, ?)", micros(cAt), cID)
	}
	cols := instanceCols
	if len(p.Attributes) > 0 {
		cols = prefixedCols("i")
	}
	q := "SELECT " + cols + " " + from
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " " + order + " LIMIT ?"
	return q, append(args, limit+1), nil
}

// prefixedCols returns instanceCols with every column qualified by alias.
func prefixedCols(alias string) string {
	cols := strings.Split(instanceCols, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

const (
	sqlAttributeInsert = `INSERT INTO instance_attributes (instance_id, key, value, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`
	sqlAttributesDelete = `DELETE FROM instance_attributes WHERE instance_id = ?`
	sqlAttributesGet    = `SELECT key, value FROM instance_attributes WHERE instance_id = ? ORDER BY key, value`
	sqlCreatedAt        = `SELECT created_at FROM instances WHERE id = ?`
)

// insertAttributes writes the attributes (normalised) of the instance id
// created at createdAt (unix microseconds).
func (w *writeTx) insertAttributes(id string, createdAt int64, attrs []store.Attribute) error {
	for _, a := range attrs {
		if _, err := w.exec(sqlAttributeInsert, id, a.Key, a.Value, createdAt); err != nil {
			return err
		}
	}
	return nil
}

// InstanceAttributes returns an instance's search attributes sorted by key
// and value (store.ErrNotFound if the instance does not exist).
func (s *Store) InstanceAttributes(ctx context.Context, instanceID string) ([]store.Attribute, error) {
	var createdAt int64
	if err := s.read.QueryRowContext(ctx, sqlCreatedAt, instanceID).Scan(&createdAt); err != nil {
		return nil, fmt.Errorf("sqlite: instance attributes %q: %w", instanceID, notFound(err))
	}
	rows, err := s.read.QueryContext(ctx, sqlAttributesGet, instanceID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: instance attributes %q: %w", instanceID, err)
	}
	defer rows.Close()
	out := []store.Attribute{}
	for rows.Next() {
		var a store.Attribute
		if err := rows.Scan(&a.Key, &a.Value); err != nil {
			return nil, fmt.Errorf("sqlite: instance attributes %q: %w", instanceID, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: instance attributes %q: %w", instanceID, err)
	}
	return out, nil
}

// InstanceAttributesReplace replaces an instance's search attributes with
// attrs in one transaction (store.ErrNotFound if the instance does not
// exist).
func (s *Store) InstanceAttributesReplace(ctx context.Context, instanceID string, attrs []store.Attribute) error {
	attrs, err := store.NormalizeAttributes(attrs)
	if err != nil {
		return fmt.Errorf("sqlite: instance attributes replace %q: %w", instanceID, err)
	}
	w, err := s.begin(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: instance attributes replace %q: %w", instanceID, err)
	}
	defer w.rollback()
	var createdAt int64
	if err := w.queryRow(sqlCreatedAt, instanceID).Scan(&createdAt); err != nil {
		return fmt.Errorf("sqlite: instance attributes replace %q: %w", instanceID, notFound(err))
	}
	if _, err := w.exec(sqlAttributesDelete, instanceID); err != nil {
		return fmt.Errorf("sqlite: instance attributes replace %q: %w", instanceID, err)
	}
	if err := w.insertAttributes(instanceID, createdAt, attrs); err != nil {
		return fmt.Errorf("sqlite: instance attributes replace %q: %w", instanceID, err)
	}
	if err := w.commit(); err != nil {
		return fmt.Errorf("sqlite: instance attributes replace %q: %w", instanceID, err)
	}
	return nil
}

// notFound turns sql.ErrNoRows into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

var _ store.AttributeStore = (*Store)(nil)
