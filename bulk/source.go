package bulk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
	"github.com/ordohq/ordo/store"
)

// Sources: what a bulk job's filter lists.
const (
	// SourceInstances: the filter is an instance listing filter
	// (store.InstanceListParams: workflow, status, customStatus, ...).
	SourceInstances = "instances"
	// SourceOrders: the filter is an order listing filter
	// (order.ListOptions: status, flow, ...).
	SourceOrders = "orders"
)

// source lists the instances a filter selects.
type source interface {
	// check decodes a filter given by a caller (nil or {} selects all)
	// and returns it in the form the job stores, or an error matching
	// ordo.ErrInvalidArgument.
	check(filter json.RawMessage) (json.RawMessage, error)
	// page lists up to limit instances after cursor (a store instance
	// cursor), newest first, and the cursor of the next page ("" at the
	// end).
	page(ctx context.Context, filter json.RawMessage, cursor string, limit int) ([]Item, string, error)
}

// decodeFilter decodes a filter strictly (no unknown fields) into v and
// refuses the paging fields a filter may not set.
func decodeFilter(what string, filter json.RawMessage, v any, limit *int, cursor *string) error {
	if isEmpty(filter) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(filter))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &ordo.Error{Sentinel: ordo.ErrInvalidArgument, Message: fmt.Sprintf("filter is not %s: %v", what, err)}
	}
	if *limit != 0 || *cursor != "" {
		return &ordo.Error{Sentinel: ordo.ErrInvalidArgument,
			Message: "filter must not set limit or cursor: a bulk job pages through the whole filter itself"}
	}
	return nil
}

// compact returns a checked filter as the job stores it: as the caller
// wrote it, without the white space ({} for none).
func compact(filter json.RawMessage) (json.RawMessage, error) {
	if isEmpty(filter) {
		return json.RawMessage(`{}`), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, filter); err != nil {
		return nil, &ordo.Error{Sentinel: ordo.ErrInvalidArgument, Message: fmt.Sprintf("filter is not JSON: %v", err)}
	}
	return buf.Bytes(), nil
}

// instanceSource lists engine instances with the store's listing filter.
type instanceSource struct{ st store.Store }

func (s instanceSource) decode(filter json.RawMessage) (*store.InstanceListParams, error) {
	var p store.InstanceListParams
	if err := decodeFilter("an instance filter (workflow, status, customStatus, ...)", filter, &p, &p.Limit, &p.Cursor); err != nil {
		return nil, err
	}
	if p.Status != "" && !p.Status.Valid() {
		return nil, &ordo.Error{Sentinel: ordo.ErrInvalidArgument, Message: fmt.Sprintf("filter status %q is not an instance status", p.Status)}
	}
	if err := store.ValidateList(&p); err != nil {
		return nil, &ordo.Error{Sentinel: ordo.ErrInvalidArgument, Message: "filter: " + err.Error(), Cause: err}
	}
	return &p, nil
}

func (s instanceSource) check(filter json.RawMessage) (json.RawMessage, error) {
	if _, err := s.decode(filter); err != nil {
		return nil, err
	}
	return compact(filter)
}

func (s instanceSource) page(ctx context.Context, filter json.RawMessage, cursor string, limit int) ([]Item, string, error) {
	p, err := s.decode(filter)
	if err != nil {
		return nil, "", err
	}
	p.Cursor, p.Limit = cursor, limit
	page, err := s.st.InstanceList(ctx, p)
	if errors.Is(err, store.ErrInvalidArgument) {
		return nil, "", &ordo.Error{Sentinel: ordo.ErrInvalidArgument, Message: "filter: " + err.Error(), Cause: err}
	}
	if err != nil {
		return nil, "", fmt.Errorf("list instances: %w", err)
	}
	items := make([]Item, 0, len(page.Instances))
	for _, in := range page.Instances {
		if in.Workflow == WorkflowName {
			continue // a bulk job never acts on bulk jobs
		}
		items = append(items, Item{ID: in.ID, Workflow: in.Workflow, Status: in.Status, CustomStatus: in.CustomStatus, CreatedAt: in.CreatedAt})
	}
	return items, page.NextCursor, nil
}

// orderSource lists orders with the order listing's filter.
type orderSource struct{ svc *order.Service }

func (s orderSource) decode(filter json.RawMessage) (*order.ListOptions, error) {
	var o order.ListOptions
	if err := decodeFilter("an order filter (status, flow, ...)", filter, &o, &o.Limit, &o.Cursor); err != nil {
		return nil, err
	}
	return &o, nil
}

func (s orderSource) check(filter json.RawMessage) (json.RawMessage, error) {
	if _, err := s.decode(filter); err != nil {
		return nil, err
	}
	return compact(filter)
}

func (s orderSource) page(ctx context.Context, filter json.RawMessage, cursor string, limit int) ([]Item, string, error) {
	o, err := s.decode(filter)
	if err != nil {
		return nil, "", err
	}
	o.Cursor, o.Limit = cursor, limit
	page, err := s.svc.ListOrders(ctx, o)
	if err != nil {
		return nil, "", err
	}
	items := make([]Item, 0, len(page.Orders))
	for _, o := range page.Orders {
		items = append(items, Item{ID: o.ID, Workflow: order.WorkflowName(o.Flow), Status: o.InstanceStatus,
			CustomStatus: o.Status, CreatedAt: o.CreatedAt})
	}
	return items, page.NextCursor, nil
}

// startCursor is the listing position just after the instances created at
// start (microseconds, as stored) or before: a job lists from there down,
// so instances created after it started are never swept in. The ID part
// sorts before every ID; instances created in the microsecond after start
// are dropped by the job itself (see Service.list).
func startCursor(start time.Time) string {
	return store.EncodeInstanceCursor(start.Add(time.Microsecond), "\x01")
}

// isEmpty reports whether a filter is absent (no filter: everything).
func isEmpty(filter json.RawMessage) bool {
	f := bytes.TrimSpace(filter)
	return len(f) == 0 || string(f) == "null"
}
