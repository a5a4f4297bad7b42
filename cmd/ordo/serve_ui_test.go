package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
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
