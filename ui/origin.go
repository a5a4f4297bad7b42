package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// errCrossOrigin is why an action from another site is refused.
var errCrossOrigin = errors.New("cross-origin request refused: actions must be posted from the dashboard's own pages")

// sameOrigin reports whether a POST comes from the dashboard's own pages,
// the check that keeps another site from submitting actions with the
// operator's browser (CSRF). Sec-Fetch-Site: same-origin (sent by every
// current browser) is enough; otherwise the Origin header, or else the
// Referer, must name the request's Host or one of Config.TrustedOrigins.
// A request with none of these headers is refused too: browsers always send
// at least one of them on a form POST, and other clients have the JSON API.
func (h *handler) sameOrigin(r *http.Request) error {
	fetchSite := r.Header.Get("Sec-Fetch-Site")
	if fetchSite == "same-origin" {
		return nil
	}
	from, what := r.Header.Get("Origin"), "Origin"
	switch from {
	case "null": // sandboxed frames, file: pages, redirects from elsewhere
		return fmt.Errorf("%w (Origin: null)", errCrossOrigin)
	case "":
		from, what = r.Header.Get("Referer"), "Referer"
	}
	if from == "" {
		return fmt.Errorf("%w (no Origin or Referer header)", errCrossOrigin)
	}
	host, err := originHost(from)
	if err != nil {
		return fmt.Errorf("%w (%s: %w)", errCrossOrigin, what, err)
	}
	for _, o := range h.cfg.TrustedOrigins {
		if th, _ := originHost(o); strings.EqualFold(th, host) {
			return nil
		}
	}
	if fetchSite == "cross-site" || fetchSite == "same-site" {
		return fmt.Errorf("%w (Sec-Fetch-Site: %s, %s host %q)", errCrossOrigin, fetchSite, what, host)
	}
	if strings.EqualFold(host, r.Host) {
		return nil
	}
	return fmt.Errorf("%w (%s host %q is not %q)", errCrossOrigin, what, host, r.Host)
}

// originHost returns the host[:port] of an origin or URL.
func originHost(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("parse origin %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("origin %q is not an http(s) URL with a host", s)
	}
	return u.Host, nil
}
