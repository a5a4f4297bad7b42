package api

import (
	"fmt"
	"net"
	"strings"

	"github.com/ordohq/ordo"
)

// hostSet is the allow-list of Host header values (Config.AllowedHosts).
type hostSet struct {
	// names are host names (lower case) accepted on any port.
	names map[string]bool
	// hostports are host:port pairs accepted on that port only.
	hostports map[string]bool
	// suffixes are ".example.com" for entries "*.example.com".
	suffixes []string
}

// newHostSet parses Config.AllowedHosts: "name", "name:port", "[v6]:port",
// or "*.domain" for every subdomain.
func newHostSet(list []string) (hostSet, error) {
	hs := hostSet{names: map[string]bool{}, hostports: map[string]bool{}}
	for _, e := range list {
		e = strings.ToLower(strings.TrimSpace(e))
		switch {
		case e == "":
			continue
		case e == "*":
			return hostSet{}, fmt.Errorf("%w: allowed host \"*\" would accept every name; leave the list empty instead", ordo.ErrInvalidArgument)
		case strings.HasPrefix(e, "*."):
			hs.suffixes = append(hs.suffixes, e[1:])
		case strings.Contains(e, "/"):
			return hostSet{}, fmt.Errorf("%w: allowed host %q: give a host name or host:port, not a URL", ordo.ErrInvalidArgument, e)
		default:
			if h, p, err := net.SplitHostPort(e); err == nil {
				hs.hostports[net.JoinHostPort(h, p)] = true
			} else {
				hs.names[strings.Trim(e, "[]")] = true
			}
		}
	}
	return hs, nil
}

func (hs hostSet) empty() bool {
	return len(hs.names) == 0 && len(hs.hostports) == 0 && len(hs.suffixes) == 0
}

// allows reports whether a request's Host header is on the list.
func (hs hostSet) allows(host string) bool {
	if hs.empty() {
		return true
	}
	host = strings.ToLower(host)
	name := host
	if h, p, err := net.SplitHostPort(host); err == nil {
		name = h
		if hs.hostports[net.JoinHostPort(h, p)] {
			return true
		}
	}
	name = strings.TrimSuffix(strings.Trim(name, "[]"), ".")
	if hs.names[name] {
		return true
	}
	for _, s := range hs.suffixes {
		if strings.HasSuffix(name, s) && len(name) > len(s) {
			return true
		}
	}
	return false
}
