// Package order runs order flows (package flow) on the Ordo engine and
// serves orders, their production files and the flow versions over the
// HTTP API.
//
// # Orders are instances
//
// An order is an engine instance with the same ID. Each flow name is one
// registered workflow, "flow/<name>" (WorkflowName); the instance's params
// hold the order document (customer, items, metadata) and the flow name and
// version it started with, so an order keeps its version while newer ones
// are applied. The order's status is the instance's custom status
// ("Created" while empty), and its status history is "Created" at the
// instance's creation plus one entry per completed step that set a status,
// with the step and its finish time. Listing filters by flow with the
// workflow name and by status with the custom status.
//
// # Running a flow
//
// The workflow starts at the first step of the flow version. Each step is a
// durable engine step named by its stepDefinitionId, with the step's
// timeout per attempt and its retries (the engine's defaults when absent).
// When the step succeeds, the order's status becomes its successStatus,
// stored atomically with the step's result, and the step named by onSuccess
// runs; a step without onSuccess completes the instance. When the step
// fails for good (retries exhausted, a non-retryable error, or a timeout on
// the last attempt) the step named by onError runs; without onError the
// instance ends errored with the step's error, and the order keeps its last
// status. An operator finds such orders with the instance status and
// restarts them with the instance API.
//
// The built-in step types:
//
//   - generate-production-files builds the mesh of every item with a
//     product (package mesh), writes it in the step's fileFormat to the
//     artifact store under orders/<id>/<name> and records it on the order
//     (Order.Files). An unknown template or a bad parameter fails the step
//     without retry, naming the item and the parameter.
//   - consume-rest-api POSTs the order, as GetOrder shows it when the step
//     starts, to the step's uri with package steps/rest: the Idempotency-Key
//     is the step's idempotency key (the same on every attempt and after a
//     crash) and the request is signed when the REST client has a secret.
//     The JSON response is the step's output.
//   - send-email sends an e-mail with package steps/email; recipients,
//     subject and message may be templates over TemplateData such as
//     {{.Order.Customer.Email}}, checked when the flow is applied and
//     rendered within Config.TemplateLimits. The Message-ID is derived from the
//     instance and step, so a message resent after a crash carries the same
//     ID. attachProductionFiles attaches the order's files.
//
// # Versions
//
// ApplyFlow stores a changed flow as a new version in a store.FlowStore and
// registers it on the engine; identical content (by flow.Hash) is a no-op.
// Processes that share a database see each other's flows through
// RegisterStoredFlows, which Start repeats periodically.
//
// # HTTP
//
// Routes adds the endpoints under /v1/flows and /v1/orders to an
// api.Server; see Routes for the list.
package order
