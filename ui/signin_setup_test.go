package ui_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/ordotest"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
	"github.com/ordohq/ordo/ui"
)

// authFixture is a dashboard that requires API keys, kept in a real SQLite
// store, with one key per scope: reader (read), operator (operate) and
// admin (admin).
type authFixture struct {
	*fixture
	auth  *auth.Authenticator
	keys  *sqlite.Store
	clock *ordotest.Clock // the authenticator's clock: sessions expire on it
	key   map[string]string
}

// setupAuth starts the dashboard with sign-in on; cfg may set other
// fields.
func setupAuth(t *testing.T, cfg *ui.Config) *authFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "keys.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	var ks store.KeyStore = st
	clock := ordotest.NewClock(time.Date(2026, 3, 2, 14, 0, 0, 0, time.UTC))
	a, err := auth.New(auth.Config{Store: ks, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	c := ui.Config{}
	if cfg != nil {
		c = *cfg
	}
	c.Auth = a
	f := &authFixture{fixture: setup(t, &c), auth: a, keys: st, clock: clock, key: map[string]string{}}
	for name, scope := range map[string]auth.Scope{"reader": auth.ScopeRead, "operator": auth.ScopeOperate, "admin": auth.ScopeAdmin} {
		f.key[name] = f.createKey(name, scope)
	}
	return f
}

// createKey stores a new key and returns it.
func (f *authFixture) createKey(name string, scope auth.Scope) string {
	f.t.Helper()
	key, _, err := f.auth.CreateKey(context.Background(), name, scope, "")
	if err != nil {
		f.t.Fatalf("create key %s: %v", name, err)
	}
	return key
}

// signIn posts the sign-in form with key and returns the session cookie.
func (f *authFixture) signIn(key string) *http.Cookie {
	f.t.Helper()
	r := f.post("/ui/login", url.Values{"key": {key}, "next": {"/ui/"}})
	if r.status != http.StatusSeeOther {
		f.t.Fatalf("sign in: status %d, want 303\n%s", r.status, r.body)
	}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == ui.SessionCookie && c.Value != "" {
			return c
		}
	}
	f.t.Fatalf("sign in: no %s cookie in %q", ui.SessionCookie, r.header.Values("Set-Cookie"))
	return nil
}

// withCookie returns header pairs carrying a session cookie value.
func withCookie(value string, more ...string) []string {
	if value == "" {
		return more
	}
	return append([]string{"Cookie", ui.SessionCookie + "=" + value}, more...)
}

// checkSecurityHeaders fails unless a dashboard answer carries the
// browser-safety headers.
func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %q", what, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: Content-Security-Policy allows inline code: %q", what, csp)
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", what, got)
	}
	if got := h.Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("%s: Referrer-Policy %q", what, got)
	}
}

var (
	scriptTag     = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	inlineHandler = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
)

// checkNoInlineCode fails if a page holds an inline script, a style
// element or a style attribute (the policy would block them anyway).
func checkNoInlineCode(t *testing.T, what, body string) {
	t.Helper()
	for _, tag := range scriptTag.FindAllString(body, -1) {
		if !strings.Contains(tag, "src=") {
			t.Errorf("%s: inline script %s", what, tag)
		}
	}
	if l := strings.ToLower(body); strings.Contains(l, "<style") || strings.Contains(l, " style=") || inlineHandler.MatchString(l) {
		t.Errorf("%s: inline style or event handler:\n%s", what, body)
	}
}
