package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
)

// ordersView is the orders page.
type ordersView struct {
	pageData
	Filter   orderFilter
	Flows    []string // flow names, suggested in the filter
	Statuses []string // instance statuses
	Table    ordersTable
	// Message explains a refused filter or an unknown ID.
	Message string
	// Bulk is the bulk action form for the filtered orders; nil without
	// Config.Bulk.
	Bulk *bulkView
}

// ordersTable is the orders table, which htmx refreshes on its own.
type ordersTable struct {
	Rows        []orderRow
	FragmentURL string
	Refresh     string
	NextURL     string
	NewestURL   string
	Filtered    bool
}

// orderRow is one order in the table.
type orderRow struct {
	ID, URL, Flow, FlowURL string
	Version                int
	Status                 string // the order's own status
	Tone                   tone   // what it means, see orderTone
	InstanceStatus         string
	Customer, Email        string
	Items                  int
	Created, Finished      *timeView
	Error, Unreadable      string
}

// maxFilterLen bounds each filter value, in bytes.
const maxFilterLen = 200

// orderFilter is the orders page's query, as typed in its form: every
// value trimmed, bounded and checked by parseOrderFilter. One struct
// carries it from the form to order.ListOptions (the listing and the
// bulk actions' filter) and back into the page's links.
type orderFilter struct {
	Status         string // the order's status, any case
	InstanceStatus string
	Flow           string
	Version        string // a version number of Flow
	Customer       string // an e-mail (with @) or a name, whole, any case
	SKU            string
	Meta           string // key=value
	// CreatedFrom ... FinishedTo are times as the form's datetime-local
	// inputs send them ("2026-03-02T14:00", in the dashboard's time
	// zone), or RFC 3339.
	CreatedFrom, CreatedTo, FinishedFrom, FinishedTo string
	Cursor                                           string
	ID                                               string // open this order

	opts order.ListOptions // the checked filter
}

// orderFilterFields are the query names of the filter, in form order.
var orderFilterFields = []string{"status", "instanceStatus", "flow", "version", "customer", "sku", "meta",
	"createdFrom", "createdTo", "finishedFrom", "finishedTo"}

// field returns a pointer to the filter value of a query name.
func (f *orderFilter) field(name string) *string {
	switch name {
	case "status":
		return &f.Status
	case "instanceStatus":
		return &f.InstanceStatus
	case "flow":
		return &f.Flow
	case "version":
		return &f.Version
	case "customer":
		return &f.Customer
	case "sku":
		return &f.SKU
	case "meta":
		return &f.Meta
	case "createdFrom":
		return &f.CreatedFrom
	case "createdTo":
		return &f.CreatedTo
	case "finishedFrom":
		return &f.FinishedFrom
	case "finishedTo":
		return &f.FinishedTo
	}
	return nil
}

// filterTimeLayouts are the time forms a filter accepts, in the
// dashboard's time zone unless they carry their own.
var filterTimeLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02", time.RFC3339}

// parseOrderFilter reads and checks the filter of a query, times in loc.
// Each refused value wraps ordo.ErrInvalidArgument naming its field, and
// is left out of the filter.
func parseOrderFilter(q url.Values, loc *time.Location) (orderFilter, error) {
	var f orderFilter
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: filter %s: %s", ordo.ErrInvalidArgument, name, fmt.Sprintf(format, args...)))
		*f.field(name) = ""
	}
	for _, name := range orderFilterFields {
		v := strings.TrimSpace(q.Get(name))
		*f.field(name) = v
		if len(v) > maxFilterLen || !utf8.ValidString(v) {
			bad(name, "at most %d bytes of UTF-8 text", maxFilterLen)
		}
	}
	o := &f.opts
	o.Status, o.Flow, o.SKU = f.Status, f.Flow, f.SKU
	if f.InstanceStatus != "" {
		if st := ordo.Status(strings.ToLower(f.InstanceStatus)); st.Valid() {
			o.InstanceStatus = st
		} else {
			bad("instanceStatus", "%q is not an instance status", f.InstanceStatus)
		}
	}
	if f.Version != "" {
		if n, err := strconv.Atoi(f.Version); err != nil || n < 1 || f.Flow == "" {
			bad("version", "a version number from 1, with a flow")
		} else {
			o.Version = n
		}
	}
	if f.Customer != "" {
		o.Customer = f.Customer
	}
	if f.Meta != "" {
		if k, v, ok := strings.Cut(f.Meta, "="); ok && strings.TrimSpace(k) != "" {
			o.Metadata = []order.MetaFilter{{Key: strings.TrimSpace(k), Value: strings.TrimSpace(v)}}
		} else {
			bad("meta", "key=value, for example channel=web")
		}
	}
	for name, dst := range map[string]*time.Time{"createdFrom": &o.CreatedAfter, "createdTo": &o.CreatedBefore,
		"finishedFrom": &o.FinishedAfter, "finishedTo": &o.FinishedBefore} {
		v := *f.field(name)
		if v == "" {
			continue
		}
		var t time.Time
		var err error
		for _, layout := range filterTimeLayouts {
			if t, err = time.ParseInLocation(layout, v, loc); err == nil {
				break
			}
		}
		if err != nil {
			bad(name, "%q is not a time (2026-03-02T14:00, or RFC 3339)", v)
			continue
		}
		*dst = t
	}
	f.ID = strings.TrimSpace(q.Get("id"))
	if len(f.ID) > maxFilterLen {
		bad("id", "at most %d bytes", maxFilterLen)
	}
	if c := q.Get("cursor"); len(c) <= 1024 {
		f.Cursor = c
	} else {
		errs = append(errs, fmt.Errorf("%w: cursor: at most 1024 bytes", ordo.ErrInvalidArgument))
	}
	return f, errors.Join(errs...)
}

// values returns the filter as a query, without the cursor.
func (f orderFilter) values() url.Values {
	v := url.Values{}
	for _, name := range orderFilterFields {
		if s := *f.field(name); s != "" {
			v.Set(name, s)
		}
	}
	return v
}

// query encodes the filter with a cursor; empty values are left out.
func (f orderFilter) query(cursor string) string {
	v := f.values()
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// Filtered reports whether any filter is set.
func (f orderFilter) Filtered() bool { return len(f.values()) > 0 }

// listOptions is the filter as the order service takes it.
func (f orderFilter) listOptions(limit int) *order.ListOptions {
	o := f.opts
	o.Metadata = slices.Clone(o.Metadata)
	o.Cursor, o.Limit = f.Cursor, limit
	return &o
}

// ordersView returns the orders page for filter f, with its first table
// page, the flows to suggest and the bulk form; the error is the
// listing's (a refused filter), the table then empty.
func (h *handler) ordersView(r *http.Request, f orderFilter) (*ordersView, error) {
	v := &ordersView{pageData: h.page(r, "Orders"), Filter: f, Bulk: h.bulkFor(r, f), Statuses: allStatuses}
	if fs, err := h.cfg.Orders.Flows(r.Context()); err == nil {
		for _, fv := range fs {
			v.Flows = append(v.Flows, fv.Name)
		}
	}
	var err error
	v.Table, err = h.ordersTable(r, f)
	return v, err
}

func (h *handler) ordersPage(w http.ResponseWriter, r *http.Request) {
	f, ferr := parseOrderFilter(r.URL.Query(), h.cfg.Location)
	v, lerr := h.ordersView(r, f)
	status := http.StatusOK
	if ferr != nil {
		status, v.Message = http.StatusBadRequest, ferr.Error()
	}
	if f.ID != "" && ferr == nil {
		if err := ordo.ValidateID("order id", f.ID); err != nil {
			status, v.Message = http.StatusBadRequest, err.Error()
		} else if o, err := h.cfg.Orders.GetOrder(r.Context(), f.ID); err == nil {
			http.Redirect(w, r, h.orderURL(o.ID), http.StatusSeeOther)
			return
		} else {
			status, v.Message = h.errorStatus(err), "No order with ID "+f.ID+"."
			if status != http.StatusNotFound {
				v.Message = err.Error()
			}
		}
	}
	if lerr != nil && ferr == nil {
		status, v.Message = h.errorStatus(lerr), lerr.Error()
	}
	h.render(w, r, h.pages.orders, "layout", status, v)
}

// ordersFragment answers htmx's polling with the table alone.
func (h *handler) ordersFragment(w http.ResponseWriter, r *http.Request) {
	f, err := parseOrderFilter(r.URL.Query(), h.cfg.Location)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	table, err := h.ordersTable(r, f)
	if err != nil {
		http.Error(w, err.Error(), h.errorStatus(err))
		return
	}
	h.render(w, r, h.pages.orders, "orders-table", http.StatusOK, table)
}

// ordersTable lists one page of orders. On a refused filter it returns the
// empty table and the service's error.
func (h *handler) ordersTable(r *http.Request, f orderFilter) (ordersTable, error) {
	b := h.cfg.BasePath
	t := ordersTable{FragmentURL: b + "/fragments/orders" + f.query(f.Cursor), Refresh: h.refresh(), Filtered: f.Filtered()}
	if f.Cursor != "" {
		t.NewestURL = b + "/orders" + f.query("")
	}
	page, err := h.cfg.Orders.ListOrders(r.Context(), f.listOptions(h.cfg.PageSize))
	if err != nil {
		if status := h.errorStatus(err); status == http.StatusInternalServerError {
			h.log.Error("ordo ui: list orders", "err", err)
		}
		return t, err
	}
	if page.NextCursor != "" {
		t.NextURL = b + "/orders" + f.query(page.NextCursor)
	}
	fc := h.clockFormat()
	defs := h.flowDefs(r.Context())
	for _, o := range page.Orders {
		row := orderRow{
			ID: o.ID, URL: h.orderURL(o.ID), Flow: o.Flow, FlowURL: h.flowURL(o.Flow, o.FlowVersion), Version: o.FlowVersion,
			Status: o.Status, InstanceStatus: string(o.InstanceStatus),
			Tone:     orderTone(defs.get(o.Flow, o.FlowVersion), o.InstanceStatus, o.Status, false),
			Customer: o.Customer.Name, Email: o.Customer.Email, Items: len(o.Items),
			Created: fc.at(&o.CreatedAt), Finished: fc.at(o.FinishedAt), Unreadable: o.Unreadable,
		}
		if o.Error != nil {
			row.Error = o.Error.Message
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

func (h *handler) orderURL(id string) string {
	return h.cfg.BasePath + "/orders/" + url.PathEscape(id)
}

// flowURL is the flows page of one version of a flow.
func (h *handler) flowURL(name string, version int) string {
	u := h.cfg.BasePath + "/flows/" + url.PathEscape(name)
	if version > 0 {
		u += fmt.Sprintf("?version=%d", version)
	}
	return u
}
