package bulk

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// Get returns a job with its progress: the sum of its finished pages. An
// unknown ID, or the ID of an instance that is not a bulk job, wraps
// ordo.ErrNotFound.
func (s *Service) Get(ctx context.Context, id string) (*Job, error) {
	inst, err := s.eng.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	j, err := jobOf(&inst.Instance)
	if err != nil {
		return nil, err
	}
	steps := append([]*ordo.StepRecord(nil), inst.Steps...)
	sort.SliceStable(steps, func(a, b int) bool { return steps[a].Ordinal < steps[b].Ordinal })
	for _, st := range steps {
		if st.Name != stepApply || st.Status != store.StepCompleted {
			continue
		}
		var r pageResult
		if err := json.Unmarshal(st.Output, &r); err != nil {
			return nil, fmt.Errorf("bulk job %q: page %s does not decode: %w", id, st.Key, err)
		}
		j.Progress.add(&r)
	}
	return j, nil
}

// jobOf returns the job an instance of the bulk workflow is, with the
// progress its output holds (a finished job's; zero otherwise).
func jobOf(in *store.Instance) (*Job, error) {
	if in.Workflow != WorkflowName {
		return nil, &ordo.Error{Sentinel: ordo.ErrNotFound, Message: fmt.Sprintf("%q is an instance of %q, not a bulk job", in.ID, in.Workflow)}
	}
	var p Params
	if err := json.Unmarshal(in.Params, &p); err != nil {
		return nil, fmt.Errorf("bulk job %q: params do not decode: %w", in.ID, err)
	}
	j := &Job{ID: in.ID, Action: p.Action, Source: p.Source, Filter: p.Filter, FromStep: p.FromStep,
		Actor: p.Actor, Reason: p.Reason, Status: in.Status, Done: in.Status.Terminal(),
		Progress: Progress{Total: p.Total}, Error: in.Error, CreatedAt: in.CreatedAt, FinishedAt: in.FinishedAt}
	return j, nil
}

// JobPage is one page of Service.List.
type JobPage struct {
	Jobs       []*Job `json:"jobs"`
	NextCursor string `json:"nextCursor,omitempty"`
}

// List returns bulk jobs newest first, without their progress unless
// they finished (Get has it): limit 1..1000 (0: 50), cursor from a
// previous page.
func (s *Service) List(ctx context.Context, limit int, cursor string) (*JobPage, error) {
	page, err := s.eng.List(ctx, &ordo.ListOptions{Workflow: WorkflowName, Limit: limit, Cursor: cursor})
	if err != nil {
		return nil, err
	}
	out := &JobPage{Jobs: make([]*Job, 0, len(page.Instances)), NextCursor: page.NextCursor}
	for _, in := range page.Instances {
		j, err := jobOf(&in.Instance)
		if err != nil {
			return nil, err
		}
		if in.Status == store.StatusComplete && len(in.Output) > 0 {
			_ = json.Unmarshal(in.Output, &j.Progress) // best effort: the list still shows the job
		}
		out.Jobs = append(out.Jobs, j)
	}
	return out, nil
}
