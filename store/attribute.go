package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Attribute is a search attribute of an instance (as Temporal's are): a
// key and a value, written with the instance (InstanceCreateParams) and
// matched exactly by InstanceListParams.Attributes. An instance may hold
// several values of one key (an order holds one "sku" per item).
type Attribute struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Bounds of search attributes.
const (
	// MaxAttributes is how many attributes one instance may hold.
	MaxAttributes = 64
	// MaxAttributeKeyBytes bounds a key: letters, digits and ._-: only.
	MaxAttributeKeyBytes = 64
	// MaxAttributeValueBytes bounds a value: UTF-8 text without NUL.
	MaxAttributeValueBytes = 256
	// MaxAttributeFilters is how many attributes one listing may match.
	MaxAttributeFilters = 8
)

// AttributeStore is the capability of a backend to change the search
// attributes of an existing instance (all three backends have it): when
// what they were derived from changes, as an order's document edited by a
// redrive.
type AttributeStore interface {
	// InstanceAttributes returns an instance's attributes sorted by key
	// and value (ErrNotFound if the instance does not exist).
	InstanceAttributes(ctx context.Context, instanceID string) ([]Attribute, error)
	// InstanceAttributesReplace replaces all of an instance's attributes
	// with attrs (checked and normalised by NormalizeAttributes) in one
	// transaction (ErrNotFound if the instance does not exist).
	InstanceAttributesReplace(ctx context.Context, instanceID string, attrs []Attribute) error
}

// checkAttribute checks one attribute (of an instance or a filter); field
// names where it came from in an error.
func checkAttribute(field string, a Attribute) error {
	if a.Key == "" || len(a.Key) > MaxAttributeKeyBytes {
		return fieldError(field, "attribute key %q must be 1 to %d bytes", clip(a.Key), MaxAttributeKeyBytes)
	}
	for i := 0; i < len(a.Key); i++ {
		if !attributeKeyChar(a.Key[i]) {
			return fieldError(field, "attribute key %q has the character %q; keys use letters, digits and ._-: only",
				clip(a.Key), rune(a.Key[i]))
		}
	}
	if len(a.Value) > MaxAttributeValueBytes || !utf8.ValidString(a.Value) || strings.IndexByte(a.Value, 0) >= 0 {
		return fieldError(field, "value of attribute %q must be at most %d bytes of UTF-8 text without NUL",
			a.Key, MaxAttributeValueBytes)
	}
	return nil
}

func attributeKeyChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '.', c == '_', c == '-', c == ':':
		return true
	}
	return false
}

// NormalizeAttributes checks an instance's attributes (at most
// MaxAttributes, each key and value within its bounds) and returns them
// sorted by key and value without duplicates, as backends store them. It
// returns nil for none. A problem is an *Error matching ErrInvalidArgument.
func NormalizeAttributes(attrs []Attribute) ([]Attribute, error) {
	if len(attrs) == 0 {
		return nil, nil
	}
	for _, a := range attrs {
		if err := checkAttribute("attributes", a); err != nil {
			return nil, err
		}
	}
	out := slices.Clone(attrs)
	slices.SortFunc(out, compareAttributes)
	out = slices.Compact(out)
	if len(out) > MaxAttributes {
		return nil, fieldError("attributes", "%d attributes; an instance may hold at most %d", len(out), MaxAttributes)
	}
	return out, nil
}

func compareAttributes(a, b Attribute) int {
	if c := strings.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	return strings.Compare(a.Value, b.Value)
}

// HasAttributes reports whether have (normalised, as NormalizeAttributes
// returns) holds every attribute of want: the InstanceList match.
func HasAttributes(have, want []Attribute) bool {
	for _, w := range want {
		if _, ok := slices.BinarySearchFunc(have, w, compareAttributes); !ok {
			return false
		}
	}
	return true
}

// fieldError is an *Error for an argument field.
func fieldError(field, format string, args ...any) *Error {
	return &Error{Err: ErrInvalidArgument, Field: field, Message: field + ": " + fmt.Sprintf(format, args...)}
}

// clip shortens text quoted in an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// CheckAttribute checks one attribute against the bounds of an instance's
// (NormalizeAttributes): a caller deriving attributes from data leaves out
// those that fail.
func CheckAttribute(a Attribute) error { return checkAttribute("attributes", a) }
