package ui

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/ordohq/ordo/auth"
)

// maxLoginForm bounds the sign-in form's body: a key and a path.
const maxLoginForm = 8 << 10

// maxNextLength bounds the path signed-in users are sent back to.
const maxNextLength = 2048

// loginView is the sign-in page.
type loginView struct {
	pageData
	Next    string
	Message string // why the last attempt was refused
}

// loginPage answers GET {base}/login: the sign-in form, or a redirect to
// next when the visitor is already signed in or the dashboard runs open.
func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := h.safeNext(r.URL.Query().Get("next"))
	if _, required, err := h.signedIn(r); !required || err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.renderLogin(w, r, http.StatusOK, next, "")
}

// login answers POST {base}/login (form fields key and next): a valid key
// gets a session cookie and a redirect to next; anything else the form
// again with a message that says nothing of which keys exist. The form is
// checked for same origin like every action, so another site cannot sign
// the operator in with its own key (login CSRF).
func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	if err := h.sameOrigin(r); err != nil {
		h.log.Warn("ordo ui: refused sign-in", "err", err)
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
	if err := r.ParseForm(); err != nil {
		h.renderLogin(w, r, http.StatusBadRequest, h.home(), "The sign-in form could not be read (at most 8 KiB).")
		return
	}
	next := h.safeNext(r.PostForm.Get("next"))
	if _, required, _ := h.signedIn(r); !required {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	key := strings.TrimSpace(r.PostForm.Get("key"))
	if key == "" {
		h.renderLogin(w, r, http.StatusUnauthorized, next, "Enter an API key.")
		return
	}
	p, err := h.cfg.Auth.Authenticate(r.Context(), key)
	if errors.Is(err, auth.ErrUnauthenticated) {
		h.log.Info("ordo ui: sign-in refused", "remote", r.RemoteAddr)
		h.renderLogin(w, r, http.StatusUnauthorized, next, "This key was not accepted: it is unknown, revoked or mistyped.")
		return
	}
	var value string
	var expires time.Time
	if err == nil {
		value, expires, err = h.cfg.Auth.NewSession(r.Context(), p, h.cfg.SessionTTL)
	}
	if err != nil {
		h.log.Error("ordo ui: sign-in", "err", err)
		h.renderLogin(w, r, http.StatusServiceUnavailable, next, "Sign-in is unavailable: the key store did not answer. Try again shortly.")
		return
	}
	h.log.Info("ordo ui: signed in", "key", p.Name, "scope", p.Scope, "remote", r.RemoteAddr)
	_ = auth.WithPrincipal(r.Context(), p) // tells the audit log who signed in
	http.SetCookie(w, h.sessionCookie(r, value, expires))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout answers POST {base}/logout: it clears the session cookie and
// goes to the sign-in page. The cookie is signed, not stored, so a copy of
// it stays valid until it expires or its key is revoked.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.sameOrigin(r); err != nil {
		h.log.Warn("ordo ui: refused sign-out", "err", err)
		http.Error(w, err.Error(), http.StatusForbidden)
		return
	}
	http.SetCookie(w, h.clearedCookie(r))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, h.loginURL(""), http.StatusSeeOther)
}

func (h *handler) renderLogin(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	v := &loginView{pageData: h.page(r, "Sign in"), Next: next, Message: msg}
	v.SignIn, v.Open = true, false
	h.render(w, r, h.pages.login, "layout", status, v)
}

// sessionCookie is the sign-in cookie holding value: scripts cannot read
// it, other sites' requests do not carry it, it is sent over TLS only when
// the dashboard is served with TLS, and it expires with the session.
func (h *handler) sessionCookie(r *http.Request, value string, expires time.Time) *http.Cookie {
	return &http.Cookie{
		Name: SessionCookie, Value: value, Path: h.home(), MaxAge: int(h.cfg.SessionTTL.Seconds()),
		Expires: expires, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	}
}

// clearedCookie deletes the sign-in cookie.
func (h *handler) clearedCookie(r *http.Request) *http.Cookie {
	return &http.Cookie{Name: SessionCookie, Path: h.home(), MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode}
}

// home is the dashboard's first page, BasePath+"/".
func (h *handler) home() string { return h.cfg.BasePath + "/" }

// loginURL is the sign-in page, coming back to next ("" for home).
func (h *handler) loginURL(next string) string {
	u := h.cfg.BasePath + "/login"
	if next != "" && next != h.home() {
		u += "?next=" + url.QueryEscape(next)
	}
	return u
}

// safeNext returns next if it is a path of the dashboard itself (below
// BasePath, no scheme, no host, no "//", no backslash, no way out with
// ".."), else home: the sign-in page never redirects anywhere else.
func (h *handler) safeNext(next string) string {
	home := h.home()
	if next == "" || len(next) > maxNextLength || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	clean := path.Clean(u.Path)
	if clean != u.Path && clean+"/" != u.Path || !strings.HasPrefix(clean+"/", home) ||
		clean == h.cfg.BasePath+"/login" || clean == h.cfg.BasePath+"/logout" {
		return home
	}
	out := u.EscapedPath()
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}
