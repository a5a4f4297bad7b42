package store

import (
	"context"
	"strings"
)

// Bounds of WorkflowCounter.UnfinishedWorkflows.
const (
	// MaxCountedInstances is how many unfinished instances one count
	// reads at most; past it the counts are lower bounds.
	MaxCountedInstances = 100_000
	// MaxCountedWorkflows is how many workflows one count returns at most.
	MaxCountedWorkflows = 1000
)

// WorkflowCount is how many unfinished instances one workflow has.
type WorkflowCount struct {
	Workflow string `json:"workflow"`
	Count    int64  `json:"count"`
}

// WorkflowCounter is the optional capability of a store that counts
// unfinished instances by workflow (an engine logs at start those of the
// workflows it has not registered).
type WorkflowCounter interface {
	// UnfinishedWorkflows counts the queued, waiting, running and paused
	// instances of each workflow, by workflow name, among at most
	// MaxCountedInstances of them (truncated is then true and the counts
	// are lower bounds), for at most MaxCountedWorkflows workflows.
	UnfinishedWorkflows(ctx context.Context) (counts []WorkflowCount, truncated bool, err error)
}

// UnfinishedStatusesSQL returns UnfinishedStatuses (the statuses
// UnfinishedWorkflows counts) as a list of SQL string literals.
func UnfinishedStatusesSQL() string {
	quoted := make([]string, len(UnfinishedStatuses))
	for i, st := range UnfinishedStatuses {
		quoted[i] = "'" + string(st) + "'"
	}
	return strings.Join(quoted, ", ")
}

// TrimWorkflowCounts applies UnfinishedWorkflows' bounds to counts read
// (sorted by workflow) from at most MaxCountedInstances+1 instances and
// MaxCountedWorkflows+1 workflows: it reports truncated when either bound
// was passed and keeps the first MaxCountedWorkflows workflows.
func TrimWorkflowCounts(counts []WorkflowCount) ([]WorkflowCount, bool) {
	var total int64
	for _, c := range counts {
		total += c.Count
	}
	truncated := total > MaxCountedInstances || len(counts) > MaxCountedWorkflows
	if len(counts) > MaxCountedWorkflows {
		counts = counts[:MaxCountedWorkflows]
	}
	return counts, truncated
}
