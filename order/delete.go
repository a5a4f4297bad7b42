package order

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/store"
)

// DeleteOrder deletes a finished order (complete, errored, terminated,
// cancelled) with its production files, as ordo.Engine.Delete deletes an
// instance; the deletion is recorded in the audit trail. An order that
// has not finished is refused with an error matching ordo.ErrNotFinished
// (409); an unknown order, or an instance that is not an order, wraps
// ordo.ErrNotFound.
func (s *Service) DeleteOrder(ctx context.Context, id string) error {
	inst, err := s.eng.Get(ctx, id)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(inst.Workflow, workflowPrefix) {
		return fmt.Errorf("%w: %q is an instance of %q, not an order", ordo.ErrNotFound, id, inst.Workflow)
	}
	return s.eng.Delete(ctx, id) // deleteFiles runs first
}

// deleteFiles is the engine's delete hook (ordo.Engine.OnDelete): it
// deletes the production files of the orders among instances before their
// rows go. Deleting the files first means a failure or a crash leaves the
// order in place, to be deleted again, rather than files nobody knows of.
func (s *Service) deleteFiles(ctx context.Context, instances []store.PurgeCandidate) error {
	for _, c := range instances {
		if !strings.HasPrefix(c.Workflow, workflowPrefix) {
			continue
		}
		n, err := artifact.DeleteAll(ctx, s.cfg.Artifacts, fileKey(c.ID, ""))
		if err != nil {
			return fmt.Errorf("delete the production files of order %q: %w", c.ID, err)
		}
		if n > 0 {
			s.log.Debug("order: production files deleted", "order", c.ID, "files", n)
		}
	}
	return nil
}

// applyRetention gives the workflow of flow name the retention of def,
// its latest version ("retention"); a version without one leaves the
// server's period to apply.
func (s *Service) applyRetention(name string, def *flow.Definition) {
	if def.Retention == nil {
		s.eng.ClearRetention(WorkflowName(name))
		return
	}
	if err := s.eng.SetRetention(WorkflowName(name), *def.Retention); err != nil {
		s.log.Warn("order: retention of flow not applied", "flow", name, "err", err) // flow.Parse refuses a negative one
	}
}

func (s *Service) handleDeleteOrder(w http.ResponseWriter, r *http.Request) error {
	if err := s.DeleteOrder(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
