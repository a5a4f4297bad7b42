package order

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
)

// CancelOrder cancels an order: its flow stops at once (a running step's
// context is cancelled), the compensations (onCompensate) of the steps
// that succeeded run newest first, durably and with their retries, and
// the order ends with the flow's cancelStatus ("Cancelled") and its
// instance cancelled, reason recorded. It returns the order as it is once
// the cancel was accepted (InstanceStatus queued, Cancelling set).
//
// A finished order is refused with ordo.ErrInvalidTransition (409),
// except a complete one whose flow sets allowCancelAfterCompletion: then
// the compensations of all its completed steps run. An unknown ID wraps
// ordo.ErrNotFound.
func (s *Service) CancelOrder(ctx context.Context, id, reason string) (*Order, error) {
	o, err := s.GetOrder(ctx, id)
	if err != nil {
		return nil, err
	}
	if o.Unreadable != "" {
		return nil, fmt.Errorf("%w: order %q cannot be read, so it cannot be cancelled: %s", ordo.ErrInvalidTransition, id, o.Unreadable)
	}
	def, err := s.definition(ctx, o.Flow, o.FlowVersion)
	if err != nil {
		return nil, err
	}
	_, err = s.eng.CancelWith(ctx, id, &ordo.CancelOptions{Reason: reason, AfterCompletion: def.AllowCancelAfterCompletion})
	if errors.Is(err, ordo.ErrInvalidTransition) {
		cur, gerr := s.GetOrder(ctx, id)
		if gerr == nil && cur.InstanceStatus.Terminal() {
			why := "a finished order cannot be cancelled"
			if cur.InstanceStatus == ordo.StatusComplete {
				why = fmt.Sprintf("flow %s v%d does not allow cancellation after completion (allowCancelAfterCompletion)", cur.Flow, cur.FlowVersion)
			}
			return nil, &ordo.Error{Sentinel: ordo.ErrInvalidTransition,
				Message: fmt.Sprintf("order %q has finished (%s, status %q): %s", id, cur.InstanceStatus, cur.Status, why)}
		}
	}
	if err != nil {
		return nil, err
	}
	return s.GetOrder(ctx, id)
}

// cancelRequest is the optional body of POST /v1/orders/{id}/cancel.
type cancelRequest struct {
	Reason string `json:"reason,omitempty"`
}

// handleCancelOrder serves POST /v1/orders/{id}/cancel: 200 with the
// order, rolling back; 409 for a finished order (see CancelOrder).
func (s *Service) handleCancelOrder(w http.ResponseWriter, r *http.Request) error {
	var req cancelRequest
	if err := api.DecodeJSON(r, &req, true); err != nil {
		return err
	}
	o, err := s.CancelOrder(r.Context(), r.PathValue("id"), req.Reason)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, o)
	return nil
}
