package ui

import (
	"fmt"
	"net/http"

	"github.com/ordohq/ordo/auth"
)

// mayAdmin reports whether r may act as an admin: the dashboard runs open
// or its key has the admin scope.
func mayAdmin(r *http.Request) bool {
	p, ok := auth.FromContext(r.Context())
	return !ok || p.Scope.Allows(auth.ScopeAdmin)
}

// adminAction checks a POST that needs the admin scope (as the API's
// writes of schedules and webhooks): a cross-origin request gets 403 as
// text, a key without the scope 403 with the page redrawn by show and a
// flash naming what needs it. It reports whether the action may run.
func (h *handler) adminAction(w http.ResponseWriter, r *http.Request, what string,
	show func(http.ResponseWriter, *http.Request, int, *flash)) bool {
	if err := h.sameOrigin(r); err != nil {
		h.log.Warn("ordo ui: refused "+what, "path", r.URL.Path, "err", err)
		http.Error(w, err.Error(), http.StatusForbidden)
		return false
	}
	if p, ok := auth.FromContext(r.Context()); ok && !p.Scope.Allows(auth.ScopeAdmin) {
		msg := fmt.Sprintf("The key %q has scope %s: %s needs the admin scope.", p.Name, p.Scope, what)
		show(w, r, http.StatusForbidden, &flash{Message: msg})
		return false
	}
	return true
}
