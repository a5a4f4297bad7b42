package outbound_test

import (
	"fmt"
	"net/netip"
	"net/url"

	"github.com/ordohq/ordo/outbound"
)

// A policy that keeps the defaults (loopback and private ranges reachable,
// link-local and cloud metadata refused) and also denies one network.
func Example() {
	p, err := outbound.New(outbound.Config{Deny: []string{"10.0.0.0/8"}})
	if err != nil {
		panic(err)
	}
	if err := p.RefuseSelf("127.0.0.1:8080"); err != nil { // ordo serve's own address
		panic(err)
	}
	for _, raw := range []string{
		"http://127.0.0.1:9000/orders",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.1.2.3/orders",
		"http://127.0.0.1:8080/v1/orders",
	} {
		u, _ := url.Parse(raw)
		fmt.Println(p.CheckURL(u))
	}
	// A name is checked against the address it resolved to when dialed.
	fmt.Println(p.Check("rebind.example", netip.MustParseAddrPort("[fd00:ec2::254]:80")))
	// Output:
	// <nil>
	// outbound request to 169.254.169.254:80 refused: link-local/cloud metadata address (allow it with --outbound-allow 169.254.169.254)
	// outbound request to 10.1.2.3:80 refused: denied by --outbound-deny 10.0.0.0/8
	// outbound request to 127.0.0.1:8080 refused: the server's own API address (Ordo never calls its own API through a flow step)
	// outbound request to rebind.example:80 ([fd00:ec2::254]:80) refused: cloud metadata address (allow it with --outbound-allow fd00:ec2::254)
}
