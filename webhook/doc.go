// Package webhook signs and verifies HTTP requests the way the Standard
// Webhooks specification (https://www.standardwebhooks.com) says, so that a
// receiver can check them with any Standard Webhooks library.
//
// A signed request carries three headers: webhook-id (a message id, the same
// on every retry of one message), webhook-timestamp (Unix seconds) and
// webhook-signature, a space-separated list of "v1,<base64 signature>",
// where the signature is HMAC-SHA256 over "<id>.<timestamp>.<body>" keyed
// with the secret. Secrets are written "whsec_<base64 of the key bytes>".
//
// Dispatcher delivers the outbox of a store.WebhookStore: the
// notifications the store wrote in the transaction of each change, sent
// signed, at least once, in order per webhook and instance, retried with
// Backoff for store.WebhookRetryPeriod.
package webhook
