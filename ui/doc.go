// Package ui is Ordo's web dashboard: an http.Handler that lists workflow
// instances and shows each one with its step timeline, and lets an
// operator pause, resume, terminate, restart or send an event to it.
// `ordo serve` mounts it under /ui/ (flag --ui, on by default); a Go
// program mounts it next to package api:
//
//	dash, err := ui.New(ui.Config{Engine: engine})
//	if err != nil { ... }
//	srv.HandleHTTP("/ui/", dash) // srv is an *api.Server; on a ServeMux, mux.Handle("/ui/", dash)
//
// Pages:
//
//	GET  /ui/                         instances, newest first; ?workflow=&status=&custom=&cursor=, ?id= jumps to one
//	GET  /ui/instances/{id}           summary, actions and step timeline
//	POST /ui/instances/{id}/pause     also resume, terminate, restart (form field from) and event (type, payload)
//	GET  /ui/schedules                with Config.Schedules: next and last fires; POST .../{id}/pause|resume|trigger (admin)
//	GET  /ui/events                   with Config.Events: published events and their deliveries; ?type=&since=1h|168h|all&cursor=
//	GET  /ui/webhooks                 with Config.Webhooks: each webhook's last 10 deliveries;
//	POST /ui/webhooks/{id}/deliveries/{delivery}/redeliver   (admin, as the API)
//
// Every page is plain HTML that works without JavaScript. The vendored
// htmx 2.0.11 only enhances it: the instances table and a live instance's
// summary and timeline refresh every 2 s (Config.RefreshInterval), and
// actions are submitted in place. Templates, CSS, icons and htmx are
// embedded; the dashboard makes no request anywhere else, and its content
// security policy forbids it.
//
// Actions are POST forms. A POST is refused with 403 unless it comes from
// the dashboard's own origin (Sec-Fetch-Site, Origin or Referer; see
// Config.TrustedOrigins behind a proxy), so another site cannot submit
// them with an operator's browser. A refused action shows the engine's
// message (an invalid transition answers 409, bad input 400).
//
// Sign-in: with Config.Auth set and at least one API key in force
// (auth.Authenticator.Required), every page, fragment and action needs a
// session. GET /ui/login is a form taking a key; a valid key gets the
// cookie ordo_session (HttpOnly, SameSite=Strict, Secure under TLS,
// Config.SessionTTL, default 12 h) and is sent back to the page it came
// from (?next=, a dashboard path only). A page without a session is
// redirected (303) there; htmx requests get 401 with HX-Redirect. A
// program may send "Authorization: Bearer KEY" instead of the cookie.
// POST /ui/logout clears the cookie. The top bar names the key and its
// scope. Keys with the read scope see no action buttons, and an action
// posted anyway is refused with 403: actions need the operate scope.
// Without Config.Auth (or without keys) the dashboard is open, as the top
// bar says. Static assets are always open.
package ui
