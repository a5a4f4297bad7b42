package order

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// CreateOrder validates req, creates the order with status "Created" on the
// latest version of its flow and starts the flow; the order is durable
// when CreateOrder returns, with created true.
//
// Creating an ID that exists with the same document (customer, items,
// metadata and flow) returns the existing order with created false, so a
// client may retry a create safely. The same ID with another document
// wraps ordo.ErrAlreadyExists. An unknown flow wraps ordo.ErrNotFound; an
// invalid request, or one over the service's Limits (too many items, an
// item's mesh over the triangle budget, production files over the byte
// budget), is an *InvalidOrderError naming the items.
func (s *Service) CreateOrder(ctx context.Context, req *CreateRequest) (o *Order, created bool, err error) {
	prep, err := s.prepareOrder(ctx, req)
	if err != nil {
		return nil, false, err
	}
	v, p, raw := prep.version, prep.params, prep.raw
	inst, err := s.eng.Create(ctx, WorkflowName(req.Flow), raw, &ordo.CreateOptions{ID: req.ID, Reservation: s.reservation,
		Attributes: prep.attrs, Priority: req.Priority})
	switch {
	case err == nil:
		s.log.Info("order: created", "order", inst.ID, "flow", req.Flow, "version", v.Version)
		o, _, err := summary(inst)
		if err != nil {
			return nil, false, err
		}
		o.StatusHistory = []StatusChange{{Status: StatusCreated, At: inst.CreatedAt}}
		return o, true, nil
	case errors.Is(err, ordo.ErrAlreadyExists) && inst != nil:
		if !strings.HasPrefix(inst.Workflow, workflowPrefix) {
			return nil, false, fmt.Errorf("%w: ID %q is taken by an instance of %q", ordo.ErrAlreadyExists, req.ID, inst.Workflow)
		}
		existing, derr := decodeParams(inst.Params)
		if derr != nil || !sameDocument(existing, p) {
			return nil, false, fmt.Errorf("%w: order %q exists with a different document", ordo.ErrAlreadyExists, req.ID)
		}
		o, err := s.GetOrder(ctx, req.ID)
		return o, false, err
	}
	return nil, false, err
}

// checkRequest checks req's fields and the service's item limits, and
// returns the estimated costs of its products.
func (s *Service) checkRequest(req *CreateRequest) ([]itemCost, error) {
	lim := s.cfg.Limits
	if n := len(req.Items); n > lim.MaxOrderItems {
		return nil, &InvalidOrderError{Problems: []FieldProblem{{Field: "items",
			Message: fmt.Sprintf("holds %d items, more than the %d an order may hold; split the order", n, lim.MaxOrderItems)}}}
	}
	var ps problems
	if err := store.ValidatePriority(req.Priority); err != nil {
		ps.add("priority", "priority %d is not in %d..%d", req.Priority, store.MinPriority, store.MaxPriority)
	}
	costs := req.check(lim.MaxTrianglesPerItem, &ps)
	return costs, ps.err()
}

// preparedOrder is a checked order request, ready to start.
type preparedOrder struct {
	version *store.FlowVersion // the flow version it runs
	params  *params
	raw     json.RawMessage  // params encoded
	attrs   []ordo.Attribute // the order's search attributes
}

// prepareOrder checks req as CreateOrder does (limits, items, files, the
// flow) and encodes the params of its instance.
func (s *Service) prepareOrder(ctx context.Context, req *CreateRequest) (*preparedOrder, error) {
	if req == nil {
		return nil, fmt.Errorf("%w: nil order request", ordo.ErrInvalidArgument)
	}
	lim := s.cfg.Limits
	costs, err := s.checkRequest(req)
	if err != nil {
		return nil, err
	}
	var ps problems
	v, err := s.Flow(ctx, req.Flow, 0)
	if err != nil {
		return nil, err
	}
	def, err := s.definition(ctx, req.Flow, v.Version)
	if err != nil {
		return nil, err
	}
	checkFiles(req, fileFormats(def), costs, lim.MaxFileBytesPerOrder, s.eng.MaxPayloadBytes(), &ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	if err := s.register(req.Flow); err != nil {
		return nil, err
	}
	p := newParams(req, v.Version)
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("%w: encode order: %w", ordo.ErrInvalidArgument, err)
	}
	// The attributes come from the params as stored (numbers as their
	// JSON text), as RefreshAttributes reads them again.
	stored, err := decodeParams(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: encode order: %w", ordo.ErrInvalidArgument, err)
	}
	return &preparedOrder{version: v, params: p, raw: raw, attrs: searchAttributes(stored)}, nil
}
