package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
)

// SessionCookie is the name of the dashboard's sign-in cookie.
const SessionCookie = "ordo_session"

// gateKind is what a gated route serves, which decides how a request that
// is not signed in is answered.
type gateKind int

const (
	// gatePage is a full page: redirected (303) to the sign-in page.
	gatePage gateKind = iota
	// gateFragment is a part of a page htmx fetches: 401 with HX-Redirect
	// to the sign-in page, so the whole page goes there.
	gateFragment
	// gateAction is a POST: like a page without htmx, like a fragment
	// with it. The action checks the scope itself (mayOperate).
	gateAction
)

// errBearerRefused is why a request with an Authorization header that
// does not authenticate is refused: such a client is a program, not a
// browser to send to the sign-in page.
var errBearerRefused = fmt.Errorf("%w: the API key in the Authorization header is unknown, revoked or malformed", auth.ErrUnauthenticated)

// gate wraps a page, fragment or action with the sign-in check. Without
// Config.Auth, or while Auth.Required is false, it lets every request
// through as before; otherwise the request needs a session cookie or a
// Bearer key, and the handler runs with its principal in the context
// (auth.FromContext).
func (h *handler) gate(kind gateKind, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, required, err := h.signedIn(r)
		if !required {
			next(w, r)
			return
		}
		if err != nil {
			h.refuse(w, r, kind, err)
			return
		}
		next(w, r.WithContext(ordo.WithActor(auth.WithPrincipal(r.Context(), p), p.Name)))
	}
}

// signedIn returns who made r: the key of its Authorization header, or
// else of its session cookie. required is false when the dashboard runs
// open (no Config.Auth, or no key exists), and then p and err are nil. An
// error wrapping auth.ErrUnauthenticated means neither is valid (or
// present); any other error is the key store's.
func (h *handler) signedIn(r *http.Request) (p *auth.Principal, required bool, err error) {
	if h.cfg.Auth == nil {
		return nil, false, nil
	}
	ctx := r.Context()
	if req, err := h.cfg.Auth.Required(ctx); err != nil {
		return nil, true, err
	} else if !req {
		return nil, false, nil
	}
	if key, ok := auth.BearerKey(r); ok {
		p, err := h.cfg.Auth.Authenticate(ctx, key)
		if errors.Is(err, auth.ErrUnauthenticated) {
			return nil, true, errBearerRefused
		}
		return p, true, err
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil, true, fmt.Errorf("%w: no %s cookie", auth.ErrUnauthenticated, SessionCookie)
	}
	p, err = h.cfg.Auth.Session(ctx, c.Value)
	return p, true, err
}

// refuse answers a request that is not signed in: a page (or an action
// without htmx) is redirected to the sign-in page, htmx gets 401 with
// HX-Redirect there, a refused Bearer key gets 401, and a key store that
// does not answer 503. A session cookie that did not authenticate is
// cleared.
func (h *handler) refuse(w http.ResponseWriter, r *http.Request, kind gateKind, err error) {
	w.Header().Set("Cache-Control", "no-store")
	if !errors.Is(err, auth.ErrUnauthenticated) {
		h.log.Error("ordo ui: check sign-in", "path", r.URL.Path, "err", err)
		http.Error(w, "The dashboard could not check your sign-in: the key store did not answer. Try again shortly.", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="ordo"`)
	if errors.Is(err, errBearerRefused) {
		http.Error(w, errBearerRefused.Error(), http.StatusUnauthorized)
		return
	}
	if _, cerr := r.Cookie(SessionCookie); cerr == nil {
		http.SetCookie(w, h.clearedCookie(r))
	}
	login := h.loginURL(h.nextFor(r, kind))
	if kind == gateFragment || r.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", login)
		http.Error(w, "Sign in first: "+login, http.StatusUnauthorized)
		return
	}
	http.Redirect(w, r, login, http.StatusSeeOther)
}

// nextFor returns where to go back to after signing in: the page itself,
// the page htmx was on (HX-Current-URL), or for an action the page it was
// posted from (Referer); each checked by safeNext.
func (h *handler) nextFor(r *http.Request, kind gateKind) string {
	from := ""
	switch {
	case r.Header.Get("HX-Request") == "true":
		from = r.Header.Get("HX-Current-URL")
	case kind == gatePage && r.Method == http.MethodGet:
		return h.safeNext(r.URL.RequestURI())
	default:
		from = r.Header.Get("Referer")
	}
	u, err := url.Parse(from)
	if from == "" || err != nil || !strings.EqualFold(u.Host, r.Host) {
		return h.home()
	}
	return h.safeNext(u.RequestURI())
}

// mayOperate reports whether r may run actions: the dashboard runs open,
// or its key has the operate scope. The principal, if any, is returned
// to name it in the refusal.
func mayOperate(ctx context.Context) (*auth.Principal, bool) {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil, true // the gate lets requests through without a principal only when the dashboard runs open
	}
	return p, p.Scope.Allows(auth.ScopeOperate)
}
