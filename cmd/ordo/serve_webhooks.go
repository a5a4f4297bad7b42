package main

import (
	"context"

	"github.com/ordohq/ordo/outbound"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/webhook"
)

// startWebhooks registers /v1/webhooks and runs the webhook dispatcher
// until ctx ends, its POSTs checked against policy (the flow steps'
// outbound policy). Nothing happens when the store keeps no webhooks.
func startWebhooks(ctx context.Context, s *serverParts, policy *outbound.Policy) {
	ws, ok := s.store.(store.WebhookStore)
	if !ok {
		s.log.Warn("ordo: the store keeps no webhooks; /v1/webhooks is off")
		return
	}
	s.api.WebhookRoutes(ws, policy)
	d := &webhook.Dispatcher{Store: ws, Outbound: policy, Logger: s.log, OnAttempt: s.metrics.WebhookAttempt}
	go func() { _ = d.Run(ctx) }()
}
