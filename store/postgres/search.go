package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ordohq/ordo/store"
)

var _ store.AttributeStore = (*Store)(nil)

// listQuery builds the SELECT of an InstanceList (p checked by
// store.ValidateList). Every filter has an index that serves it (pinned by
// TestQueryPlans): without attributes the planner reads the instances from
// the index of a filter (status, workflow, lower(custom_status), the ID or
// finish-time range) or newest first from the creation-time index; with
// attributes, the first one's rows of instance_attributes_match are read
// newest first (they carry the instance's created_at: no sort however
// many instances hold it) and each instance found is checked for the
// others by primary key. Callers list the most selective attribute first.
func listQuery(p *store.InstanceListParams, limit int) (string, []any, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	col, created, id := func(c string) string { return c }, "created_at", "id"
	from, order := "FROM instances", "ORDER BY created_at DESC, id DESC"
	cols := instanceCols
	if len(p.Attributes) > 0 {
		col = func(c string) string { return "i." + c }
		created, id = "a.created_at", "a.instance_id"
		from = "FROM instance_attributes a JOIN instances i ON i.id = a.instance_id"
		order = "ORDER BY a.created_at DESC, a.instance_id DESC"
		cols = prefixed("i")
		first := p.Attributes[0]
		where = append(where, "a.key = "+arg(first.Key)+" AND a.value = "+arg(first.Value))
		for _, at := range p.Attributes[1:] {
			where = append(where, "EXISTS (SELECT 1 FROM instance_attributes b WHERE b.instance_id = i.id AND b.key = "+
				arg(at.Key)+" AND b.value = "+arg(at.Value)+")")
		}
	}
	if p.Workflow != "" {
		where = append(where, col("workflow")+" = "+arg(p.Workflow))
	}
	if p.Status != "" {
		where = append(where, col("status")+" = "+arg(string(p.Status)))
	}
	if p.WorkflowPrefix != "" {
		// The range lets the workflow index narrow the scan (bytewise in
		// the "C" collation); starts_with makes the match exact.
		a, w := arg(p.WorkflowPrefix), col("workflow")
		where = append(where, w+" >= "+a+" AND starts_with("+w+", "+a+")")
	}
	switch {
	case p.CustomStatus != "":
		where = append(where, "lower("+col("custom_status")+") = "+arg(store.FoldCase(p.CustomStatus)))
	case p.NoCustomStatus:
		where = append(where, "lower("+col("custom_status")+") = ''")
	}
	if p.IDPrefix != "" {
		where = append(where, col("id")+" >= "+arg(p.IDPrefix)+" AND "+col("id")+" < "+arg(store.PrefixEnd(p.IDPrefix)))
	}
	if p.ParentID != "" {
		where = append(where, col("parent_id")+" = "+arg(p.ParentID))
	}
	if !p.CreatedAfter.IsZero() {
		where = append(where, created+" >= "+arg(ts(p.CreatedAfter)))
	}
	if b := store.CreatedBound(p); !b.IsZero() {
		where = append(where, created+" < "+arg(ts(b)))
	}
	if !p.FinishedAfter.IsZero() || !p.FinishedBefore.IsZero() {
		where = append(where, col("finished_at")+" IS NOT NULL")
	}
	if !p.FinishedAfter.IsZero() {
		where = append(where, col("finished_at")+" >= "+arg(ts(p.FinishedAfter)))
	}
	if !p.FinishedBefore.IsZero() {
		where = append(where, col("finished_at")+" < "+arg(ts(p.FinishedBefore)))
	}
	if p.Cursor != "" {
		cAt, cID, err := store.DecodeInstanceCursor(p.Cursor)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "("+created+", "+id+") < ("+arg(cAt)+", "+arg(cID)+")")
	}
	q := "SELECT " + cols + " " + from
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return q + " " + order + " LIMIT " + arg(limit+1), args, nil
}

const (
	sqlAttributesInsert = `INSERT INTO {s}.instance_attributes (instance_id, key, value, created_at)
		SELECT $1, x.key, x.value, $2 FROM unnest($3::text[], $4::text[]) AS x(key, value)
		ON CONFLICT DO NOTHING`
	sqlAttributesDelete = `DELETE FROM instance_attributes WHERE instance_id = $1`
	sqlAttributesGet    = `SELECT key, value FROM instance_attributes WHERE instance_id = $1 ORDER BY key, value`
	sqlCreatedAtLock    = `SELECT created_at FROM instances WHERE id = $1 FOR NO KEY UPDATE`
	sqlCreatedAt        = `SELECT created_at FROM instances WHERE id = $1`
)

// insertAttributes writes in tx the attributes (normalised) of the
// instance id created at createdAt.
func (s *Store) insertAttributes(ctx context.Context, tx pgx.Tx, id string, createdAt time.Time, attrs []store.Attribute) error {
	if len(attrs) == 0 {
		return nil
	}
	keys, values := make([]string, len(attrs)), make([]string, len(attrs))
	for i, a := range attrs {
		keys[i], values[i] = a.Key, a.Value
	}
	_, err := tx.Exec(ctx, s.q(sqlAttributesInsert), id, createdAt, keys, values)
	return err
}

// createWithAttributes is InstanceCreate of an instance with search
// attributes: the instance and its attributes in one transaction.
func (s *Store) createWithAttributes(ctx context.Context, p *store.InstanceCreateParams) (*store.Instance, error) {
	var in *store.Instance
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		in, err = s.createTx(ctx, tx, p, time.Time{})
		return err
	})
	if err != nil {
		return in, fmt.Errorf("postgres: instance create %q: %w", p.ID, err)
	}
	return in, nil
}

// InstanceAttributes returns an instance's search attributes sorted by key
// and value (store.ErrNotFound if the instance does not exist).
func (s *Store) InstanceAttributes(ctx context.Context, instanceID string) ([]store.Attribute, error) {
	var createdAt time.Time
	if err := s.pool.QueryRow(ctx, sqlCreatedAt, instanceID).Scan(&createdAt); err != nil {
		return nil, fmt.Errorf("postgres: instance attributes %q: %w", instanceID, notFound(err))
	}
	rows, err := s.pool.Query(ctx, sqlAttributesGet, instanceID)
	if err != nil {
		return nil, fmt.Errorf("postgres: instance attributes %q: %w", instanceID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.Attribute, error) {
		var a store.Attribute
		err := row.Scan(&a.Key, &a.Value)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: instance attributes %q: %w", instanceID, err)
	}
	if out == nil {
		out = []store.Attribute{}
	}
	return out, nil
}

// InstanceAttributesReplace replaces an instance's search attributes with
// attrs in one transaction (store.ErrNotFound if the instance does not
// exist).
func (s *Store) InstanceAttributesReplace(ctx context.Context, instanceID string, attrs []store.Attribute) error {
	attrs, err := store.NormalizeAttributes(attrs)
	if err != nil {
		return fmt.Errorf("postgres: instance attributes replace %q: %w", instanceID, err)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var createdAt time.Time
		if err := tx.QueryRow(ctx, sqlCreatedAtLock, instanceID).Scan(&createdAt); err != nil {
			return notFound(err)
		}
		if _, err := tx.Exec(ctx, sqlAttributesDelete, instanceID); err != nil {
			return err
		}
		return s.insertAttributes(ctx, tx, instanceID, createdAt, attrs)
	})
	if err != nil {
		return fmt.Errorf("postgres: instance attributes replace %q: %w", instanceID, err)
	}
	return nil
}

// notFound turns pgx.ErrNoRows into store.ErrNotFound.
func notFound(err error) error {
	if noRows(err) {
		return store.ErrNotFound
	}
	return err
}
