package order

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/mesh"
)

// CreateRequest is the body of POST /v1/orders and the argument of
// Service.CreateOrder.
type CreateRequest struct {
	// ID is the order ID: letters, digits and . _ : - (at most 200, starting
	// with a letter or digit). Default: a new time-ordered UUID. Creating an
	// ID again with the same request returns the existing order.
	ID string `json:"id,omitempty"`
	// Flow names the flow that processes the order; its latest version is
	// used. Required.
	Flow     string         `json:"flow"`
	Customer Customer       `json:"customer"`
	Items    []Item         `json:"items"`
	Metadata map[string]any `json:"metadata,omitempty"`
	// Priority is the order's place in the queue (ordo.CreateOptions.Priority),
	// store.MinPriority (-100) to store.MaxPriority (100), default 0: when
	// the workers are busy, orders of higher priority start first. It is a
	// scheduling hint, not part of the order's document: creating the ID
	// again with another priority returns the existing order unchanged.
	Priority int `json:"priority,omitempty"`
}

// DecodeCreateRequest reads a JSON CreateRequest strictly: unknown fields
// and trailing data are errors, and numbers keep their exact text (so a
// large integer in metadata survives). Its errors wrap ordo.ErrInvalidArgument.
func DecodeCreateRequest(data []byte) (*CreateRequest, error) {
	var req CreateRequest
	if err := decodeStrict(data, &req); err != nil {
		return nil, fmt.Errorf("%w: %w", ordo.ErrInvalidArgument, err)
	}
	return &req, nil
}

// decodeStrict decodes one JSON value with UseNumber and
// DisallowUnknownFields.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("the body is empty; expected a JSON object")
		}
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON object; send one object")
	}
	return nil
}

// FieldProblem is one invalid field of an order.
type FieldProblem struct {
	// Field is the field's path: "customer.email", "items[0].quantity".
	Field   string `json:"field"`
	Message string `json:"message"`
}

// InvalidOrderError lists every invalid field of a CreateRequest. It wraps
// ordo.ErrInvalidArgument, so the API answers it with 400.
type InvalidOrderError struct {
	Problems []FieldProblem
}

func (e *InvalidOrderError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return "invalid order: " + strings.Join(parts, "; ")
}

// Unwrap returns ordo.ErrInvalidArgument.
func (e *InvalidOrderError) Unwrap() error { return ordo.ErrInvalidArgument }

// Validate checks the request and returns nil or an *InvalidOrderError
// naming each bad field (at most 100): flow, customer.email and at least
// one item with a sku and a positive quantity are required; customer.name
// is optional. Each product's template and parameters are checked as the
// production files step will use them (unknown template or parameter,
// wrong type, out of range, conflicting values, more than mesh.MaxTriangles
// triangles), from the parameters alone: nothing is built. CreateOrder
// also applies the service's Limits.
func (r *CreateRequest) Validate() error {
	var ps problems
	r.check(mesh.MaxTriangles, &ps)
	return ps.err()
}

// check adds the request's problems to ps, with products limited to
// maxTriangles, and returns the estimates of the valid products.
func (r *CreateRequest) check(maxTriangles int64, ps *problems) []itemCost {
	add := ps.add
	if r.ID != "" {
		if err := ordo.ValidateID("order id", r.ID); err != nil {
			add("id", "%s", strings.TrimPrefix(err.Error(), ordo.ErrInvalidArgument.Error()+": "))
		}
	}
	if r.Flow == "" {
		add("flow", "is required")
	} else if err := ordo.ValidateID("flow name", r.Flow); err != nil {
		add("flow", "%s", strings.TrimPrefix(err.Error(), ordo.ErrInvalidArgument.Error()+": "))
	}
	checkText(ps, "customer.name", r.Customer.Name)
	switch addr, err := mail.ParseAddress(r.Customer.Email); {
	case r.Customer.Email == "":
		add("customer.email", "is required")
	case len(r.Customer.Email) > MaxEmailBytes:
		add("customer.email", "is %d bytes long; an e-mail address has at most %d", len(r.Customer.Email), MaxEmailBytes)
	case err != nil || addr.Address != r.Customer.Email:
		add("customer.email", "%q is not an e-mail address (write name@example.com)", r.Customer.Email)
	}
	if len(r.Items) == 0 {
		add("items", "must hold at least one item")
	}
	for i, it := range r.Items {
		field := fmt.Sprintf("items[%d]", i)
		if strings.TrimSpace(it.SKU) == "" {
			add(field+".sku", "is required")
		} else {
			checkText(ps, field+".sku", it.SKU)
		}
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			add(field+".quantity", "must be between 1 and %d, got %d", MaxQuantity, it.Quantity)
		}
		if it.Product != nil && it.Product.Template == "" {
			add(field+".product.template", "is required when product is given")
		}
	}
	return checkProducts(r.Items, maxTriangles, ps)
}

// checkFlowName checks a flow name given to ApplyFlow. "schema" and
// "validate" are taken by the API's own routes.
func checkFlowName(name string) error {
	if err := ordo.ValidateID("flow name", name); err != nil {
		return err
	}
	if name == "schema" || name == "validate" {
		return fmt.Errorf("%w: flow name %q is reserved", ordo.ErrInvalidArgument, name)
	}
	return nil
}
