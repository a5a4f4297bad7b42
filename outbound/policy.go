package outbound

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
)

// MaxEntries is the largest number of entries Config.Allow and Config.Deny
// may each hold.
const MaxEntries = 1000

// maxNameLen is the longest host name (RFC 1035).
const maxNameLen = 253

// Resolver looks up the addresses of a host name; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Config is what a Policy is built from.
type Config struct {
	// Allow lists host names ("erp.example.com", "*.example.com"), IP
	// addresses and CIDRs that are reachable even when a Deny entry or a
	// built-in refusal would refuse them (see the package documentation
	// for which entries lift which refusals). Each entry may also be a
	// comma-separated list. Default: none.
	Allow []string
	// Deny lists host names, IP addresses and CIDRs that are refused, in
	// the same forms as Allow; an Allow entry that matches wins. Default:
	// none, so loopback and private ranges are reachable.
	Deny []string
	// Resolver looks up host names. Default: net.DefaultResolver.
	Resolver Resolver
	// DialTimeout bounds each TCP connect. Default: 30 seconds.
	DialTimeout time.Duration
}

// Policy checks outbound connections; build one with New. It is safe for
// concurrent use.
type Policy struct {
	allow, deny rules
	resolver    Resolver
	stdResolver bool // resolver is a *net.Resolver: the dialer resolves
	dialer      net.Dialer

	mu   sync.RWMutex
	self []selfAddr

	transportOnce sync.Once
	transport     *http.Transport
}

// rules are the parsed entries of one list.
type rules struct {
	names    map[string]string // exact name -> entry
	suffixes []suffixRule      // "*.example.com" as ".example.com"
	prefixes []prefixRule
}

type suffixRule struct{ suffix, entry string }

type prefixRule struct {
	prefix netip.Prefix
	entry  string
}

// New checks cfg and returns its policy. An entry that is not a host
// name, "*.domain", IP address or CIDR is an error naming it.
func New(cfg Config) (*Policy, error) {
	p := &Policy{resolver: cfg.Resolver}
	if p.resolver == nil {
		p.resolver = net.DefaultResolver
	}
	var err error
	if p.allow, err = parseRules("allow", cfg.Allow); err != nil {
		return nil, err
	}
	if p.deny, err = parseRules("deny", cfg.Deny); err != nil {
		return nil, err
	}
	p.dialer = net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second, ControlContext: p.control}
	if p.dialer.Timeout <= 0 {
		p.dialer.Timeout = 30 * time.Second
	}
	if r, ok := p.resolver.(*net.Resolver); ok {
		// The standard dialer resolves and races IPv6 against IPv4
		// (RFC 8305); its Control hook checks every address it tries.
		p.dialer.Resolver = r
		p.stdResolver = true
	}
	return p, nil
}

// parseRules parses the entries of the list called list ("allow" or
// "deny").
func parseRules(list string, entries []string) (rules, error) {
	r := rules{names: map[string]string{}}
	n := 0
	for _, e := range entries {
		for _, entry := range strings.Split(e, ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			if n++; n > MaxEntries {
				return rules{}, fmt.Errorf("outbound %s list: more than %d entries", list, MaxEntries)
			}
			if err := r.add(entry); err != nil {
				return rules{}, fmt.Errorf("outbound %s entry %q: %w", list, entry, err)
			}
		}
	}
	return r, nil
}

func (r *rules) add(entry string) error {
	if strings.Contains(entry, "/") {
		pfx, err := netip.ParsePrefix(entry)
		if err != nil {
			return fmt.Errorf("not a CIDR (want e.g. 10.0.0.0/8 or fd00::/8): %w", err)
		}
		r.prefixes = append(r.prefixes, prefixRule{unmapPrefix(pfx.Masked()), entry})
		return nil
	}
	if ip, err := netip.ParseAddr(strings.Trim(entry, "[]")); err == nil {
		ip = ip.WithZone("").Unmap()
		r.prefixes = append(r.prefixes, prefixRule{netip.PrefixFrom(ip, ip.BitLen()), entry})
		return nil
	}
	name := normalizeName(entry)
	wildcard := strings.HasPrefix(name, "*.")
	if wildcard {
		name = name[2:]
	}
	if !validName(name) {
		return fmt.Errorf("not a host name, *.domain, IP address or CIDR (no scheme, port or path; IDNs in punycode)")
	}
	if wildcard {
		r.suffixes = append(r.suffixes, suffixRule{"." + name, entry})
	} else {
		r.names[name] = entry
	}
	return nil
}

// unmapPrefix turns an IPv4-mapped IPv6 prefix (::ffff:10.0.0.0/104) into
// the IPv4 prefix it covers, since addresses are checked unmapped.
func unmapPrefix(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}

// matchName returns the entry matching the normalized name, or "".
func (r *rules) matchName(name string) string {
	if e, ok := r.names[name]; ok {
		return e
	}
	for _, s := range r.suffixes {
		if strings.HasSuffix(name, s.suffix) {
			return s.entry
		}
	}
	return ""
}

// matchAddr returns the entry covering the unmapped ip, or "".
func (r *rules) matchAddr(ip netip.Addr) string {
	for _, p := range r.prefixes {
		if p.prefix.Contains(ip) {
			return p.entry
		}
	}
	return ""
}

// normalizeName lowercases a host name and drops the trailing dot of a
// fully qualified name, so "Metadata.Google.Internal." matches.
func normalizeName(name string) string {
	return strings.TrimSuffix(strings.ToLower(name), ".")
}

// validName reports whether name is a syntactically valid host name.
func validName(name string) bool {
	if name == "" || len(name) > maxNameLen {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
