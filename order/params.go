package order

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// workflowPrefix starts the engine workflow name of every flow: orders of
// flow "standard" are instances of the workflow "flow/standard".
const workflowPrefix = "flow/"

// WorkflowName returns the engine workflow that runs the orders of a flow.
func WorkflowName(flowName string) string { return workflowPrefix + flowName }

// params is what an order's instance stores as its params: the order
// document and the flow version it runs. The instance ID is the order ID.
type params struct {
	Flow     string         `json:"flow"`
	Version  int            `json:"version"`
	Customer Customer       `json:"customer"`
	Items    []Item         `json:"items"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

func newParams(req *CreateRequest, version int) *params {
	return &params{Flow: req.Flow, Version: version, Customer: req.Customer, Items: req.Items, Metadata: req.Metadata}
}

// decodeParams reads an instance's params, keeping numbers exact.
func decodeParams(raw json.RawMessage) (*params, error) {
	var p params
	if err := decodeStrict(raw, &p); err != nil {
		return nil, fmt.Errorf("decode order params: %w", err)
	}
	return &p, nil
}

// sameDocument reports whether two params hold the same order document,
// whatever flow version each started with: the test of an idempotent
// create.
func sameDocument(a, b *params) bool {
	x, y := *a, *b
	x.Version, y.Version = 0, 0
	bx, errX := json.Marshal(&x)
	by, errY := json.Marshal(&y)
	return errX == nil && errY == nil && bytes.Equal(bx, by)
}

// concurrencyKey evaluates a flow's concurrency key (flow.ConcurrencyKeys)
// on the order: a metadata field that is absent, or neither a string, a
// number nor a boolean, is "".
func (p *params) concurrencyKey(path string) string {
	switch path {
	case "customer.email":
		return p.Customer.Email
	case "customer.name":
		return p.Customer.Name
	}
	name, ok := strings.CutPrefix(path, "metadata.")
	if !ok {
		return ""
	}
	v, _ := metaText(p.Metadata[name])
	return v
}
