package main

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/ui"
)

// noRedirect is a client that reports redirects instead of following them.
var noRedirect = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

func TestServeUI(t *testing.T) {
	t.Parallel()
	p := startServe(t, "--data-dir", t.TempDir())

	resp, err := noRedirect.Get(p.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/ui/" {
		t.Fatalf("GET /: %d %q, want a redirect to /ui/", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = noRedirect.Get(p.URL + "/ui/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "<h1>Instances</h1>") {
		t.Fatalf("GET /ui/: %d\n%s", resp.StatusCode, body)
	}
	// The events and webhooks pages are on, linked from the nav.
	for _, page := range []string{"/ui/events", "/ui/webhooks"} {
		if !strings.Contains(string(body), `href="`+page+`"`) {
			t.Errorf("the nav has no link to %s", page)
		}
		resp, err := noRedirect.Get(p.URL + page)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", page, resp.StatusCode)
		}
	}
	// The API is still there.
	if resp, err := noRedirect.Get(p.URL + "/v1/instances"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/instances with the dashboard on: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

func TestServeUIOff(t *testing.T) {
	t.Parallel()
	p := startServe(t, "--data-dir", t.TempDir(), "--ui=false")
	for _, path := range []string{"/", "/ui/"} {
		resp, err := noRedirect.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s with --ui=false: status %d, want 404", path, resp.StatusCode)
		}
	}
}

// TestServeUISignIn: with a key in the database, ordo serve's dashboard
// asks for it, signs in with it and shows its name.
func TestServeUISignIn(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, _, err := runCLI(t, "keys", "create", "night-shift", "--scope", "operate", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out)
	p := startServe(t, "--data-dir", dir, "--ui-session-ttl", "1h")

	resp, err := noRedirect.Get(p.URL + "/ui/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/login" {
		t.Fatalf("GET /ui/ without a session: %d %q, want a redirect to /ui/login", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The sign-in page and its assets are served without a key.
	for _, path := range []string{"/ui/login", "/ui/static/ordo.css"} {
		resp, err := noRedirect.Get(p.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, resp.StatusCode)
		}
	}

	req, _ := http.NewRequest(http.MethodPost, p.URL+"/ui/login", strings.NewReader(url.Values{"key": {key}, "next": {"/ui/"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", p.URL)
	resp, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == ui.SessionCookie {
			session = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || session == nil || session.MaxAge != 3600 || !session.HttpOnly {
		t.Fatalf("sign in: %d %q, want 303 with a one-hour HttpOnly cookie", resp.StatusCode, resp.Header.Values("Set-Cookie"))
	}
	req, _ = http.NewRequest(http.MethodGet, p.URL+"/ui/", nil)
	req.AddCookie(session)
	resp, err = noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `Signed in as <strong class="mono">night-shift</strong>`) {
		t.Fatalf("GET /ui/ signed in: %d\n%s", resp.StatusCode, body)
	}
}

func TestServeUISessionTTLChecked(t *testing.T) {
	t.Parallel()
	_, _, err := runCLI(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", t.TempDir(), "--ui-session-ttl", "10s")
	if err == nil || !strings.Contains(err.Error(), "--ui-session-ttl") {
		t.Fatalf("serve --ui-session-ttl 10s: %v, want an error naming the flag", err)
	}
}
