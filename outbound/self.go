package outbound

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// selfKind says which addresses a selfAddr stands for.
type selfKind int

const (
	selfExact    selfKind = iota // ip only
	selfLoopback                 // every loopback address
	selfAny                      // every address of this machine
)

// selfAddr is one listen address of the server.
type selfAddr struct {
	kind selfKind
	ip   netip.Addr
	port uint16
}

// RefuseSelf adds the server's own listen address, "host:port", to the
// addresses always refused, whatever the Allow entries. A host that is
// empty or unspecified (":8080", "0.0.0.0:8080", "[::]:8080") stands for
// every address of this machine with that port, "localhost" for its
// loopback addresses. Port 0 adds nothing, since the port is not known
// yet: call RefuseSelf again with the listener's address. Any other host
// name is an error; pass the listener's address (net.Listener.Addr).
func (p *Policy) RefuseSelf(hostport string) error {
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("outbound: listen address %q: %w", hostport, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return fmt.Errorf("outbound: listen address %q: port: %w", hostport, err)
	}
	if port == 0 {
		return nil
	}
	s := selfAddr{port: uint16(port)}
	switch ip, err := netip.ParseAddr(host); {
	case host == "":
		s.kind = selfAny
	case err == nil && ip.IsUnspecified():
		s.kind = selfAny
	case err == nil:
		s.ip = ip.WithZone("").Unmap()
	case strings.EqualFold(normalizeName(host), "localhost"):
		s.kind = selfLoopback
	default:
		return fmt.Errorf("outbound: listen address %q: host must be an IP address or localhost", hostport)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, have := range p.self {
		if have == s {
			return nil
		}
	}
	p.self = append(p.self, s)
	return nil
}

// isSelf reports whether the unmapped ip and port reach the server's own
// listener.
func (p *Policy) isSelf(ip netip.Addr, port uint16) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, s := range p.self {
		if s.port != port {
			continue
		}
		switch s.kind {
		case selfExact:
			if ip == s.ip {
				return true
			}
		case selfLoopback:
			if ip.IsLoopback() {
				return true
			}
		case selfAny:
			if ip.IsLoopback() || ip.IsUnspecified() || localAddr(ip) {
				return true
			}
		}
	}
	return false
}

// localAddr reports whether ip is an address of one of this machine's
// interfaces. When the interfaces cannot be listed it answers true: the
// check only runs for the server's own port, and refusing is the safe side.
func localAddr(ip netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return true
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		if local, ok := netip.AddrFromSlice(n.IP); ok && local.Unmap() == ip {
			return true
		}
	}
	return false
}
