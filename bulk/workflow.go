package bulk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ordohq/ordo"
)

// Step names of a job's journal: each page is a "list" step (the IDs it
// holds) and, when it holds any, an "apply" step (what was done to each).
const (
	stepList  = "list"
	stepApply = "apply"
)

// run is the bulk workflow. Every page's listing and its application are
// durable steps, so a job that stops (pause, shutdown, a killed process)
// goes on at the page it was on; see the package doc for why no action is
// applied twice when a page's apply step runs again.
func (s *Service) run(ctx context.Context, p Params) (*Progress, error) {
	so, ok := s.sources[p.Source]
	if !ok {
		return nil, ordo.NonRetryable(fmt.Errorf("bulk job of source %q: this server has no such source", p.Source))
	}
	prog := &Progress{Total: p.Total}
	cursor := startCursor(p.Start)
	for {
		page, err := ordo.Do(ctx, stepList, nil, func(ctx context.Context) (*listed, error) {
			return s.list(ctx, so, &p, cursor)
		})
		if err != nil {
			return nil, err
		}
		if len(page.IDs) > 0 {
			res, err := ordo.Do(ctx, stepApply, nil, func(ctx context.Context) (*pageResult, error) {
				r, err := s.applyPage(ctx, &p, page.IDs)
				if err != nil {
					return nil, err
				}
				next := *prog
				next.add(r)
				return r, ordo.SetCustomStatus(ctx, next.label())
			})
			if err != nil {
				return nil, err
			}
			prog.add(res)
		}
		if page.Next == "" {
			return prog, nil
		}
		cursor = page.Next
	}
}

// list lists one page of the job's filter after cursor, leaving out the
// instances created after the job started.
func (s *Service) list(ctx context.Context, so source, p *Params, cursor string) (*listed, error) {
	items, next, err := so.page(ctx, p.Filter, cursor, s.cfg.PageSize)
	if err != nil {
		if errors.Is(err, ordo.ErrInvalidArgument) {
			return nil, ordo.NonRetryable(err) // the filter (or cursor) can never list
		}
		return nil, err
	}
	out := &listed{IDs: make([]string, 0, len(items)), Next: next}
	for _, it := range items {
		if !it.CreatedAt.After(p.Start) {
			out.IDs = append(out.IDs, it.ID)
		}
	}
	return out, nil
}

// applyPage applies the job's action to each of ids with the job's actor
// and reason, Config.Concurrency at a time. A failure on one instance is
// recorded with the page; a storage failure (or the run stopping) fails
// the attempt, which runs the page again later.
func (s *Service) applyPage(ctx context.Context, p *Params, ids []string) (*pageResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	actx := ordo.WithReason(ordo.WithActor(ctx, p.Actor), p.Reason)
	type result struct {
		o   outcome
		why string
	}
	results := make([]result, len(ids))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(s.cfg.Concurrency, len(ids)) {
		wg.Go(func() {
			for i := range next {
				o, why, err := s.apply(actx, p, ids[i])
				if err != nil {
					cancel(err)
					continue
				}
				results[i] = result{o, why}
			}
		})
	}
	for i := range ids {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	r := &pageResult{}
	for i, id := range ids {
		switch res := results[i]; res.o {
		case applied:
			r.Applied = append(r.Applied, id)
		case skipped:
			r.Skipped = append(r.Skipped, ItemError{ID: id, Message: res.why})
		default:
			r.Failed = append(r.Failed, ItemError{ID: id, Message: res.why})
		}
	}
	return r, nil
}
