package rest

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ordohq/ordo"
)

// StatusError is the error of a POST the server answered with a status
// other than 2xx. Post wraps it with ordo.NonRetryable or ordo.RetryAfter as
// the package documentation describes; find it with errors.As.
type StatusError struct {
	// URL is the request URL without user info, query or fragment.
	URL string
	// Status is the HTTP status code.
	Status int
	// Excerpt is the start of the response body, on one line.
	Excerpt string
	// Location is the Location header of a redirect (3xx) response.
	Location string
	// RetryAfter is the delay the server asked for with a Retry-After
	// header, or zero.
	RetryAfter time.Duration
}

// Error names the URL, the status and, when there is one, the redirect
// target and the body excerpt.
func (e *StatusError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rest: POST %s: status %d %s", e.URL, e.Status, http.StatusText(e.Status))
	if e.Location != "" {
		fmt.Fprintf(&b, ", redirect to %s not followed", e.Location)
	} else if e.Status >= 300 && e.Status < 400 {
		b.WriteString(", redirect not followed")
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %s", e.RetryAfter)
	}
	if e.Excerpt != "" {
		fmt.Fprintf(&b, ": %s", e.Excerpt)
	}
	return b.String()
}

// Temporary reports whether the status is one that is worth retrying: 408,
// 429 or 5xx.
func (e *StatusError) Temporary() bool { return retryableStatus(e.Status) }

func retryableStatus(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// classify turns a non-2xx response into the error Post returns.
func (c *Client) classify(target *url.URL, resp *http.Response, body []byte) error {
	e := &StatusError{URL: redact(target), Status: resp.StatusCode, Excerpt: excerpt(body)}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		e.Location = resp.Header.Get("Location")
	}
	if !retryableStatus(resp.StatusCode) {
		return ordo.NonRetryable(e)
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), c.now()); ok {
		e.RetryAfter = d
		return ordo.RetryAfter(e, d)
	}
	return e
}

// parseRetryAfter reads a Retry-After header value: a number of seconds or
// an HTTP date, which is turned into a delay from now. A date in the past
// gives a zero delay. ok is false when the value is missing or malformed.
func parseRetryAfter(v string, now time.Time) (d time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		const maxSecs = int64((1<<63 - 1) / time.Second)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
