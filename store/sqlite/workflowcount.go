package sqlite

import (
	"context"
	"fmt"

	"github.com/ordohq/ordo/store"
)

// sqlUnfinishedWorkflows counts unfinished instances by workflow among a
// bounded number of them (read through instances_status).
var sqlUnfinishedWorkflows = fmt.Sprintf(`SELECT workflow, count(*) FROM (
		SELECT workflow FROM instances INDEXED BY instances_status WHERE status IN (%s) LIMIT %d)
	GROUP BY workflow ORDER BY workflow LIMIT %d`,
	store.UnfinishedStatusesSQL(), store.MaxCountedInstances+1, store.MaxCountedWorkflows+1)

// UnfinishedWorkflows counts the unfinished instances of each workflow
// (store.WorkflowCounter).
func (s *Store) UnfinishedWorkflows(ctx context.Context) ([]store.WorkflowCount, bool, error) {
	rows, err := s.read.QueryContext(ctx, sqlUnfinishedWorkflows)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite: unfinished workflows: %w", err)
	}
	defer rows.Close()
	var counts []store.WorkflowCount
	for rows.Next() {
		var c store.WorkflowCount
		if err := rows.Scan(&c.Workflow, &c.Count); err != nil {
			return nil, false, fmt.Errorf("sqlite: unfinished workflows: %w", err)
		}
		counts = append(counts, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("sqlite: unfinished workflows: %w", err)
	}
	counts, truncated := store.TrimWorkflowCounts(counts)
	return counts, truncated, nil
}
