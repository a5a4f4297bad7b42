package order

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
)

// flowResult is the output of a flow's instance.
type flowResult struct {
	// Status is the order's final status.
	Status string `json:"status"`
	// Path lists the stepDefinitionIds that ran, in order.
	Path []string `json:"path"`
}

// runFlow is the workflow function of every flow. It walks the flow
// version the order was created with (see package flow, Semantics): each
// step is one durable engine step named by its stepDefinitionId; success
// sets the order's status atomically with the step's result and follows
// onSuccess, failure (after the step's retries) follows onError, and a
// failure without onError ends the instance errored with the step's error.
func (s *Service) runFlow(ctx context.Context, raw json.RawMessage) (flowResult, error) {
	p, err := decodeParams(raw)
	if err != nil {
		return flowResult{}, ordo.NonRetryable(err)
	}
	def, err := s.definition(ctx, p.Flow, p.Version)
	if err != nil {
		return flowResult{}, err
	}
	id := ordo.InstanceID(ctx)
	res := flowResult{Status: StatusCreated}
	for sd := def.First(); sd != nil; {
		cur := sd // the attempt's goroutine may outlive a timeout; sd moves on
		res.Path = append(res.Path, cur.ID)
		_, err := ordo.Do(ctx, cur.ID, stepOptions(cur), func(sctx context.Context) (json.RawMessage, error) {
			out, err := s.execStep(sctx, id, p, cur)
			if err != nil {
				return nil, err
			}
			if err := ordo.SetCustomStatus(sctx, cur.SuccessStatus); err != nil {
				return nil, err
			}
			return out, nil
		})
		var se *ordo.StepError
		switch {
		case err == nil:
			res.Status = sd.SuccessStatus
			sd = def.Step(sd.OnSuccess)
		case errors.As(err, &se) && sd.OnError != "":
			s.log.Info("order: step failed, following onError", "order", id, "step", sd.ID, "onError", sd.OnError, "err", err)
			sd = def.Step(sd.OnError)
		default:
			return flowResult{}, err
		}
	}
	return res, nil
}

// stepOptions turns a step's timeout and retries into engine options;
// unset fields keep the engine's defaults.
func stepOptions(sd *flow.StepDefinition) *ordo.StepOptions {
	o := &ordo.StepOptions{Timeout: sd.Timeout}
	if r := sd.Retries; r != nil {
		p := ordo.DefaultRetryPolicy()
		if r.Limit != nil {
			p.Limit = *r.Limit
		}
		if r.Delay > 0 {
			p.Delay = r.Delay
		}
		if r.Backoff != "" {
			p.Backoff = ordo.Backoff(r.Backoff)
		}
		o.Retries = &p
	}
	return o
}

// execStep runs one attempt of a step of the given type.
func (s *Service) execStep(ctx context.Context, orderID string, p *params, sd *flow.StepDefinition) (json.RawMessage, error) {
	switch sd.Type {
	case flow.TypeGenerateProductionFiles:
		return s.generateFiles(ctx, orderID, p, sd)
	case flow.TypeConsumeRestAPI:
		return s.postOrder(ctx, orderID, sd)
	case flow.TypeSendEmail:
		return s.sendEmail(ctx, orderID, sd)
	}
	return nil, ordo.NonRetryable(fmt.Errorf("step %q: unknown step type %q", sd.ID, sd.Type))
}
