package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"syscall"
)

// maxAddrs is how many of a name's addresses DialContext tries.
const maxAddrs = 16

// maxRedirects is how many redirects Client follows.
const maxRedirects = 10

// dialKey is the context key of the dialInfo that DialContext hands to the
// dialer's Control hook.
type dialKey struct{}

// dialInfo is what the Control hook needs to know of the dial.
type dialInfo struct {
	target      string // host:port asked for
	nameAllowed bool   // an Allow name entry matched the host
}

// DialContext connects like net.Dialer.DialContext after checking the
// policy: the host name before it is resolved, and each resolved address
// in the dialer's Control hook, just before the socket connects, so what
// is checked is exactly what is connected to. With a Config.Resolver that
// is not a *net.Resolver, the addresses are tried one after the other. Only "tcp", "tcp4" and
// "tcp6" are supported. A refusal is a *RefusedError.
func (p *Policy) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	lookup, ok := map[string]string{"tcp": "ip", "tcp4": "ip4", "tcp6": "ip6"}[network]
	if !ok {
		return nil, fmt.Errorf("outbound: dial %s: network %q is not supported", address, network)
	}
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("outbound: dial %s: %w", address, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("outbound: dial %s: port: %w", address, err)
	}
	info := dialInfo{target: net.JoinHostPort(host, portStr)}
	var ips []netip.Addr
	if ip, err := netip.ParseAddr(host); err == nil {
		ips = []netip.Addr{ip}
	} else {
		if info.nameAllowed, err = p.checkName(normalizeName(host), info.target); err != nil {
			return nil, err
		}
		if p.stdResolver {
			conn, err := p.dialer.DialContext(context.WithValue(ctx, dialKey{}, info), network, address)
			return conn, refusal(err)
		}
		if ips, err = p.resolver.LookupNetIP(ctx, lookup, host); err != nil {
			return nil, fmt.Errorf("outbound: dial %s: %w", address, err)
		}
		if len(ips) == 0 {
			return nil, fmt.Errorf("outbound: dial %s: %s has no address", address, host)
		}
		ips = ips[:min(len(ips), maxAddrs)]
	}
	ctx = context.WithValue(ctx, dialKey{}, info)
	var first error
	for _, ip := range ips {
		conn, err := p.dialer.DialContext(ctx, network, netip.AddrPortFrom(ip, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, refusal(first)
}

// refusal returns the *RefusedError in err's chain, without the dialer's
// wrapping, or err itself.
func refusal(err error) error {
	if re, ok := errors.AsType[*RefusedError](err); ok {
		return re
	}
	return err
}

// control is the dialer's Control hook: it checks the address the socket
// is about to connect to.
func (p *Policy) control(ctx context.Context, _, address string, _ syscall.RawConn) error {
	info, _ := ctx.Value(dialKey{}).(dialInfo)
	addr, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("outbound: connect to %s: unreadable address: %w", address, ErrRefused)
	}
	if info.target == "" {
		info.target = addr.String()
	}
	return p.checkAddr(info.target, addr, info.nameAllowed)
}

// Transport returns an HTTP transport that connects through DialContext
// and never through a proxy; otherwise it is a clone of
// http.DefaultTransport. It is made once per policy and shared: Clone it
// to change its settings.
func (p *Policy) Transport() *http.Transport {
	p.transportOnce.Do(func() {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = nil
		t.DialContext = p.DialContext
		t.DialTLSContext = nil
		p.transport = t
	})
	return p.transport
}

// CheckRedirect is an http.Client CheckRedirect function: it checks the
// URL of every redirect (the connection it leads to is checked again when
// it is dialed) and stops after 10 redirects.
func (p *Policy) CheckRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("outbound: stopped after %d redirects", maxRedirects)
	}
	return p.CheckURL(req.URL)
}

// Client returns an HTTP client on Transport that follows redirects
// through CheckRedirect, with no overall timeout (bound each request with
// its context).
func (p *Policy) Client() *http.Client {
	return &http.Client{Transport: p.Transport(), CheckRedirect: p.CheckRedirect}
}
