package store

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
)

// MaxMatchFields bounds the fields of one EventMatch.
const MaxMatchFields = 16

// MaxMatchValueLen bounds one match value, in bytes of JSON.
const MaxMatchValueLen = 1024

// EventMatch is an event wait that only accepts events of Type whose
// payload is a JSON object holding every field of Fields, each equal to
// its value (top-level fields only; the values are JSON scalars: strings,
// numbers, booleans or null; numbers compare as numbers, so 1 equals 1.0).
type EventMatch struct {
	Type   string                     `json:"type"`
	Fields map[string]json.RawMessage `json:"match"`
}

// EventAwait is the event an event step waits for (Step.Await): its type
// and, for a wait with ordo.Match options, the top-level payload fields an
// event must have (nil: any event of the type).
type EventAwait struct {
	Type  string                     `json:"type"`
	Match map[string]json.RawMessage `json:"match,omitempty"`
}

// Clone returns a deep copy of a (nil for nil).
func (a *EventAwait) Clone() *EventAwait {
	if a == nil {
		return nil
	}
	c := &EventAwait{Type: a.Type}
	if a.Match != nil {
		c.Match = make(map[string]json.RawMessage, len(a.Match))
		for k, v := range a.Match {
			c.Match[k] = append(json.RawMessage(nil), v...)
		}
	}
	return c
}

// ValidateMatch checks m: a type, 1..MaxMatchFields fields with non-empty
// names, each value one JSON scalar of at most MaxMatchValueLen bytes.
func ValidateMatch(m EventMatch) error {
	if m.Type == "" {
		return &Error{Err: ErrInvalidArgument, Message: "event match: type is required"}
	}
	if len(m.Fields) == 0 || len(m.Fields) > MaxMatchFields {
		return &Error{Err: ErrInvalidArgument,
			Message: fmt.Sprintf("event match: %d fields, want 1..%d", len(m.Fields), MaxMatchFields)}
	}
	for name, v := range m.Fields {
		if name == "" {
			return &Error{Err: ErrInvalidArgument, Message: "event match: a field name is empty"}
		}
		if len(v) > MaxMatchValueLen {
			return &Error{Err: ErrInvalidArgument,
				Message: fmt.Sprintf("event match: field %q: value is %d bytes, more than %d", name, len(v), MaxMatchValueLen)}
		}
		if !isScalar(v) {
			return &Error{Err: ErrInvalidArgument,
				Message: fmt.Sprintf("event match: field %q: value must be a JSON string, number, boolean or null", name)}
		}
	}
	return nil
}

// isScalar reports whether v is one valid JSON scalar.
func isScalar(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || !json.Valid(v) {
		return false
	}
	return v[0] != '{' && v[0] != '['
}

// Matches reports whether payload satisfies m's fields (the type is the
// caller's to check). A payload that is not a JSON object matches nothing.
// Every backend and the engine decide matches through it (PostgreSQL's
// jsonb containment of scalar fields agrees with it).
func (m EventMatch) Matches(payload json.RawMessage) bool {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(payload, &obj); err != nil || obj == nil {
		return false
	}
	for name, want := range m.Fields {
		got, ok := obj[name]
		if !ok || !scalarEqual(got, want) {
			return false
		}
	}
	return true
}

// scalarEqual compares two JSON scalars: numbers by value, others by
// their decoded value.
func scalarEqual(a, b json.RawMessage) bool {
	a, b = bytes.TrimSpace(a), bytes.TrimSpace(b)
	if isNumber(a) && isNumber(b) {
		x, okx := new(big.Rat).SetString(string(a))
		y, oky := new(big.Rat).SetString(string(b))
		return okx && oky && x.Cmp(y) == 0
	}
	if !isScalar(a) || !isScalar(b) {
		return false
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return x == y
}

func isNumber(v []byte) bool {
	return len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9'))
}

// MatchesAny reports whether an event of eventType with payload satisfies
// one of ms.
func MatchesAny(ms []EventMatch, eventType string, payload json.RawMessage) bool {
	for _, m := range ms {
		if m.Type == eventType && m.Matches(payload) {
			return true
		}
	}
	return false
}

// EncodeAwait returns the JSON a backend stores for the awaited types and
// matches of a waiting instance: an array holding each type of types as a
// string and each match as an object {"type", "match"}; "" when both are
// empty.
func EncodeAwait(types []string, ms []EventMatch) (string, error) {
	if len(types) == 0 && len(ms) == 0 {
		return "", nil
	}
	all := make([]any, 0, len(types)+len(ms))
	for _, t := range types {
		all = append(all, t)
	}
	for _, m := range ms {
		if err := ValidateMatch(m); err != nil {
			return "", err
		}
		all = append(all, m)
	}
	b, err := json.Marshal(all)
	if err != nil {
		return "", fmt.Errorf("encode awaited events: %w", err)
	}
	return string(b), nil
}
