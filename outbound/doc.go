// Package outbound decides which network addresses Ordo may connect to on
// behalf of a flow: the POSTs of REST steps and, later, outbound webhooks.
// A flow's URL is written by whoever can apply flows, so without a policy a
// flow could read a cloud provider's metadata service (and the machine's
// credentials with it) or call Ordo's own API.
//
// # Rules
//
// Every connection is checked where it is made: Policy.DialContext checks
// the host name, resolves it, and checks each address in the dialer's
// Control hook, just before the socket connects. A name that resolves to a
// refused address (DNS rebinding) and a redirect to one are refused like
// the address itself.
//
// A host name is checked first, before any DNS lookup:
//
//   - an Allow entry matching the name trusts it: the name checks below and
//     the Deny address entries are skipped for it;
//   - otherwise a Deny entry matching the name refuses it;
//   - otherwise the cloud metadata names (metadata.google.internal,
//     metadata.goog, metadata, instance-data, instance-data.ec2.internal,
//     metadata.tencentyun.com) are refused.
//
// Then every address, given as a literal or resolved, first match wins:
//
//  1. The server's own API address (RefuseSelf) is refused: Ordo never
//     calls its own API through a flow step. No entry lifts this.
//  2. An Allow entry that is an address or CIDR covering it: allowed.
//  3. Built-in refusals: link-local addresses (169.254.0.0/16, fe80::/10),
//     cloud metadata endpoints (169.254.169.254, 169.254.170.2,
//     fd00:ec2::254, 100.100.100.200, 168.63.129.16, 192.0.0.192) and
//     unspecified addresses (0.0.0.0/8, ::). A trusted name does not lift
//     these: trusting a name is not trusting every address its DNS may
//     answer.
//  4. The name was trusted by an Allow entry: allowed.
//  5. A Deny entry that is an address or CIDR covering it: refused.
//  6. Everything else, loopback and private ranges included: allowed.
//
// IPv4-mapped IPv6 addresses (::ffff:169.254.169.254) are checked as the
// IPv4 address they are, and addresses in the NAT64 prefix 64:ff9b::/96 as
// the IPv4 address they carry (for the built-in refusals).
//
// Entries are exact host names ("erp.example.com"), "*.example.com" (every
// name under example.com, not example.com itself), IP addresses and CIDRs
// ("10.0.0.0/8", "fd00::/8"). To reach only a few hosts, deny everything
// and allow those: Deny {"0.0.0.0/0", "::/0"}, Allow {"erp.example.com"}.
//
// A refused connection is a *RefusedError (errors.Is(err, ErrRefused))
// naming the rule; its message uses the names of ordo serve's flags
// (--outbound-allow, --outbound-deny), which fill Config.Allow and
// Config.Deny.
//
// Connections made through Transport never use HTTP_PROXY or HTTPS_PROXY:
// a proxy resolves names itself, and the policy could not check the
// address it connects to.
package outbound
