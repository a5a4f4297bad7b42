package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ordohq/ordo/store"
)

// WebhookAttempt counts an attempt of the webhook dispatcher: give it to
// webhook.Dispatcher.OnAttempt. state is the delivery's state after the
// attempt; the outcome label says delivered, retrying or failed.
func (m *Metrics) WebhookAttempt(webhookID, state string) {
	outcome := state
	if state == store.WebhookPending {
		outcome = "retrying"
	}
	m.webhookAttempts.WithLabelValues(m.webhooks.value(webhookID), outcome).Inc()
}

func newWebhookAttempts(f factory) *prometheus.CounterVec {
	return f.counterVec("ordo_webhook_delivery_attempts_total",
		"Webhook delivery attempts by outcome: delivered, retrying (failed, to be retried), failed (for good).",
		"webhook", "outcome")
}
