package rest_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/outbound"
	"github.com/ordohq/ordo/steps/rest"
)

// TestPostOutboundPolicy: the same server on 127.0.0.1 is reached or
// refused by the client's outbound policy; a refusal is non-retryable,
// names the rule, and sends nothing.
func TestPostOutboundPolicy(t *testing.T) {
	t.Parallel()
	b := setup(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/redirect" {
			w.Header().Set("Location", "http://169.254.169.254/latest/meta-data/")
			w.WriteHeader(http.StatusTemporaryRedirect)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	_, port, _ := net.SplitHostPort(b.srv.Listener.Addr().String())
	self, err := outbound.New(outbound.Config{Allow: []string{"127.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := self.RefuseSelf(b.srv.Listener.Addr().String()); err != nil {
		t.Fatal(err)
	}
	policy := func(cfg outbound.Config) *outbound.Policy {
		p, err := outbound.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name   string
		policy *outbound.Policy
		url    string
		want   string // "" for success
	}{
		{"default policy allows loopback", nil, b.srv.URL + "/hook", ""},
		{"denied CIDR", policy(outbound.Config{Deny: []string{"127.0.0.0/8"}}), b.srv.URL + "/hook?token=secret",
			"rest: POST " + b.srv.URL + "/hook?…: outbound request to 127.0.0.1:" + port + " refused: denied by --outbound-deny 127.0.0.0/8"},
		{"name resolving to a denied address", policy(outbound.Config{Deny: []string{"127.0.0.0/8", "::1"}}), "http://localhost:" + port + "/hook",
			"outbound request to localhost:" + port + " ("},
		{"denied name", policy(outbound.Config{Deny: []string{"localhost"}}), "http://localhost:" + port + "/hook",
			"outbound request to localhost:" + port + " refused: denied by --outbound-deny localhost"},
		{"metadata address by default", nil, "http://169.254.169.254/latest/meta-data/",
			"rest: POST http://169.254.169.254/latest/meta-data/: outbound request to 169.254.169.254:80 refused: link-local/cloud metadata address (allow it with --outbound-allow 169.254.169.254)"},
		{"metadata name by default", nil, "http://metadata.google.internal/computeMetadata/v1/",
			"outbound request to metadata.google.internal:80 refused: cloud metadata host"},
		{"own address, even when allowed", self, b.srv.URL + "/hook",
			"refused: the server's own API address (Ordo never calls its own API through a flow step)"},
		{"redirect to a refused address is not followed", nil, b.srv.URL + "/redirect",
			"status 307 Temporary Redirect, redirect to http://169.254.169.254/latest/meta-data/ not followed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &rest.Client{Outbound: tt.policy}
			before := len(b.received())
			resp, err := c.Post(context.Background(), &rest.Request{URL: tt.url, Body: []byte(`{}`), IdempotencyKey: "k"})
			if tt.want == "" {
				if err != nil || resp.Status != http.StatusOK {
					t.Fatalf("Post: %v, want 200", err)
				}
				return
			}
			if !ordo.IsNonRetryable(err) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Post error %v; want non-retryable containing %q", err, tt.want)
			}
			if strings.Contains(tt.name, "redirect") {
				if n := len(b.received()) - before; n != 1 {
					t.Errorf("server got %d requests, want only the one redirected", n)
				}
				return
			}
			if !errors.Is(err, outbound.ErrRefused) {
				t.Errorf("error %v does not wrap outbound.ErrRefused", err)
			}
			if n := len(b.received()) - before; n != 0 {
				t.Errorf("server got %d requests, want none", n)
			}
		})
	}
}
