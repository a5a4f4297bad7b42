package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
)

// ordersView is the orders page.
type ordersView struct {
	pageData
	Filter orderFilter
	Flows  []string // flow names, suggested in the filter
	Table  ordersTable
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

// orderFilter is the orders page's query: ?status=&flow=&cursor=. Every
// value is trimmed and bounded (parseOrderFilter); one struct carries it
// from the form to order.ListOptions and back into the page's links.
type orderFilter struct {
	Status, Flow, Cursor string
	ID                   string // open this order
}

// orderFilterFields are the query names of the filter, in form order.
var orderFilterFields = []string{"status", "flow"}

// parseOrderFilter reads the filter from a query. A value longer than
// maxFilterLen or not UTF-8 wraps ordo.ErrInvalidArgument naming the
// field; the filter is then returned without it.
func parseOrderFilter(q url.Values) (orderFilter, error) {
	var errs []error
	get := func(name string) string {
		v := strings.TrimSpace(q.Get(name))
		if len(v) > maxFilterLen || !utf8.ValidString(v) {
			errs = append(errs, fmt.Errorf("%w: filter %s: at most %d bytes of UTF-8 text", ordo.ErrInvalidArgument, name, maxFilterLen))
			return ""
		}
		return v
	}
	f := orderFilter{Status: get("status"), Flow: get("flow"), ID: get("id")}
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
	for k, s := range map[string]string{"status": f.Status, "flow": f.Flow} {
		if s != "" {
			v.Set(k, s)
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
	return &order.ListOptions{Status: f.Status, Flow: f.Flow, Cursor: f.Cursor, Limit: limit}
}

// ordersView returns the orders page for filter f, with its first table
// page, the flows to suggest and the bulk form; the error is the
// listing's (a refused filter), the table then empty.
func (h *handler) ordersView(r *http.Request, f orderFilter) (*ordersView, error) {
	v := &ordersView{pageData: h.page(r, "Orders"), Filter: f, Bulk: h.bulkFor(r, f)}
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
	f, ferr := parseOrderFilter(r.URL.Query())
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
	f, err := parseOrderFilter(r.URL.Query())
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
