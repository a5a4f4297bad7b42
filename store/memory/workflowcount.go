package memory

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/ordohq/ordo/store"
)

// UnfinishedWorkflows counts the unfinished instances of each workflow
// (store.WorkflowCounter).
func (s *Store) UnfinishedWorkflows(ctx context.Context) ([]store.WorkflowCount, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, fmt.Errorf("memory: unfinished workflows: %w", err)
	}
	s.mu.Lock()
	byName := map[string]int64{}
	seen := 0
	for _, x := range s.instances {
		if !slices.Contains(store.UnfinishedStatuses, x.in.Status) {
			continue
		}
		if seen > store.MaxCountedInstances {
			break
		}
		seen++
		byName[x.in.Workflow]++
	}
	s.mu.Unlock()
	counts := make([]store.WorkflowCount, 0, len(byName))
	for w, n := range byName {
		counts = append(counts, store.WorkflowCount{Workflow: w, Count: n})
	}
	sort.Slice(counts, func(i, j int) bool { return counts[i].Workflow < counts[j].Workflow })
	if len(counts) > store.MaxCountedWorkflows+1 {
		counts = counts[:store.MaxCountedWorkflows+1]
	}
	counts, truncated := store.TrimWorkflowCounts(counts)
	return counts, truncated, nil
}
