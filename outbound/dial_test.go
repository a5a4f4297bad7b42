package outbound_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ordohq/ordo/outbound"
)

// resolver answers from a fixed table, so tests can make a name resolve
// to any address without DNS. An unknown name fails the test: the name
// rules must have refused it before any lookup.
type resolver struct {
	t     *testing.T
	addrs map[string][]netip.Addr
}

func (r *resolver) LookupNetIP(_ context.Context, network, host string) ([]netip.Addr, error) {
	a, ok := r.addrs[host]
	if !ok {
		r.t.Errorf("lookup of %s (%s): the policy should not have resolved it", host, network)
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return a, nil
}

// server is an httptest server on 127.0.0.1 that counts its requests.
type server struct {
	*httptest.Server
	hits atomic.Int64
}

func startServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	if h == nil {
		h = func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) port() string {
	_, port, _ := net.SplitHostPort(s.Listener.Addr().String())
	return port
}

// get GETs url through the policy's client and returns the body or the
// error.
func get(t *testing.T, p *outbound.Policy, url string) (string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.Client().Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// TestTransportEnforcesDeny: the same loopback server is reached under the
// default policy and refused, without a request, under a deny of
// 127.0.0.0/8; a name resolving there is refused at connect time.
func TestTransportEnforcesDeny(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	names := &resolver{t: t, addrs: map[string][]netip.Addr{"shop.test": {netip.MustParseAddr("127.0.0.1")}}}
	open := mustPolicy(t, outbound.Config{Resolver: names})
	deny := mustPolicy(t, outbound.Config{Resolver: names, Deny: []string{"127.0.0.0/8"}})
	byName := "http://shop.test:" + srv.port() + "/"

	for _, u := range []string{srv.URL, byName} {
		if body, err := get(t, open, u); err != nil || body != "ok" {
			t.Fatalf("GET %s, default policy: %q, %v; want ok", u, body, err)
		}
	}
	tests := []struct{ url, want string }{
		{srv.URL, fmt.Sprintf("outbound request to 127.0.0.1:%s refused: denied by --outbound-deny 127.0.0.0/8", srv.port())},
		{byName, fmt.Sprintf("outbound request to shop.test:%s (127.0.0.1:%s) refused: denied by --outbound-deny 127.0.0.0/8", srv.port(), srv.port())},
	}
	before := srv.hits.Load()
	for _, tt := range tests {
		_, err := get(t, deny, tt.url)
		checkRefusal(t, err, tt.want)
	}
	if n := srv.hits.Load() - before; n != 0 {
		t.Errorf("the server got %d requests under the deny policy, want 0", n)
	}
}

// TestDialTriesAllowedAddresses: a name with a refused and an allowed
// address connects to the allowed one; with only refused addresses the
// error is the first refusal.
func TestDialTriesAllowedAddresses(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	names := &resolver{t: t, addrs: map[string][]netip.Addr{
		"mixed.test":  {netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.1")},
		"denied.test": {netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")},
	}}
	p := mustPolicy(t, outbound.Config{Resolver: names, Deny: []string{"127.0.0.2", "127.0.0.3"}})
	if body, err := get(t, p, "http://mixed.test:"+srv.port()+"/"); err != nil || body != "ok" {
		t.Fatalf("GET mixed.test: %q, %v; want ok from 127.0.0.1", body, err)
	}
	_, err := get(t, p, "http://denied.test:"+srv.port()+"/")
	checkRefusal(t, err, "(127.0.0.2:"+srv.port()+") refused: denied by --outbound-deny 127.0.0.2")
}

// TestMetadataNameNotResolved: a metadata host name is refused before any
// DNS lookup (the resolver fails the test if asked).
func TestMetadataNameNotResolved(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, outbound.Config{Resolver: &resolver{t: t}})
	_, err := p.DialContext(t.Context(), "tcp", "metadata.google.internal:80")
	checkRefusal(t, err, "outbound request to metadata.google.internal:80 refused: cloud metadata host")
	_, err = p.DialContext(t.Context(), "udp", "127.0.0.1:53")
	if err == nil || !strings.Contains(err.Error(), `network "udp" is not supported`) {
		t.Errorf("udp dial: %v, want not supported", err)
	}
}

// TestRedirectToDeniedAddress: a redirect from an allowed server to a
// denied address is refused, whether the Location is the address itself
// (checked by CheckRedirect) or a name resolving to it (checked when
// dialed).
func TestRedirectToDeniedAddress(t *testing.T) {
	t.Parallel()
	var port string
	srv := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	port = srv.port()
	names := &resolver{t: t, addrs: map[string][]netip.Addr{"rebind.test": {netip.MustParseAddr("127.0.0.2")}}}
	p := mustPolicy(t, outbound.Config{Resolver: names, Deny: []string{"127.0.0.2/32"}})
	tests := []struct{ to, want string }{
		{"http://127.0.0.2:" + port + "/", "outbound request to 127.0.0.2:" + port + " refused: denied by --outbound-deny 127.0.0.2/32"},
		{"http://rebind.test:" + port + "/", "outbound request to rebind.test:" + port + " (127.0.0.2:" + port + ") refused: denied by --outbound-deny 127.0.0.2/32"},
		{"http://169.254.169.254/latest/meta-data/", "outbound request to 169.254.169.254:80 refused: link-local/cloud metadata address"},
	}
	for _, tt := range tests {
		_, err := get(t, p, srv.URL+"/?to="+url.QueryEscape(tt.to))
		checkRefusal(t, err, tt.want)
	}
	if n := srv.hits.Load(); n != int64(len(tests)) {
		t.Errorf("server got %d requests, want %d (only the first hop of each)", n, len(tests))
	}
}

// TestRefuseSelf: the server's own listen address is refused whatever the
// Allow entries; a wildcard listen address covers every local address
// with its port, and other ports stay reachable.
func TestRefuseSelf(t *testing.T) {
	t.Parallel()
	self := startServer(t, nil)
	other := startServer(t, nil)
	names := &resolver{t: t, addrs: map[string][]netip.Addr{"localhost": {netip.MustParseAddr("127.0.0.1")}}}
	tests := []struct {
		name   string
		listen string
	}{
		{"exact", self.Listener.Addr().String()},
		{"IPv4 wildcard", "0.0.0.0:" + self.port()},
		{"IPv6 wildcard", "[::]:" + self.port()},
		{"empty host", ":" + self.port()},
		{"localhost", "localhost:" + self.port()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := mustPolicy(t, outbound.Config{Resolver: names, Allow: []string{"127.0.0.0/8", "localhost"}})
			if err := p.RefuseSelf(tt.listen); err != nil {
				t.Fatal(err)
			}
			want := "refused: the server's own API address (Ordo never calls its own API through a flow step)"
			for _, u := range []string{self.URL, "http://localhost:" + self.port() + "/"} {
				_, err := get(t, p, u)
				checkRefusal(t, err, want)
			}
			if body, err := get(t, p, other.URL); err != nil || body != "ok" {
				t.Errorf("GET another port: %q, %v; want ok", body, err)
			}
		})
	}
	if n := self.hits.Load(); n != 0 {
		t.Errorf("own server got %d requests, want 0", n)
	}
}

// TestRefuseSelfInput: port 0 adds nothing; a host name other than
// localhost is an error.
func TestRefuseSelfInput(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, outbound.Config{})
	if err := p.RefuseSelf("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := p.Check("", netip.MustParseAddrPort("127.0.0.1:8080")); err != nil {
		t.Errorf("after RefuseSelf(port 0): %v, want nothing refused", err)
	}
	for _, bad := range []string{"shop.example.com:8080", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000"} {
		if err := p.RefuseSelf(bad); err == nil {
			t.Errorf("RefuseSelf(%q) = nil, want an error", bad)
		}
	}
	var re *outbound.RefusedError
	if err := p.RefuseSelf("[::1]:8080"); err != nil {
		t.Fatal(err)
	}
	if err := p.Check("", netip.MustParseAddrPort("[::1]:8080")); !errors.As(err, &re) {
		t.Errorf("[::1]:8080 after RefuseSelf: %v, want refused", err)
	}
}

// TestStandardResolver: with the default resolver the standard dialer
// resolves "localhost" itself, and its Control hook still checks every
// address it tries.
func TestStandardResolver(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	u := "http://localhost:" + srv.port() + "/"
	if body, err := get(t, mustPolicy(t, outbound.Config{}), u); err != nil || body != "ok" {
		t.Fatalf("GET %s, default policy: %q, %v; want ok", u, body, err)
	}
	_, err := get(t, mustPolicy(t, outbound.Config{Deny: []string{"127.0.0.0/8", "::1"}}), u)
	checkRefusal(t, err, "outbound request to localhost:"+srv.port()+" (")
	checkRefusal(t, err, ") refused: denied by --outbound-deny ")
	if n := srv.hits.Load(); n != 1 {
		t.Errorf("server got %d requests, want 1 (the allowed one)", n)
	}
}
