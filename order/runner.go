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
	if err := ordo.CancelStatus(ctx, def.CancelledStatus()); err != nil {
		return flowResult{}, err
	}
	res := flowResult{Status: StatusCreated}
	for sd := def.First(); sd != nil; {
		cur := sd // the attempt's goroutine may outlive a timeout; sd moves on
		res.Path = append(res.Path, cur.ID)
		_, err := s.doStep(ctx, id, p, def, cur)
		var se *ordo.StepError
		switch {
		case err == nil:
			res.Status = sd.SuccessStatus
			sd = def.Step(sd.OnSuccess)
		case errors.As(err, &se) && sd.OnError != "":
			s.log.Info("order: step failed, following onError", "order", id, ordo.LogKeyInstanceID, id,
				ordo.LogKeyWorkflow, WorkflowName(p.Flow), ordo.LogKeyStep, sd.ID, "onError", sd.OnError, "err", err)
			sd = def.Step(sd.OnError)
		default:
			return flowResult{}, err
		}
	}
	return res, nil
}

// flowConcurrency is the concurrency of an order (ordo.WithConcurrencyFunc):
// its flow version's "concurrency" limit and the key it names, read from
// the order; a limit of 0 when the flow has none.
func (s *Service) flowConcurrency(ctx context.Context, raw json.RawMessage) (string, int, error) {
	p, err := decodeParams(raw)
	if err != nil {
		return "", 0, ordo.NonRetryable(err)
	}
	def, err := s.definition(ctx, p.Flow, p.Version)
	if err != nil {
		return "", 0, err
	}
	c := def.Concurrency
	if c == nil {
		return "", 0, nil
	}
	return p.concurrencyKey(c.Key), c.Limit, nil
}

// doStep runs step sd of the flow as one durable engine step: success sets
// the order's status atomically with the step's result. A step with
// onCompensate registers the compensation step with the engine, so that a
// cancel, or a failure without an onError path, runs it (newest step
// first) as a real execution of its type with its own timeout and
// retries.
func (s *Service) doStep(ctx context.Context, id string, p *params, def *flow.Definition, sd *flow.StepDefinition) (json.RawMessage, error) {
	run := func(sctx context.Context) (json.RawMessage, error) {
		out, err := s.execStep(sctx, id, p, sd)
		if err != nil {
			return nil, err
		}
		if err := ordo.SetCustomStatus(sctx, sd.SuccessStatus); err != nil {
			return nil, err
		}
		return out, nil
	}
	comp := def.Step(sd.OnCompensate)
	if comp == nil {
		return ordo.Do(ctx, sd.ID, stepOptions(sd), run)
	}
	opts := stepOptions(sd)
	opts.Compensation = stepOptions(comp)
	return ordo.DoWithCompensation(ctx, sd.ID, opts,
		func(sctx context.Context) (json.RawMessage, string, error) {
			out, err := run(sctx)
			return out, comp.ID, err
		},
		func(cctx context.Context, compID string) error {
			cd := def.Step(compID)
			if cd == nil {
				return ordo.NonRetryable(fmt.Errorf("compensation step %q of step %q is not in flow %s v%d", compID, sd.ID, p.Flow, p.Version))
			}
			_, err := s.execStep(cctx, id, p, cd)
			return err
		})
}

// stepOptions turns a step's timeout and retries into engine options;
// unset fields keep the engine's defaults.
func stepOptions(sd *flow.StepDefinition) *ordo.StepOptions {
	o := &ordo.StepOptions{Timeout: sd.Timeout, Limit: sd.Limit}
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
