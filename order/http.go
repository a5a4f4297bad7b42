package order

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/auth"
)

// API error codes of the flow and order routes, next to api's own.
const (
	// CodeInvalidFlow: a flow document with problems; error.details lists
	// them (flow.Problem: path, step, code, message).
	CodeInvalidFlow = "invalid_flow"
	// CodeInvalidOrder: an order request with invalid fields; error.details
	// lists them (FieldProblem: field, message).
	CodeInvalidOrder = "invalid_order"
	// CodeIncompatibleVersion (409): a restart onto a flow version that
	// lacks a step the restart keeps; error.details lists the differences
	// (VersionDifference: step, field, message, have, want).
	CodeIncompatibleVersion = "incompatible_flow_version"
)

// Routes adds the flow and order endpoints to srv. Applying a flow needs
// the admin scope, creating an order operate, the rest read:
//
//	PUT  /v1/flows/{name}                 apply a flow (201 new version, 200 unchanged)
//	GET  /v1/flows                        latest version of every flow
//	GET  /v1/flows/{name}[?version=N]     one version, with its definition
//	GET  /v1/flows/{name}/versions        every version, with its source and order count
//	GET  /v1/flows/{name}/diff?from=1&to=2
//	                                      line diff of two versions' pretty-printed JSON
//	POST /v1/flows/validate               check a flow without storing it
//	GET  /v1/flows/schema                 the JSON Schema of flow documents
//	POST /v1/orders[?wait=30s]            create an order (201, or 200 for a repeat;
//	                                      with wait: 200 once its flow finished, else 202)
//	GET  /v1/orders[?status=&flow=&limit=&cursor=]
//	GET  /v1/orders/{id}                  with its runs (each restart keeps the one it ended)
//	POST /v1/orders/{id}/restart          run again / redrive (RestartRequest; 409 for an
//	                                      incompatible flow version, listing the differences)
//	GET  /v1/orders/{id}/audit[?action=&actor=&since=&until=&limit=&cursor=]
//	                                      the order's audit trail, newest first
//	GET  /v1/orders/{id}/files/{name}     download a production file
//	GET  /v1/orders/{id}/files/{name}/preview.png[?size=256&background=light|transparent]
//	                                      a PNG picture of the file (size 64..1024)
//	POST /v1/orders/{id}/cancel           cancel an order: {"reason": "..."} (operate)
//	DELETE /v1/orders/{id}                delete a finished order and its files (admin;
//	                                      409 not_finished for one that has not finished)
func (s *Service) Routes(srv *api.Server) {
	srv.HandleScope("PUT /v1/flows/{name}", auth.ScopeAdmin, s.handleApplyFlow)
	srv.Handle("GET /v1/flows", s.handleListFlows)
	srv.Handle("GET /v1/flows/{name}", s.handleGetFlow)
	srv.HandleScope("GET /v1/flows/{name}/versions", auth.ScopeRead, s.handleFlowVersions)
	srv.HandleScope("GET /v1/flows/{name}/diff", auth.ScopeRead, s.handleFlowDiff)
	srv.HandleScope("POST /v1/flows/validate", auth.ScopeRead, s.handleValidateFlow) // checks, stores nothing
	srv.Handle("GET /v1/flows/schema", s.handleFlowSchema)
	srv.Handle("POST /v1/orders", s.createOrderHandler(srv))
	srv.Handle("GET /v1/orders", s.handleListOrders)
	srv.Handle("GET /v1/orders/{id}", s.handleGetOrder)
	srv.HandleScope("GET /v1/orders/{id}/audit", auth.ScopeRead, s.handleOrderActions)
	srv.HandleScope("POST /v1/orders/{id}/restart", auth.ScopeOperate, s.handleRestartOrder)
	srv.Handle("GET /v1/orders/{id}/files/{name}", s.handleGetFile)
	srv.HandleScope("GET /v1/orders/{id}/files/{name}/preview.png", auth.ScopeRead, s.handlePreviewFile)
	srv.HandleScope("POST /v1/orders/{id}/cancel", auth.ScopeOperate, s.handleCancelOrder)
	srv.HandleScope("DELETE /v1/orders/{id}", auth.ScopeAdmin, s.handleDeleteOrder)
}

// readBody reads a request body whole; the api server has already limited
// its size.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("%w: request body is larger than %d bytes", ordo.ErrPayloadTooLarge, mbe.Limit)
		}
		return nil, api.BadRequest(api.CodeInvalidJSON, "read body: "+err.Error(), nil)
	}
	return b, nil
}
