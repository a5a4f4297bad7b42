package ui_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/auth"
	"github.com/ordohq/ordo/ui"
)

// TestSignInRequired: with keys in force, no page, fragment or action is
// served without a valid session, whatever is wrong with it.
func TestSignInRequired(t *testing.T) {
	t.Parallel()
	f := setupAuth(t, nil)
	id := f.waiting("order-1")
	page := "/ui/instances/" + id
	forge := func(name string) string { // a session for name with a MAC made up
		exp := strconv.FormatInt(f.clock.Now().Add(time.Hour).Unix(), 10)
		return base64.RawURLEncoding.EncodeToString([]byte(name)) + "." + exp + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	}

	for _, tc := range []struct {
		name   string
		cookie func() string // the session cookie's value, "" for none
	}{
		{"no cookie", func() string { return "" }},
		{"garbage", func() string { return "not-a-session" }},
		{"forged MAC", func() string { return forge("admin") }},
		{"MAC of another key", func() string {
			_, mac, _ := strings.Cut(f.signIn(f.key["reader"]).Value, ".")
			return base64.RawURLEncoding.EncodeToString([]byte("admin")) + "." + mac
		}},
		{"later expiry", func() string {
			parts := strings.Split(f.signIn(f.key["operator"]).Value, ".")
			exp, _ := strconv.ParseInt(parts[1], 10, 64)
			return parts[0] + "." + strconv.FormatInt(exp+3600, 10) + "." + parts[2]
		}},
		{"expired", func() string {
			v := f.signIn(f.key["operator"]).Value
			f.clock.Advance(ui.DefaultSessionTTL + time.Second)
			return v
		}},
		{"revoked key", func() string {
			v := f.signIn(f.createKey("temp", auth.ScopeAdmin)).Value
			if _, err := f.auth.RevokeKey(context.Background(), "temp"); err != nil {
				t.Fatal(err)
			}
			return v
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cookie()
			login := "/ui/login?next=" + url.QueryEscape(page)
			for _, rq := range []struct {
				what     string
				resp     func() response
				status   int
				location string // Location, or HX-Redirect for a 401
			}{
				{"page", func() response { return f.get(page, withCookie(c)...) }, http.StatusSeeOther, login},
				{"list page", func() response { return f.get("/ui/?status=waiting", withCookie(c)...) }, http.StatusSeeOther,
					"/ui/login?next=" + url.QueryEscape("/ui/?status=waiting")},
				{"unknown page", func() response { return f.get("/ui/nope", withCookie(c)...) }, http.StatusSeeOther,
					"/ui/login?next=" + url.QueryEscape("/ui/nope")},
				{"page with htmx", func() response {
					return f.get(page, withCookie(c, "HX-Request", "true", "HX-Current-URL", f.srv.URL+page)...)
				}, http.StatusUnauthorized, login},
				{"list fragment", func() response {
					return f.get("/ui/fragments/instances", withCookie(c, "HX-Request", "true", "HX-Current-URL", f.srv.URL+"/ui/")...)
				}, http.StatusUnauthorized, "/ui/login"},
				{"live fragment without htmx", func() response { return f.get(page+"/live", withCookie(c)...) }, http.StatusUnauthorized, "/ui/login"},
				{"action", func() response { return f.post(page+"/pause", nil, withCookie(c, "Referer", f.srv.URL+page)...) },
					http.StatusSeeOther, login},
				{"action with htmx", func() response {
					return f.post(page+"/terminate", nil, withCookie(c, "HX-Request", "true", "HX-Current-URL", f.srv.URL+page)...)
				}, http.StatusUnauthorized, login},
			} {
				r := rq.resp()
				got := r.header.Get("Location")
				if r.status == http.StatusUnauthorized {
					got = r.header.Get("HX-Redirect")
				}
				if r.status != rq.status || got != rq.location {
					t.Errorf("%s: %d to %q, want %d to %q\n%s", rq.what, r.status, got, rq.status, rq.location, r.body)
				}
				if strings.Contains(r.body, "order-1</") || strings.Contains(r.body, "action-pause") {
					t.Errorf("%s: the answer shows the dashboard:\n%s", rq.what, r.body)
				}
				if c != "" && !strings.Contains(strings.Join(r.header.Values("Set-Cookie"), "\n"), ui.SessionCookie+"=; Path=/ui/; Max-Age=0") {
					t.Errorf("%s: the refused cookie is not cleared: %q", rq.what, r.header.Values("Set-Cookie"))
				}
				checkSecurityHeaders(t, rq.what, r.header)
			}
			if s := f.status(id); s != ordo.StatusWaiting {
				t.Fatalf("a refused action ran: status %s", s)
			}
		})
	}
	// Static assets stay open.
	if r := f.get("/ui/static/ordo.css"); r.status != http.StatusOK {
		t.Errorf("static asset without a session: %d", r.status)
	}
	// A program's Bearer key that does not authenticate gets 401 itself.
	r := f.get(page, "Authorization", "Bearer ordo_wrong")
	if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") || r.header.Get("Location") != "" {
		t.Errorf("wrong Bearer key: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
}

// TestSignInScopes: what each scope sees and may do; open mode unchanged.
func TestSignInScopes(t *testing.T) {
	t.Parallel()
	f := setupAuth(t, nil)
	id := f.waiting("order-1")
	page := "/ui/instances/" + id
	buttons := []string{`id="action-pause"`, `id="action-resume"`, `id="action-terminate"`, `id="action-restart"`, `id="action-event"`}
	reader := withCookie(f.signIn(f.key["reader"]).Value)
	operator := withCookie(f.signIn(f.key["operator"]).Value)

	// read: the pages, no buttons, and every action refused with 403.
	r := f.get(page, reader...)
	if r.status != http.StatusOK {
		t.Fatalf("reader: instance page %d\n%s", r.status, r.body)
	}
	mustContain(t, "reader's page", r.body, `Signed in as <strong class="mono">reader</strong>`, `<span class="badge scope" title="Scope of this key">read</span>`,
		`id="sign-out"`, `id="actions-need-operate"`, `id="timeline"`)
	mustNotContain(t, "reader's page", r.body, append(buttons, `id="open-mode"`)...)
	for _, fragment := range []string{"/ui/", "/ui/fragments/instances", page + "/live"} {
		if r := f.get(fragment, reader...); r.status != http.StatusOK {
			t.Errorf("reader: GET %s: %d", fragment, r.status)
		}
	}
	for _, tc := range []struct {
		action string
		header []string
	}{
		{"pause", reader},
		{"terminate", append([]string{"HX-Request", "true"}, reader...)},
		{"restart", []string{"Authorization", "Bearer " + f.key["reader"]}},
		{"event", reader},
		{"resume", reader},
	} {
		r := f.post(page+"/"+tc.action, url.Values{"type": {"order.packed"}}, tc.header...)
		if r.status != http.StatusForbidden {
			t.Errorf("reader: %s: status %d, want 403", tc.action, r.status)
		}
		mustContain(t, "refused "+tc.action, r.body, `The key &#34;reader&#34; has scope read: this action needs the operate scope.`)
		mustNotContain(t, "refused "+tc.action, r.body, buttons...)
	}
	if s := f.status(id); s != ordo.StatusWaiting {
		t.Fatalf("a reader's action ran: status %s", s)
	}

	// operate: the buttons, and the actions run.
	r = f.get(page, operator...)
	mustContain(t, "operator's page", r.body, append(buttons, `Signed in as <strong class="mono">operator</strong>`)...)
	if r := f.post(page+"/pause", nil, operator...); r.status != http.StatusSeeOther {
		t.Fatalf("operator: pause: %d\n%s", r.status, r.body)
	}
	if s := f.status(id); s != ordo.StatusPaused {
		t.Fatalf("operator's pause: status %s", s)
	}
	// admin through a Bearer key (a program rather than a browser).
	if r := f.post(page+"/resume", nil, "Authorization", "Bearer "+f.key["admin"], "HX-Request", "true"); r.status != http.StatusOK {
		t.Fatalf("admin Bearer: resume: %d\n%s", r.status, r.body)
	}
	// Still same-origin checked, signed in or not.
	if r := f.post(page+"/pause", nil, append(operator, "Origin", "https://evil.example")...); r.status != http.StatusForbidden {
		t.Fatalf("cross-origin action with a session: %d", r.status)
	}

	// Open mode: no Config.Auth, or an authenticator without any key.
	open := setup(t, nil)
	noKeys := setupAuth(t, nil)
	for _, name := range []string{"reader", "operator", "admin"} {
		if _, err := noKeys.auth.RevokeKey(context.Background(), name); err != nil {
			t.Fatal(err)
		}
	}
	for what, o := range map[string]*fixture{"no Config.Auth": open, "no key": noKeys.fixture} {
		id := o.waiting("order-9")
		r := o.get("/ui/instances/" + id)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", what, r.status)
		}
		mustContain(t, what, r.body, append(buttons, `id="open-mode"`, `This server runs without authentication`)...)
		mustNotContain(t, what, r.body, `id="sign-out"`, `id="actions-need-operate"`)
		if r := o.post("/ui/instances/"+id+"/pause", nil); r.status != http.StatusSeeOther {
			t.Fatalf("%s: pause: %d", what, r.status)
		}
		if r := o.get("/ui/login?next=/ui/instances/" + id); r.status != http.StatusSeeOther || r.header.Get("Location") != "/ui/instances/"+id {
			t.Errorf("%s: sign-in page: %d %q, want a redirect to next", what, r.status, r.header.Get("Location"))
		}
	}
}

// TestLogin: the sign-in form, its cookie, refused keys, login CSRF and
// sign-out.
func TestLogin(t *testing.T) {
	t.Parallel()
	f := setupAuth(t, nil)
	next := "/ui/instances/order-1?done=pause"

	r := f.get("/ui/login?next=" + url.QueryEscape(next))
	if r.status != http.StatusOK {
		t.Fatalf("GET /ui/login: %d", r.status)
	}
	mustContain(t, "sign-in page", r.body, `<form method="post" action="/ui/login"`, `type="password" id="login-key" name="key"`,
		`<input type="hidden" name="next" value="/ui/instances/order-1?done=pause">`)
	mustNotContain(t, "sign-in page", r.body, `id="open-mode"`, `id="sign-out"`, `href="/ui/">Instances</a>`)
	checkSecurityHeaders(t, "sign-in page", r.header)
	checkNoInlineCode(t, "sign-in page", r.body)

	// Refused: the form again, 401, and nothing about which keys exist.
	for _, tc := range []struct{ name, key, msg string }{
		{"wrong key", "ordo_" + strings.Repeat("x", 43), "This key was not accepted"},
		{"a key's hash", auth.HashKey(f.key["admin"]), "This key was not accepted"},
		{"empty", "  ", "Enter an API key."},
		{"too long", strings.Repeat("k", 4000), "This key was not accepted"},
	} {
		r := f.post("/ui/login", url.Values{"key": {tc.key}, "next": {next}})
		if r.status != http.StatusUnauthorized || len(r.header.Values("Set-Cookie")) != 0 {
			t.Errorf("%s: %d %q, want 401 without a cookie", tc.name, r.status, r.header.Values("Set-Cookie"))
		}
		mustContain(t, tc.name, r.body, `id="login-error"`, tc.msg, `value="/ui/instances/order-1?done=pause"`)
		mustNotContain(t, tc.name, r.body, "reader", "operator", "admin", f.key["reader"][:12])
		if len(tc.key) > 8 {
			mustNotContain(t, tc.name, r.body, tc.key)
		}
		checkSecurityHeaders(t, tc.name, r.header)
		checkNoInlineCode(t, tc.name, r.body)
	}
	// Login CSRF: another site cannot sign the browser in with its key.
	for _, h := range [][]string{{"Origin", "https://evil.example"}, {"Origin", ""}, {"Sec-Fetch-Site", "cross-site"}} {
		r := f.post("/ui/login", url.Values{"key": {f.key["admin"]}}, h...)
		if r.status != http.StatusForbidden || len(r.header.Values("Set-Cookie")) != 0 {
			t.Errorf("cross-origin sign-in %v: %d %q", h, r.status, r.header.Values("Set-Cookie"))
		}
	}
	if r := f.post("/ui/login", url.Values{"key": {strings.Repeat("k", 9000)}}); r.status != http.StatusBadRequest {
		t.Errorf("oversized form: %d, want 400", r.status)
	}

	// Signed in: the cookie's attributes, and back to next.
	r = f.post("/ui/login", url.Values{"key": {" " + f.key["operator"] + "\n"}, "next": {next}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != next {
		t.Fatalf("sign in: %d to %q, want 303 to %s\n%s", r.status, r.header.Get("Location"), next, r.body)
	}
	set := r.header.Get("Set-Cookie")
	for _, want := range []string{ui.SessionCookie + "=", "Path=/ui/", "Max-Age=43200", "HttpOnly", "SameSite=Strict",
		"Expires=" + f.clock.Now().Add(12*time.Hour).UTC().Format(http.TimeFormat)} {
		if !strings.Contains(set, want) {
			t.Errorf("session cookie %q lacks %s", set, want)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("session cookie over plain HTTP is Secure: %q", set)
	}
	session := f.signIn(f.key["operator"]).Value
	if r := f.get("/ui/", withCookie(session)...); r.status != http.StatusOK {
		t.Fatalf("with the cookie: %d", r.status)
	}
	// The sign-in page of a signed-in browser goes on to next.
	if r := f.get("/ui/login?next="+url.QueryEscape(next), withCookie(session)...); r.status != http.StatusSeeOther || r.header.Get("Location") != next {
		t.Errorf("sign-in page when signed in: %d %q", r.status, r.header.Get("Location"))
	}

	// Under TLS the cookie is Secure.
	req := httptest.NewRequest(http.MethodPost, "https://dash.example/ui/login", strings.NewReader(url.Values{"key": {f.key["reader"]}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://dash.example")
	rec := httptest.NewRecorder()
	f.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Set-Cookie"), "; Secure") {
		t.Errorf("sign in under TLS: %d %q", rec.Code, rec.Header().Get("Set-Cookie"))
	}

	// Sign-out clears the cookie; it is same-origin checked too.
	if r := f.post("/ui/logout", nil, withCookie(session, "Origin", "https://evil.example")...); r.status != http.StatusForbidden || len(r.header.Values("Set-Cookie")) != 0 {
		t.Errorf("cross-origin sign-out: %d %q", r.status, r.header.Values("Set-Cookie"))
	}
	r = f.post("/ui/logout", nil, withCookie(session)...)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/ui/login" ||
		!strings.Contains(r.header.Get("Set-Cookie"), ui.SessionCookie+"=; Path=/ui/; Max-Age=0; HttpOnly; SameSite=Strict") {
		t.Errorf("sign-out: %d %q %q", r.status, r.header.Get("Location"), r.header.Get("Set-Cookie"))
	}
	checkSecurityHeaders(t, "sign-out", r.header)
}

// TestLoginNext: the sign-in page sends back to dashboard paths only.
func TestLoginNext(t *testing.T) {
	t.Parallel()
	f := setupAuth(t, nil)
	for _, tc := range []struct{ next, want string }{
		{"/ui/instances/order-1", "/ui/instances/order-1"},
		{"/ui/?status=waiting&workflow=checkout", "/ui/?status=waiting&workflow=checkout"},
		{"/ui/instances/a%2Fb", "/ui/instances/a%2Fb"},
		{"", "/ui/"},
		{"https://evil.example/ui/", "/ui/"},
		{"//evil.example/ui/", "/ui/"},
		{"///evil.example/ui/", "/ui/"},
		{"/\\evil.example", "/ui/"},
		{"/ui/\\..\\..\\x", "/ui/"},
		{"javascript:alert(1)", "/ui/"},
		{"/ui/../v1/keys", "/ui/"},
		{"/ui/%2e%2e/v1/keys", "/ui/"},
		{"/v1/orders", "/ui/"},
		{"/uix/", "/ui/"},
		{"/ui/login", "/ui/"},
		{"/ui/logout", "/ui/"},
		{"/ui/x\r\nSet-Cookie: a=b", "/ui/"},
		{"ui/instances", "/ui/"},
		{"/ui/" + strings.Repeat("a", 3000), "/ui/"},
	} {
		r := f.post("/ui/login", url.Values{"key": {f.key["reader"]}, "next": {tc.next}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != tc.want {
			t.Errorf("next %q: %d to %q, want %q", tc.next, r.status, r.header.Get("Location"), tc.want)
		}
	}
}

// TestSignInStoreDown: a key store that does not answer is 503, not a
// way in.
func TestSignInStoreDown(t *testing.T) {
	t.Parallel()
	f := setupAuth(t, nil)
	session := f.signIn(f.key["operator"]).Value
	if err := f.keys.Close(); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute) // past the authenticator's cache
	for _, path := range []string{"/ui/", "/ui/fragments/instances"} {
		r := f.get(path, withCookie(session)...)
		if r.status != http.StatusServiceUnavailable {
			t.Errorf("GET %s with the key store closed: %d, want 503\n%s", path, r.status, r.body)
		}
		checkSecurityHeaders(t, path, r.header)
	}
	r := f.post("/ui/login", url.Values{"key": {f.key["operator"]}})
	if r.status != http.StatusServiceUnavailable || len(r.header.Values("Set-Cookie")) != 0 {
		t.Errorf("sign in with the key store closed: %d %q", r.status, r.header.Values("Set-Cookie"))
	}
}
