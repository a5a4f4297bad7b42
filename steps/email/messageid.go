package email

import (
	"strings"
)

// DefaultMessageIDDomain is the right-hand side MessageID uses when given
// an empty domain.
const DefaultMessageIDDomain = "ordo"

// MessageID returns a deterministic Message-ID (without angle brackets) for
// the e-mail a step sends: "<instance>.<step>@<domain>". The same instance
// and step always give the same ID, so a message resent after a crash can be
// recognised by the receiving systems and in the mailbox.
//
// Letters, digits, "-" and "_" are kept; every other byte, "." included, is
// written as "=" and two uppercase hex digits, so the result uses only
// characters valid in a msg-id and different inputs give different IDs. An
// empty instance or step is written as "=". The domain keeps its dots (empty
// labels are dropped) and defaults to DefaultMessageIDDomain.
func MessageID(instanceID, stepKey, domain string) string {
	var b strings.Builder
	escape(&b, instanceID)
	b.WriteByte('.')
	escape(&b, stepKey)
	b.WriteByte('@')
	n := b.Len()
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" {
			continue
		}
		if b.Len() > n {
			b.WriteByte('.')
		}
		escape(&b, label)
	}
	if b.Len() == n {
		b.WriteString(DefaultMessageIDDomain)
	}
	return b.String()
}

func escape(b *strings.Builder, s string) {
	if s == "" {
		b.WriteByte('=')
		return
	}
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('=')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xF])
		}
	}
}
