package order

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
)

// handleOrderActions answers GET /v1/orders/{id}/audit: the audit trail of
// the order's instance (the same entries as /v1/instances/{id}/audit), with
// its filters (api.ActionQuery). An unknown order is a 404.
func (s *Service) handleOrderActions(w http.ResponseWriter, r *http.Request) error {
	p, err := api.ActionQuery(r, true)
	if err != nil {
		return err
	}
	id := r.PathValue("id") // checked by HandleScope with ordo.ValidateID
	inst, err := s.eng.Get(r.Context(), id)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(inst.Workflow, workflowPrefix) {
		return fmt.Errorf("%w: %q is an instance of %q, not an order", ordo.ErrNotFound, id, inst.Workflow)
	}
	p.InstanceID = id
	return api.WriteActions(w, r, s.eng, p)
}
