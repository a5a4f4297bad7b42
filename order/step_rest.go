package order

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/steps/rest"
)

// postOrder is the consume-rest-api step: it POSTs the order, as GET
// /v1/orders/{id} shows it when the step starts (without the step's own
// journal entry), to the step's uri with steps/rest. The Idempotency-Key is
// the step's idempotency key, the same on every attempt and after a
// restart. A 2xx response's JSON body is the step's output; failures are
// classified by steps/rest (5xx, 408, 429 and network errors are retried,
// other 4xx are not). The uri and every connection are checked against the
// REST client's outbound policy (package outbound): a refused request
// sends nothing and fails the step without retry, naming the rule.
func (s *Service) postOrder(ctx context.Context, orderID string, sd *flow.StepDefinition) (json.RawMessage, error) {
	opts, err := sd.RestOptions()
	if err != nil {
		return nil, ordo.NonRetryable(err)
	}
	info, _ := ordo.StepInfoFrom(ctx)
	o, err := s.snapshot(ctx, orderID, info.Key)
	if err != nil {
		return nil, fmt.Errorf("step %q: read order: %w", sd.ID, err)
	}
	body, err := json.Marshal(o)
	if err != nil {
		return nil, ordo.NonRetryable(fmt.Errorf("step %q: encode order: %w", sd.ID, err))
	}
	resp, err := s.cfg.REST.Post(ctx, &rest.Request{URL: opts.URI, Body: body, IdempotencyKey: info.IdempotencyKey})
	if err != nil {
		return nil, err
	}
	if len(resp.Body) == 0 {
		return json.RawMessage("null"), nil
	}
	return resp.Body, nil
}
