package outbound

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
)

// Check reports whether a connection to addr, which host resolved to, is
// allowed: nil, or a *RefusedError naming the rule. host is the name asked
// for; "" (or an IP literal) when there was none. Check does no I/O.
func (p *Policy) Check(host string, addr netip.AddrPort) error {
	target := addr.String()
	nameAllowed := false
	if host != "" {
		target = net.JoinHostPort(host, strconv.Itoa(int(addr.Port())))
		if !isAddr(host) {
			allowed, err := p.checkName(normalizeName(host), target)
			if err != nil {
				return err
			}
			nameAllowed = allowed
		}
	}
	return p.checkAddr(target, addr, nameAllowed)
}

// CheckURL checks what can be known of an http or https URL before any DNS
// lookup: its host name, or its address when the host is an IP literal.
// The connection is checked again when it is made (DialContext).
func (p *Policy) CheckURL(u *url.URL) error {
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("outbound: URL has no host: %w", ErrRefused)
	}
	var port uint64
	switch {
	case u.Port() != "":
		n, err := strconv.ParseUint(u.Port(), 10, 16)
		if err != nil {
			return fmt.Errorf("outbound: URL port %q: %w", u.Port(), err)
		}
		port = n
	case u.Scheme == "http":
		port = 80
	case u.Scheme == "https":
		port = 443
	default:
		return fmt.Errorf("outbound: URL scheme %q is not http or https: %w", u.Scheme, ErrRefused)
	}
	target := net.JoinHostPort(host, strconv.FormatUint(port, 10))
	if ip, err := netip.ParseAddr(host); err == nil {
		return p.checkAddr(target, netip.AddrPortFrom(ip, uint16(port)), false)
	}
	_, err := p.checkName(normalizeName(host), target)
	return err
}

// checkName applies the name rules to a normalized host name. allowed
// reports an Allow name entry, which lifts Deny address entries later.
func (p *Policy) checkName(name, target string) (allowed bool, err error) {
	if p.allow.matchName(name) != "" {
		return true, nil
	}
	if e := p.deny.matchName(name); e != "" {
		return false, &RefusedError{Target: target, Rule: "denied by --outbound-deny " + e}
	}
	if metadataNames[name] {
		return false, &RefusedError{Target: target, Rule: "cloud metadata host", Allow: name}
	}
	return false, nil
}

// checkAddr applies the address rules to addr, asked for as target.
func (p *Policy) checkAddr(target string, addr netip.AddrPort, nameAllowed bool) error {
	ip := addr.Addr().WithZone("").Unmap()
	refused := func(rule, allow string) error {
		e := &RefusedError{Target: target, Rule: rule, Allow: allow}
		if host, _, _ := net.SplitHostPort(target); !isAddr(host) {
			e.Addr = addr.String()
		}
		return e
	}
	if p.isSelf(ip, addr.Port()) {
		return refused("the server's own API address (Ordo never calls its own API through a flow step)", "")
	}
	if p.allow.matchAddr(ip) != "" {
		return nil
	}
	if r := builtinRule(ip); r != "" {
		return refused(r, ip.String())
	}
	if nameAllowed {
		return nil
	}
	if e := p.deny.matchAddr(ip); e != "" {
		return refused("denied by --outbound-deny "+e, "")
	}
	return nil
}

// isAddr reports whether host is an IP literal.
func isAddr(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}
