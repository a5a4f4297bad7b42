package order

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
)

// The search attributes of an order's instance (ordo.Attribute), set when
// the order is created and matched by ListOptions.
const (
	// AttrEmail is the customer's e-mail, lower-cased.
	AttrEmail = "email"
	// AttrName is the customer's name, lower-cased.
	AttrName = "name"
	// AttrSKU is one per distinct item SKU (the first maxSearchSKUs).
	AttrSKU = "sku"
	// AttrMeta is one per scalar metadata entry (string, number or
	// boolean; the first maxSearchMeta by key), valued "<key>=<value>".
	AttrMeta = "meta"
	// AttrVersion is the flow version the order runs, in decimal.
	AttrVersion = "version"
)

// Bounds of the attributes of one order: what passes them is not
// searchable (the order is still created).
const (
	maxSearchSKUs = 32
	maxSearchMeta = 16
)

// searchAttributes returns the search attributes of an order's params.
// Values over the store's bounds are left out.
func searchAttributes(p *params) []ordo.Attribute {
	var out []ordo.Attribute
	add := func(key, value string) {
		a := ordo.Attribute{Key: key, Value: value}
		if value != "" && store.CheckAttribute(a) == nil {
			out = append(out, a)
		}
	}
	add(AttrEmail, foldText(p.Customer.Email))
	add(AttrName, foldText(p.Customer.Name))
	var skus []string
	for _, it := range p.Items {
		if !slices.Contains(skus, it.SKU) && len(skus) < maxSearchSKUs {
			skus = append(skus, it.SKU)
			add(AttrSKU, it.SKU)
		}
	}
	keys := make([]string, 0, len(p.Metadata))
	for k := range p.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	n := 0
	for _, k := range keys {
		v, ok := metaText(p.Metadata[k])
		if !ok || k == "" || strings.ContainsAny(k, "=:") || n == maxSearchMeta {
			continue
		}
		n++
		add(AttrMeta, k+"="+v)
	}
	add(AttrVersion, strconv.Itoa(p.Version))
	return out
}

// foldText is how customer text is compared: trimmed and lower-cased.
func foldText(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// metaText returns a scalar metadata value as text.
func metaText(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), true
	case int:
		return strconv.Itoa(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	}
	return "", false
}

// RefreshAttributes sets the search attributes of an order from its
// stored document again: call it after changing an order's params (an
// edit by a redrive), so that searches find the order by what it holds
// now.
func (s *Service) RefreshAttributes(ctx context.Context, id string) error {
	inst, err := s.eng.Get(ctx, id)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(inst.Workflow, workflowPrefix) {
		return fmt.Errorf("%w: %q is an instance of %q, not an order", ordo.ErrNotFound, id, inst.Workflow)
	}
	p, err := decodeParams(inst.Params)
	if err != nil {
		return fmt.Errorf("%w: order %q: %w", ordo.ErrInvalidArgument, id, err)
	}
	return s.eng.ReplaceAttributes(ctx, id, searchAttributes(p))
}

// ListOptions filter Service.ListOrders; every filter set must match. The
// zero value lists the newest 50 orders of every flow. It is plain JSON, so
// a filter can be saved and replayed (bulk actions).
type ListOptions struct {
	// Status keeps the orders with this status, ignoring ASCII case
	// ("failed" finds "Failed"; "Created" those no step has set one for).
	Status string `json:"status,omitempty"`
	// InstanceStatus keeps the orders whose instance has this status.
	InstanceStatus ordo.Status `json:"instanceStatus,omitempty"`
	// Flow keeps the orders of this flow; Version (which needs Flow) those
	// that run this version of it.
	Flow    string `json:"flow,omitempty"`
	Version int    `json:"version,omitempty"`
	// Email and Name keep the orders of this customer e-mail or name
	// (whole, ignoring case). Customer matches the e-mail when it holds an
	// @, else the name.
	Email    string `json:"email,omitempty"`
	Name     string `json:"name,omitempty"`
	Customer string `json:"customer,omitempty"`
	// SKU keeps the orders with an item of this SKU (exact).
	SKU string `json:"sku,omitempty"`
	// Metadata keeps the orders whose metadata holds every one of these
	// scalar entries (the value as text: "web", "4280", "true").
	Metadata []MetaFilter `json:"metadata,omitempty"`
	// Creation and finish time bounds: at or after the After bound,
	// strictly before the Before bound; zero is unbounded. A finish bound
	// leaves out the orders whose flow has not finished.
	CreatedAfter   time.Time `json:"createdAfter,omitzero"`
	CreatedBefore  time.Time `json:"createdBefore,omitzero"`
	FinishedAfter  time.Time `json:"finishedAfter,omitzero"`
	FinishedBefore time.Time `json:"finishedBefore,omitzero"`
	// Limit is the page size, 1..1000. Default 50.
	Limit int `json:"limit,omitempty"`
	// Cursor continues a previous page (OrderPage.NextCursor).
	Cursor string `json:"cursor,omitempty"`
}

// MetaFilter is one metadata entry a listing matches.
type MetaFilter struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// FilterError is a filter of ListOptions no listing can take. It matches
// ordo.ErrInvalidArgument; Field names the filter by its JSON name (also
// the query parameter of GET /v1/orders, "meta" for Metadata).
type FilterError struct {
	Field   string
	Message string
}

func (e *FilterError) Error() string { return e.Field + ": " + e.Message }

// Unwrap returns ordo.ErrInvalidArgument.
func (e *FilterError) Unwrap() error { return ordo.ErrInvalidArgument }

// filterFields maps the fields the store names in its errors to the
// filters of ListOptions.
var filterFields = map[string]string{"customStatus": "status", "status": "instanceStatus"}

// instanceOptions returns the engine listing of the orders opts selects.
func (opts *ListOptions) instanceOptions() (*ordo.ListOptions, error) {
	lo := &ordo.ListOptions{WorkflowPrefix: workflowPrefix, Status: opts.InstanceStatus, Limit: opts.Limit, Cursor: opts.Cursor,
		CreatedAfter: opts.CreatedAfter, CreatedBefore: opts.CreatedBefore,
		FinishedAfter: opts.FinishedAfter, FinishedBefore: opts.FinishedBefore}
	if opts.Limit < 0 || opts.Limit > store.MaxListLimit {
		return nil, &FilterError{"limit", fmt.Sprintf("must be between 1 and %d, got %d", store.MaxListLimit, opts.Limit)}
	}
	if opts.Flow != "" {
		lo.Workflow, lo.WorkflowPrefix = WorkflowName(opts.Flow), ""
	}
	if store.FoldCase(opts.Status) == store.FoldCase(StatusCreated) {
		lo.NoCustomStatus = true
	} else {
		lo.CustomStatus = opts.Status
	}
	// The most selective first: the first attribute drives the search.
	attr := func(field, key, value string) error {
		a := ordo.Attribute{Key: key, Value: value}
		if err := store.CheckAttribute(a); err != nil {
			return &FilterError{field, fmt.Sprintf("at most %d bytes of UTF-8 text without NUL", store.MaxAttributeValueBytes)}
		}
		lo.Attributes = append(lo.Attributes, a)
		return nil
	}
	customer := opts.Customer
	for _, f := range []struct{ field, key, value string }{
		{"email", AttrEmail, foldText(opts.Email)},
		{"name", AttrName, foldText(opts.Name)},
		{"customer", customerKey(customer), foldText(customer)},
	} {
		if f.value == "" {
			continue
		}
		if err := attr(f.field, f.key, f.value); err != nil {
			return nil, err
		}
	}
	for _, m := range opts.Metadata {
		if m.Key == "" || strings.ContainsAny(m.Key, "=:") {
			return nil, &FilterError{"meta", fmt.Sprintf("key %.64q must be non-empty without = or :", m.Key)}
		}
		if err := attr("meta", AttrMeta, m.Key+"="+m.Value); err != nil {
			return nil, err
		}
	}
	if opts.SKU != "" {
		if err := attr("sku", AttrSKU, opts.SKU); err != nil {
			return nil, err
		}
	}
	if opts.Version != 0 {
		if opts.Flow == "" || opts.Version < 0 {
			return nil, &FilterError{"version", "needs a flow and a version number from 1"}
		}
		_ = attr("version", AttrVersion, strconv.Itoa(opts.Version))
	}
	if len(lo.Attributes) > store.MaxAttributeFilters {
		return nil, &FilterError{"meta", fmt.Sprintf("%d filters on attributes; at most %d", len(lo.Attributes), store.MaxAttributeFilters)}
	}
	return lo, nil
}

// customerKey is the attribute a customer filter matches: the e-mail
// when it holds an @, else the name.
func customerKey(v string) string {
	if strings.Contains(v, "@") {
		return AttrEmail
	}
	return AttrName
}
