package order

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/ordohq/ordo/api"
)

// createOrderHandler serves POST /v1/orders: 201 with a new order, 200
// with the existing one for a repeated create. With ?wait= (a new order or
// a repeat) it waits for the order's flow to finish: 200 with the order
// when it has (complete, errored or terminated), else 202 with it.
func (s *Service) createOrderHandler(srv *api.Server) api.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		wait, waiting, err := srv.WaitParam(r)
		if err != nil {
			return err
		}
		if !waiting {
			return s.handleCreateOrder(w, r)
		}
		return s.handleCreateOrderWait(srv, wait, w, r)
	}
}

func (s *Service) handleCreateOrderWait(srv *api.Server, wait time.Duration, w http.ResponseWriter, r *http.Request) error {
	o, _, err := s.createOrder(r)
	if err != nil {
		return err
	}
	_, err = srv.WaitFinished(r.Context(), o.ID, wait)
	if r.Context().Err() != nil {
		return nil //nolint:nilerr // the client went away: nobody to answer
	}
	if err != nil {
		return err
	}
	if o, err = s.GetOrder(r.Context(), o.ID); err != nil {
		return err
	}
	status := http.StatusAccepted
	if o.InstanceStatus.Terminal() {
		status = http.StatusOK
	}
	api.WriteJSON(w, status, o)
	return nil
}

func (s *Service) handleCreateOrder(w http.ResponseWriter, r *http.Request) error {
	o, created, err := s.createOrder(r)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	api.WriteJSON(w, status, o)
	return nil
}

// createOrder decodes the body of POST /v1/orders and creates the order
// (see CreateOrder), turning its problems into API errors.
func (s *Service) createOrder(r *http.Request) (*Order, bool, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, false, err
	}
	req, err := DecodeCreateRequest(body)
	if err != nil {
		return nil, false, api.BadRequest(api.CodeInvalidJSON, "invalid order body: "+api.DescribeJSONError(err), nil)
	}
	o, created, err := s.CreateOrder(r.Context(), req)
	var ie *InvalidOrderError
	if errors.As(err, &ie) {
		return nil, false, api.BadRequest(CodeInvalidOrder, ie.Error(), ie.Problems)
	}
	return o, created, err
}

func (s *Service) handleGetOrder(w http.ResponseWriter, r *http.Request) error {
	o, err := s.GetOrder(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, o)
	return nil
}

func (s *Service) handleRestartOrder(w http.ResponseWriter, r *http.Request) error {
	var req RestartRequest
	if err := api.DecodeJSON(r, &req, true); err != nil {
		return err
	}
	o, err := s.RestartOrder(r.Context(), r.PathValue("id"), &req)
	var ie *InvalidOrderError
	var ve *IncompatibleVersionError
	switch {
	case errors.As(err, &ie):
		return api.BadRequest(CodeInvalidOrder, ie.Error(), ie.Problems)
	case errors.As(err, &ve):
		return api.ErrorDetails(http.StatusConflict, CodeIncompatibleVersion, ve.Error(), ve.Differences)
	case err != nil:
		return err
	}
	api.WriteJSON(w, http.StatusOK, o)
	return nil
}

// orderListParams are the query parameters of GET /v1/orders.
var orderListParams = []string{"status", "instanceStatus", "flow", "version", "email", "name", "customer", "sku", "meta",
	"createdAfter", "createdBefore", "finishedAfter", "finishedBefore", "limit", "cursor"}

func (s *Service) handleListOrders(w http.ResponseWriter, r *http.Request) error {
	opts, err := ListOptionsFromQuery(r)
	if err != nil {
		return err
	}
	page, err := s.ListOrders(r.Context(), opts)
	var fe *FilterError
	if errors.As(err, &fe) {
		return api.ParameterError(fe.Field, "%s", fe.Message)
	}
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, page)
	return nil
}

// ListOptionsFromQuery reads the filters of GET /v1/orders (see
// ListOptions): status, instanceStatus, flow, version, email, name,
// customer, sku, meta=key:value (repeatable), createdAfter,
// createdBefore, finishedAfter, finishedBefore (RFC 3339), limit and
// cursor. An unknown or invalid parameter is a 400 naming it.
func ListOptionsFromQuery(r *http.Request) (*ListOptions, error) {
	q, err := api.ReadQuery(r, orderListParams...)
	if err != nil {
		return nil, err
	}
	opts := &ListOptions{
		Status: q.String("status"), InstanceStatus: q.Status("instanceStatus"), Flow: q.String("flow"),
		Email: q.String("email"), Name: q.String("name"), Customer: q.String("customer"), SKU: q.String("sku"),
		CreatedAfter: q.Time("createdAfter"), CreatedBefore: q.Time("createdBefore"),
		FinishedAfter: q.Time("finishedAfter"), FinishedBefore: q.Time("finishedBefore"),
		Limit: q.Limit(), Cursor: q.String("cursor"),
	}
	for _, kv := range q.KeyValues("meta") {
		opts.Metadata = append(opts.Metadata, MetaFilter{Key: kv.Key, Value: kv.Value})
	}
	if v := q.String("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return nil, api.ParameterError("version", "%.40q is not a version number (1, 2, ...)", v)
		}
		opts.Version = n
	}
	if err := q.Err(); err != nil {
		return nil, err
	}
	return opts, nil
}

// fileWriteTime is how long a file download may take.
const fileWriteTime = 10 * time.Minute

func (s *Service) handleGetFile(w http.ResponseWriter, r *http.Request) error {
	rc, f, err := s.OpenFile(r.Context(), r.PathValue("id"), r.PathValue("name"))
	if err != nil {
		return err
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", contentType(f.Format))
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	h.Set("ETag", strconv.Quote(f.SHA256))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	// A production file may be hundreds of megabytes: give its download
	// more time than the server's write timeout (still bounded).
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(fileWriteTime))
	_, _ = io.Copy(w, rc) // the status is sent; a failed copy shows as a short body
	return nil
}
