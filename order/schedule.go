package order

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/schedule"
)

// ScheduleOrders registers the service with sch as the creator of
// recurring orders: schedules with "flow" and "order" then create, at each
// scheduled time, an order with the ID schedule.InstanceID gives.
func (s *Service) ScheduleOrders(sch *schedule.Scheduler) { sch.SetOrders(scheduledOrders{s}) }

// scheduledOrders is the Service as a schedule.Orders.
type scheduledOrders struct{ s *Service }

// scheduledRequest reads a recurring order's body (an order without id) for flow.
func scheduledRequest(flow, id string, body json.RawMessage) (*CreateRequest, error) {
	req, err := DecodeCreateRequest(body)
	if err != nil {
		return nil, fmt.Errorf("schedule order: %w", err)
	}
	if req.ID != "" {
		return nil, fmt.Errorf("%w: schedule order.id: derived from the schedule and the time; leave it out", ordo.ErrInvalidArgument)
	}
	if req.Flow != "" && req.Flow != flow {
		return nil, fmt.Errorf("%w: schedule order.flow: %q differs from the schedule's flow %q", ordo.ErrInvalidArgument, req.Flow, flow)
	}
	req.ID, req.Flow = id, flow
	return req, nil
}

// CheckOrder validates the body against the flow's latest version, as
// POST /v1/orders would (without creating anything).
func (o scheduledOrders) CheckOrder(ctx context.Context, flow string, body json.RawMessage) error {
	req, err := scheduledRequest(flow, "", body)
	if err != nil {
		return err
	}
	var ps problems
	req.check(o.s.cfg.Limits.MaxTrianglesPerItem, &ps)
	if err := ps.err(); err != nil {
		return err
	}
	if _, err := o.s.Flow(ctx, flow, 0); err != nil {
		return err
	}
	return nil
}

// StartOrder creates the order id; an order that exists (with any
// document) wraps ordo.ErrAlreadyExists.
func (o scheduledOrders) StartOrder(ctx context.Context, flow, id string, body json.RawMessage) error {
	req, err := scheduledRequest(flow, id, body)
	if err != nil {
		return err
	}
	_, created, err := o.s.CreateOrder(ctx, req)
	if err != nil {
		return err
	}
	if !created {
		return fmt.Errorf("%w: order %q", ordo.ErrAlreadyExists, id)
	}
	return nil
}
