package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/outbound"
	"github.com/ordohq/ordo/webhook"
)

// DefaultMaxResponseBytes is the largest response body Post accepts when
// Client.MaxResponseBytes is zero.
const DefaultMaxResponseBytes = 1 << 20

// DefaultUserAgent is the User-Agent header sent when Client.UserAgent is
// empty.
const DefaultUserAgent = "ordo/1"

// Client sends the POST requests of rest steps. The zero value is ready to
// use; a Client is safe for concurrent use and must not be changed while in
// use.
type Client struct {
	// HTTP sends the requests. Default: a client with no overall timeout
	// (the step's context bounds each request) on the Outbound policy's
	// transport. Post never follows redirects, whatever the client's
	// CheckRedirect. A client with a Transport of its own keeps it: then
	// only the URL is checked against Outbound, not the addresses its
	// connections reach.
	HTTP *http.Client

	// Outbound is the policy every request is checked against: the URL
	// before it is sent, and each connection's address when it is made
	// (see package outbound). A refused request fails with a non-retryable
	// error wrapping the *outbound.RefusedError. Default: nil, the
	// built-in policy (link-local, cloud metadata and unspecified
	// addresses refused; everything else allowed).
	Outbound *outbound.Policy

	// SigningSecret, when set, is the key that signs every request the
	// Standard Webhooks way (package webhook): headers webhook-id (the
	// request's idempotency key, the same on every retry),
	// webhook-timestamp and webhook-signature. Pass the key of a "whsec_"
	// secret, as webhook.KeyOf returns it. Default: nil, requests are not
	// signed.
	SigningSecret []byte

	// OrdoSignature, with SigningSecret, also sends the older
	// Ordo-Signature header ("t=<unix>,v1=<hex>", see Sign) keyed with the
	// same bytes, for receivers that still check it. Default: false.
	OrdoSignature bool

	// MaxResponseBytes is the largest response body accepted. A larger 2xx
	// body fails the step with a non-retryable error wrapping
	// ordo.ErrPayloadTooLarge. Default (zero or negative):
	// DefaultMaxResponseBytes (1 MiB).
	MaxResponseBytes int64

	// Now returns the current time, used for the signature timestamp and to
	// turn a Retry-After date into a delay. Default: time.Now.
	Now func() time.Time

	// UserAgent is the User-Agent header. Default: DefaultUserAgent
	// ("ordo/1").
	UserAgent string

	// TracerProvider makes the HTTP client span of each request (with
	// otelhttp), a child of the span in Post's context (the step
	// attempt's); the request carries that span's W3C traceparent and
	// tracestate headers so the receiver joins the trace. Default: the
	// global provider (otel.GetTracerProvider()), which makes no spans and
	// sends no traceparent unless the program installs one.
	TracerProvider trace.TracerProvider
}

// Request is one POST of a JSON document.
type Request struct {
	// URL is the absolute http or https URL to POST to. Required.
	URL string
	// Body is the JSON document sent as the request body. It must be valid
	// JSON. Required.
	Body []byte
	// IdempotencyKey is sent as the Idempotency-Key header so that the
	// receiver can recognise a retried request; derive it from the
	// instance and step so that it is the same on every attempt. Required.
	IdempotencyKey string
	// Headers are extra request headers. Content-Type, Idempotency-Key and
	// the signature headers are always set by Post and replace any value given
	// here; User-Agent and Accept given here replace the defaults.
	// Optional.
	Headers http.Header
}

// Response is what a successful POST returned.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Body is the response body: the JSON document as received, nil when
	// the body was empty (or only white space), or, when the body was not
	// valid JSON, the body as a JSON string.
	Body json.RawMessage
	// Header holds the response headers.
	Header http.Header
}

// Post sends r and classifies the outcome (see the package documentation).
// On success it returns the response and a nil error. When the server
// answered with a failing status, Post returns both the response (with the
// body as far as it was read) and an error wrapping a *StatusError; on a
// transport failure the response is nil.
func (c *Client) Post(ctx context.Context, r *Request) (*Response, error) {
	target, err := validate(r)
	if err != nil {
		return nil, ordo.NonRetryable(err)
	}
	if err := c.policy().CheckURL(target); err != nil {
		return nil, ordo.NonRetryable(fmt.Errorf("rest: POST %s: %w", redact(target), err))
	}
	req, err := c.newRequest(ctx, r, target)
	if err != nil {
		return nil, ordo.NonRetryable(err)
	}
	resp, err := c.httpClient().Do(req)
	if re, ok := errors.AsType[*outbound.RefusedError](err); ok {
		return nil, ordo.NonRetryable(fmt.Errorf("rest: POST %s: %w", redact(target), re))
	}
	if err != nil {
		return nil, transportError(ctx, target, err)
	}
	defer resp.Body.Close()

	limit := c.maxResponseBytes()
	body, tooLarge, err := readBody(resp.Body, limit)
	out := &Response{Status: resp.StatusCode, Header: resp.Header}
	if err != nil {
		return nil, transportError(ctx, target, fmt.Errorf("reading response body (status %d): %w", resp.StatusCode, err))
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if tooLarge {
			return out, ordo.NonRetryable(fmt.Errorf("rest: POST %s: status %d: response body exceeds %d bytes: %w",
				redact(target), resp.StatusCode, limit, ordo.ErrPayloadTooLarge))
		}
		if out.Body, err = toJSON(body); err != nil {
			return out, ordo.NonRetryable(fmt.Errorf("rest: POST %s: status %d: storing response body: %w",
				redact(target), resp.StatusCode, err))
		}
		return out, nil
	}
	if !tooLarge {
		out.Body, _ = toJSON(body)
	}
	return out, c.classify(target, resp, body)
}

// validate checks r and returns its parsed URL.
func validate(r *Request) (*url.URL, error) {
	if r == nil {
		return nil, fmt.Errorf("rest: nil request: %w", ordo.ErrInvalidArgument)
	}
	if r.URL == "" {
		return nil, fmt.Errorf("rest: request URL is empty: %w", ordo.ErrInvalidArgument)
	}
	target, err := url.Parse(r.URL)
	if err != nil {
		return nil, fmt.Errorf("rest: request URL: %w: %w", ordo.ErrInvalidArgument, err)
	}
	if target.Scheme != "http" && target.Scheme != "https" {
		return nil, fmt.Errorf("rest: request URL %s: scheme must be http or https: %w", redact(target), ordo.ErrInvalidArgument)
	}
	if target.Host == "" {
		return nil, fmt.Errorf("rest: request URL %s has no host: %w", redact(target), ordo.ErrInvalidArgument)
	}
	if r.IdempotencyKey == "" {
		return nil, fmt.Errorf("rest: POST %s: idempotency key is empty: %w", redact(target), ordo.ErrInvalidArgument)
	}
	if !validHeaderValue(r.IdempotencyKey) {
		return nil, fmt.Errorf("rest: POST %s: idempotency key %q contains control characters: %w", redact(target), r.IdempotencyKey, ordo.ErrInvalidArgument)
	}
	if !json.Valid(r.Body) {
		return nil, fmt.Errorf("rest: POST %s: request body is not valid JSON: %w", redact(target), ordo.ErrInvalidArgument)
	}
	for name, values := range r.Headers {
		if !validHeaderName(name) {
			return nil, fmt.Errorf("rest: POST %s: invalid header name %q: %w", redact(target), name, ordo.ErrInvalidArgument)
		}
		for _, v := range values {
			if !validHeaderValue(v) {
				return nil, fmt.Errorf("rest: POST %s: header %s: value contains control characters: %w", redact(target), name, ordo.ErrInvalidArgument)
			}
		}
	}
	return target, nil
}

// newRequest builds the HTTP request with Ordo's headers.
func (c *Client) newRequest(ctx context.Context, r *Request, target *url.URL) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), bytes.NewReader(r.Body))
	if err != nil {
		return nil, fmt.Errorf("rest: POST %s: %w", redact(target), err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent())
	for name, values := range r.Headers {
		req.Header[http.CanonicalHeaderKey(name)] = append([]string(nil), values...)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", r.IdempotencyKey)
	for _, name := range []string{SignatureHeader, webhook.HeaderID, webhook.HeaderTimestamp, webhook.HeaderSignature} {
		req.Header.Del(name)
	}
	if len(c.SigningSecret) > 0 {
		now := c.now()
		webhook.SetHeaders(req.Header, c.SigningSecret, r.IdempotencyKey, now, r.Body)
		if c.OrdoSignature {
			req.Header.Set(SignatureHeader, Sign(c.SigningSecret, r.Body, now))
		}
	}
	return req, nil
}

// transportError describes a failure to get a response. It is retryable.
func transportError(ctx context.Context, target *url.URL, err error) error {
	// *url.Error repeats the URL, query string included, which may hold
	// credentials; the message names the redacted URL instead.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	// Keep the context's error in the chain even when the transport
	// reported the cancellation in its own words.
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		return fmt.Errorf("rest: POST %s: %w: %w", redact(target), ctxErr, err)
	}
	return fmt.Errorf("rest: POST %s: %w", redact(target), err)
}

func (c *Client) httpClient() *http.Client {
	hc := http.Client{}
	if c.HTTP != nil {
		hc = *c.HTTP
	}
	if hc.Transport == nil {
		hc.Transport = c.policy().Transport()
	}
	hc.Transport = c.traced(hc.Transport)
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// defaultPolicy is the policy of clients without one: the built-in
// refusals only. It is shared, so that its transport's connections are
// reused across clients, and nothing adds self addresses to it.
var defaultPolicy = func() *outbound.Policy {
	p, err := outbound.New(outbound.Config{})
	if err != nil {
		panic(err) // an empty configuration is always valid
	}
	return p
}()

func (c *Client) policy() *outbound.Policy {
	if c.Outbound != nil {
		return c.Outbound
	}
	return defaultPolicy
}

func (c *Client) maxResponseBytes() int64 {
	if c.MaxResponseBytes > 0 {
		return c.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) userAgent() string {
	if c.UserAgent != "" {
		return c.UserAgent
	}
	return DefaultUserAgent
}

// redact returns the URL for error messages: without user info, query or
// fragment, which may hold credentials.
func redact(u *url.URL) string {
	v := *u
	v.User = nil
	v.Fragment = ""
	v.RawFragment = ""
	s := ""
	if v.RawQuery != "" {
		s = "?…"
	}
	v.RawQuery = ""
	v.ForceQuery = false
	return v.String() + s
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if b <= ' ' || b >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, b) >= 0 {
			return false
		}
	}
	return true
}

func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}
