package outbound

import (
	"errors"
	"strings"
)

// ErrRefused is matched (errors.Is) by every *RefusedError.
var ErrRefused = errors.New("outbound: refused by the outbound policy")

// RefusedError is a connection the policy refused.
type RefusedError struct {
	// Target is the host and port asked for, as "host:port".
	Target string
	// Addr is the resolved address refused, as "ip:port"; empty when the
	// name itself was refused or when Target is already that address.
	Addr string
	// Rule says which rule refused it, e.g. "cloud metadata address" or
	// "denied by --outbound-deny 127.0.0.0/8".
	Rule string
	// Allow is the --outbound-allow (Config.Allow) entry that would lift
	// the refusal; empty when none would.
	Allow string
}

// Error names the target, the rule and, when there is one, the entry
// that lifts the refusal:
//
//	outbound request to 169.254.169.254:80 refused: link-local/cloud metadata address (allow it with --outbound-allow 169.254.169.254)
func (e *RefusedError) Error() string {
	var b strings.Builder
	b.WriteString("outbound request to ")
	b.WriteString(e.Target)
	if e.Addr != "" {
		b.WriteString(" (")
		b.WriteString(e.Addr)
		b.WriteString(")")
	}
	b.WriteString(" refused: ")
	b.WriteString(e.Rule)
	if e.Allow != "" {
		b.WriteString(" (allow it with --outbound-allow ")
		b.WriteString(e.Allow)
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether target is ErrRefused.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }
