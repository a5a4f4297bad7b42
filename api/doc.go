// Package api is Ordo's HTTP API as an http.Handler that a Go program can
// mount, and that `ordo serve` serves. Every response is JSON; every error is
// {"error": {"code": "...", "message": "..."}} with a stable code:
//
//	invalid_json        400  the body is not JSON or has unknown fields
//	invalid_argument    400  a field is missing or wrong; the message names it
//	not_found           404  unknown workflow, instance, flow, order or file
//	already_exists      409  an instance or order ID that exists
//	invalid_transition  409  an action the instance's status does not allow
//	payload_too_large   413  params, payload or body over the limit
//	internal            500  anything else (logged)
package api
