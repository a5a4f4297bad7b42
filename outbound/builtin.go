package outbound

import "net/netip"

// builtinAddr is an address range refused unless an Allow address entry
// covers it.
type builtinAddr struct {
	prefix netip.Prefix
	rule   string
}

// builtinAddrs are checked in order; the first match names the rule, so
// the metadata endpoints come before the ranges that hold them.
var builtinAddrs = []builtinAddr{
	{netip.MustParsePrefix("169.254.169.254/32"), "link-local/cloud metadata address"}, // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack
	{netip.MustParsePrefix("169.254.170.2/32"), "link-local/cloud metadata address"},   // AWS ECS task credentials
	{netip.MustParsePrefix("fd00:ec2::254/128"), "cloud metadata address"},             // AWS IMDS over IPv6
	{netip.MustParsePrefix("100.100.100.200/32"), "cloud metadata address"},            // Alibaba Cloud
	{netip.MustParsePrefix("168.63.129.16/32"), "cloud metadata address"},              // Azure WireServer
	{netip.MustParsePrefix("192.0.0.192/32"), "cloud metadata address"},                // Oracle Cloud Classic
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local address"},
	{netip.MustParsePrefix("fe80::/10"), "link-local address"},
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified address"}, // "this network": 0.0.0.0 reaches the local host
	{netip.MustParsePrefix("::/128"), "unspecified address"},
}

// metadataNames are the host names of cloud metadata services, refused
// before any DNS lookup unless an Allow name entry matches.
var metadataNames = map[string]bool{
	"metadata.google.internal":   true,
	"metadata.goog":              true,
	"metadata":                   true, // GCE's short name
	"instance-data":              true, // EC2
	"instance-data.ec2.internal": true,
	"metadata.tencentyun.com":    true,
}

// nat64 is the well-known NAT64 prefix (RFC 6052): its addresses reach the
// IPv4 address in their last four bytes.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// builtinRule returns the built-in rule refusing ip, or "".
func builtinRule(ip netip.Addr) string {
	if nat64.Contains(ip) {
		b := ip.As16()
		if r := builtinRule(netip.AddrFrom4([4]byte(b[12:]))); r != "" {
			return r + " (through NAT64)"
		}
	}
	for _, b := range builtinAddrs {
		if b.prefix.Contains(ip) {
			return b.rule
		}
	}
	return ""
}
