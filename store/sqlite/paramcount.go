package sqlite

import (
	"context"
	"fmt"

	"github.com/ordohq/ordo/store"
)

var _ store.ParamCountStore = (*Store)(nil)

// sqlCountByParam groups a workflow's instances (instances_workflow index)
// by one params field; params that are not JSON count as missing.
const sqlCountByParam = `SELECT coalesce(CAST(CASE WHEN json_valid(params) THEN json_extract(params, '$.' || ?) END AS TEXT), ''),
	count(*) FROM instances WHERE workflow = ? GROUP BY 1`

// InstanceCountByParam counts the instances of workflow by the value of
// params[field].
func (s *Store) InstanceCountByParam(ctx context.Context, workflow, field string) (map[string]int, error) {
	if err := store.CheckParamField(field); err != nil {
		return nil, fmt.Errorf("sqlite: count by param: %w", err)
	}
	rows, err := s.read.QueryContext(ctx, sqlCountByParam, field, workflow)
	if err != nil {
		return nil, fmt.Errorf("sqlite: count %s by param %s: %w", workflow, field, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			v string
			n int
		)
		if err := rows.Scan(&v, &n); err != nil {
			return nil, fmt.Errorf("sqlite: count %s by param %s: %w", workflow, field, err)
		}
		out[v] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: count %s by param %s: %w", workflow, field, err)
	}
	return out, nil
}
