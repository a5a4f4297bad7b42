package outbound_test

import (
	"errors"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/ordohq/ordo/outbound"
)

func mustPolicy(t *testing.T, cfg outbound.Config) *outbound.Policy {
	t.Helper()
	p, err := outbound.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheck: the address rules and the name rules, on literals and on
// names with the address they resolved to.
func TestCheck(t *testing.T) {
	t.Parallel()
	open := outbound.Config{}
	tests := []struct {
		name string
		cfg  outbound.Config
		host string // "" for a bare address
		addr string
		want string // "" allowed, else a substring of the refusal
	}{
		{"public IPv4", open, "", "93.184.216.34:443", ""},
		{"loopback allowed by default", open, "", "127.0.0.1:8080", ""},
		{"IPv6 loopback allowed by default", open, "", "[::1]:8080", ""},
		{"private allowed by default", open, "", "10.1.2.3:80", ""},
		{"private IPv6 allowed by default", open, "", "[fd12::1]:80", ""},
		{"AWS metadata", open, "", "169.254.169.254:80",
			"outbound request to 169.254.169.254:80 refused: link-local/cloud metadata address (allow it with --outbound-allow 169.254.169.254)"},
		{"ECS task metadata", open, "", "169.254.170.2:80", "link-local/cloud metadata address"},
		{"link-local IPv4", open, "", "169.254.1.1:80", "refused: link-local address (allow it with --outbound-allow 169.254.1.1)"},
		{"link-local IPv6", open, "", "[fe80::1]:80", "link-local address"},
		{"link-local IPv6 with zone", open, "", "[fe80::1%eth0]:80", "link-local address"},
		{"AWS IPv6 metadata", open, "", "[fd00:ec2::254]:80", "cloud metadata address (allow it with --outbound-allow fd00:ec2::254)"},
		{"Alibaba metadata", open, "", "100.100.100.200:80", "cloud metadata address"},
		{"Azure WireServer", open, "", "168.63.129.16:80", "cloud metadata address"},
		{"unspecified IPv4", open, "", "0.0.0.0:8080", "unspecified address"},
		{"this network", open, "", "0.1.2.3:80", "unspecified address"},
		{"unspecified IPv6", open, "", "[::]:8080", "unspecified address"},
		{"IPv4-mapped metadata", open, "", "[::ffff:169.254.169.254]:80", "link-local/cloud metadata address"},
		{"IPv4-mapped unspecified", open, "", "[::ffff:0.0.0.0]:80", "unspecified address"},
		{"NAT64 metadata", open, "", "[64:ff9b::a9fe:a9fe]:80", "cloud metadata address (through NAT64)"},
		{"NAT64 public", open, "", "[64:ff9b::5db8:d822]:80", ""},
		{"metadata allowed by address", outbound.Config{Allow: []string{"169.254.169.254"}}, "", "169.254.169.254:80", ""},
		{"link-local allowed by CIDR", outbound.Config{Allow: []string{"169.254.0.0/16"}}, "", "169.254.9.9:80", ""},
		{"allowing one address lifts only it", outbound.Config{Allow: []string{"169.254.169.254"}}, "", "169.254.170.2:80", "link-local/cloud metadata address"},

		{"deny loopback CIDR", outbound.Config{Deny: []string{"127.0.0.0/8"}}, "", "127.0.0.1:8080",
			"outbound request to 127.0.0.1:8080 refused: denied by --outbound-deny 127.0.0.0/8"},
		{"deny IPv6 address", outbound.Config{Deny: []string{"::1"}}, "", "[::1]:80", "denied by --outbound-deny ::1"},
		{"deny bracketed IPv6 address", outbound.Config{Deny: []string{"[::1]"}}, "", "[::1]:80", "denied by --outbound-deny [::1]"},
		{"deny IPv4 covers IPv4-mapped", outbound.Config{Deny: []string{"10.0.0.0/8"}}, "", "[::ffff:10.9.9.9]:80", "denied by --outbound-deny 10.0.0.0/8"},
		{"deny IPv4-mapped CIDR covers IPv4", outbound.Config{Deny: []string{"::ffff:10.0.0.0/104"}}, "", "10.9.9.9:80", "denied by --outbound-deny ::ffff:10.0.0.0/104"},
		{"deny IPv6 CIDR", outbound.Config{Deny: []string{"fd00::/8"}}, "", "[fd12::1]:80", "denied by --outbound-deny fd00::/8"},
		{"deny another range", outbound.Config{Deny: []string{"10.0.0.0/8"}}, "", "192.168.1.1:80", ""},
		{"allow address beats deny CIDR", outbound.Config{Deny: []string{"10.0.0.0/8"}, Allow: []string{"10.1.2.3"}}, "", "10.1.2.3:80", ""},
		{"deny all", outbound.Config{Deny: []string{"0.0.0.0/0", "::/0"}}, "", "[2001:db8::1]:80", "denied by --outbound-deny ::/0"},

		{"name resolving to metadata", open, "evil.example", "169.254.169.254:80",
			"outbound request to evil.example:80 (169.254.169.254:80) refused: link-local/cloud metadata address"},
		{"name resolving to IPv4-mapped metadata", open, "evil.example", "[::ffff:169.254.169.254]:80", "link-local/cloud metadata address"},
		{"localhost resolving to loopback", open, "localhost", "127.0.0.1:80", ""},
		{"localhost resolving to denied loopback", outbound.Config{Deny: []string{"127.0.0.0/8"}}, "localhost", "127.0.0.1:80",
			"outbound request to localhost:80 (127.0.0.1:80) refused: denied by --outbound-deny 127.0.0.0/8"},
		{"metadata name", open, "metadata.google.internal", "10.0.0.1:80",
			"outbound request to metadata.google.internal:80 refused: cloud metadata host (allow it with --outbound-allow metadata.google.internal)"},
		{"metadata name, any case, trailing dot", open, "Metadata.Goog.", "10.0.0.1:80", "cloud metadata host"},
		{"metadata name allowed still checks its address", outbound.Config{Allow: []string{"metadata.google.internal"}}, "metadata.google.internal", "169.254.169.254:80",
			"link-local/cloud metadata address (allow it with --outbound-allow 169.254.169.254)"},
		{"denied name", outbound.Config{Deny: []string{"erp.example.com"}}, "ERP.example.com", "10.0.0.5:443", "refused: denied by --outbound-deny erp.example.com"},
		{"denied wildcard", outbound.Config{Deny: []string{"*.internal.example"}}, "db.eu.internal.example", "10.0.0.5:443", "denied by --outbound-deny *.internal.example"},
		{"wildcard does not cover the apex", outbound.Config{Deny: []string{"*.internal.example"}}, "internal.example", "10.0.0.5:443", ""},
		{"wildcard needs a dot", outbound.Config{Deny: []string{"*.example.com"}}, "badexample.com", "10.0.0.5:443", ""},
		{"allowed name beats denied wildcard", outbound.Config{Deny: []string{"*.example.com"}, Allow: []string{"api.example.com"}}, "api.example.com", "10.0.0.5:443", ""},
		{"allow list mode: allowed name", outbound.Config{Deny: []string{"0.0.0.0/0", "::/0"}, Allow: []string{"erp.example.com"}}, "erp.example.com", "10.0.0.5:443", ""},
		{"allow list mode: other name", outbound.Config{Deny: []string{"0.0.0.0/0", "::/0"}, Allow: []string{"erp.example.com"}}, "shop.example.com", "10.0.0.5:443", "denied by --outbound-deny 0.0.0.0/0"},
		{"allowed name never lifts link-local", outbound.Config{Allow: []string{"*.example.com"}}, "rebind.example.com", "169.254.169.254:80", "link-local/cloud metadata address"},
		{"IP literal as host", outbound.Config{Deny: []string{"127.0.0.0/8"}}, "127.0.0.1", "127.0.0.1:80", "outbound request to 127.0.0.1:80 refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := mustPolicy(t, tt.cfg)
			err := p.Check(tt.host, netip.MustParseAddrPort(tt.addr))
			checkRefusal(t, err, tt.want)
		})
	}
}

// checkRefusal fails unless err is nil (want "") or a *RefusedError whose
// message holds want.
func checkRefusal(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("refused: %v; want allowed", err)
		}
		return
	}
	var re *outbound.RefusedError
	if !errors.As(err, &re) || !errors.Is(err, outbound.ErrRefused) {
		t.Fatalf("err = %v (%T), want a *RefusedError", err, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %q, want it to contain %q", err, want)
	}
}

// TestCheckURL: what is refused before any DNS lookup.
func TestCheckURL(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, outbound.Config{Deny: []string{"erp.example.com", "10.0.0.0/8"}})
	tests := []struct {
		url  string
		want string
	}{
		{"https://shop.example.com/orders", ""},
		{"http://169.254.169.254/latest/meta-data/", "outbound request to 169.254.169.254:80 refused: link-local/cloud metadata address"},
		{"http://[::ffff:a9fe:a9fe]/", "outbound request to [::ffff:a9fe:a9fe]:80 refused: link-local/cloud metadata address (allow it with --outbound-allow 169.254.169.254)"},
		{"http://[fd00:ec2::254]:8080/", "outbound request to [fd00:ec2::254]:8080 refused: cloud metadata address"},
		{"http://metadata.google.internal/computeMetadata/v1/", "outbound request to metadata.google.internal:80 refused: cloud metadata host"},
		{"https://metadata.google.internal./", "cloud metadata host"},
		{"https://erp.example.com/", "outbound request to erp.example.com:443 refused: denied by --outbound-deny erp.example.com"},
		{"http://10.1.1.1:9000/", "denied by --outbound-deny 10.0.0.0/8"},
		{"http://0.0.0.0:8080/", "unspecified address"},
		// A name is not resolved here: its addresses are checked when dialed.
		{"http://localhost:8080/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			t.Parallel()
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			checkRefusal(t, p.CheckURL(u), tt.want)
		})
	}
}

// TestNewRejectsBadEntries: every entry that is not a name, wildcard,
// address or CIDR is an error naming the list and the entry.
func TestNewRejectsBadEntries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cfg  outbound.Config
		want string
	}{
		{outbound.Config{Allow: []string{"http://erp.example.com"}}, `outbound allow entry "http://erp.example.com": not a CIDR`},
		{outbound.Config{Deny: []string{"erp.example.com:443"}}, `outbound deny entry "erp.example.com:443": not a host name`},
		{outbound.Config{Deny: []string{"10.0.0.0/33"}}, `outbound deny entry "10.0.0.0/33": not a CIDR`},
		{outbound.Config{Deny: []string{"*"}}, `outbound deny entry "*"`},
		{outbound.Config{Deny: []string{"a..b"}}, `outbound deny entry "a..b"`},
		{outbound.Config{Deny: []string{"bücher.example"}}, `IDNs in punycode`},
		{outbound.Config{Deny: []string{strings.Repeat("a", 254)}}, `not a host name`},
		{outbound.Config{Deny: []string{strings.TrimSuffix(strings.Repeat("a,", outbound.MaxEntries+1), ",")}}, `outbound deny list: more than 1000 entries`},
	}
	for _, tt := range tests {
		_, err := outbound.New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%.60v) = %v, want an error containing %q", tt.cfg, err, tt.want)
		}
	}
}

// TestNewSplitsCommas: "a,b" in one entry is two entries, blanks ignored.
func TestNewSplitsCommas(t *testing.T) {
	t.Parallel()
	p := mustPolicy(t, outbound.Config{Deny: []string{" 10.0.0.0/8 , erp.example.com,,"}})
	checkRefusal(t, p.Check("", netip.MustParseAddrPort("10.0.0.1:80")), "denied by --outbound-deny 10.0.0.0/8")
	checkRefusal(t, p.Check("erp.example.com", netip.MustParseAddrPort("192.168.0.1:80")), "denied by --outbound-deny erp.example.com")
}
