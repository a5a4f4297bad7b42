package postgres

import (
	"context"
	"fmt"

	"github.com/ordohq/ordo/store"
)

var _ store.ParamCountStore = (*Store)(nil)

// sqlCountByParam groups a workflow's instances by one params field;
// params jsonb refuses (ordo_payload_jsonb gives NULL) count as missing.
const sqlCountByParam = `SELECT coalesce(ordo_payload_jsonb(params) ->> $2, ''), count(*)
	FROM instances WHERE workflow = $1 GROUP BY 1`

// InstanceCountByParam counts the instances of workflow by the value of
// params[field].
func (s *Store) InstanceCountByParam(ctx context.Context, workflow, field string) (map[string]int, error) {
	if err := store.CheckParamField(field); err != nil {
		return nil, fmt.Errorf("postgres: count by param: %w", err)
	}
	rows, err := s.pool.Query(ctx, sqlCountByParam, workflow, field)
	if err != nil {
		return nil, fmt.Errorf("postgres: count %s by param %s: %w", workflow, field, err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			v string
			n int
		)
		if err := rows.Scan(&v, &n); err != nil {
			return nil, fmt.Errorf("postgres: count %s by param %s: %w", workflow, field, err)
		}
		out[v] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: count %s by param %s: %w", workflow, field, err)
	}
	return out, nil
}
