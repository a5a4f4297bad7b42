package order

import (
	"unicode"
	"unicode/utf8"
)

// Bounds of an order's own text and numbers, checked at create.
const (
	// MaxTextChars is the most characters of a customer's name or an
	// item's SKU; neither may hold control characters (line breaks
	// included: both end up in e-mail subjects and the dashboard).
	MaxTextChars = 200
	// MaxEmailBytes is the longest customer e-mail address (RFC 5321).
	MaxEmailBytes = 254
	// MaxQuantity is the largest quantity of one item.
	MaxQuantity = 1_000_000
)

// checkText adds a problem to ps when v, the value of field, is longer
// than MaxTextChars or holds a control character.
func checkText(ps *problems, field, v string) {
	if n := utf8.RuneCountInString(v); n > MaxTextChars {
		ps.add(field, "is %d characters long; at most %d are allowed", n, MaxTextChars)
		return
	}
	for i, r := range v {
		if unicode.IsControl(r) {
			ps.add(field, "has the control character %U at byte %d; use printable text", r, i)
			return
		}
	}
}
