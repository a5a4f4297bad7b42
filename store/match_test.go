package store_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ordohq/ordo/store"
)

func TestEventMatch(t *testing.T) {
	m := func(fields ...string) store.EventMatch {
		out := store.EventMatch{Type: "paid", Fields: map[string]json.RawMessage{}}
		for i := 0; i < len(fields); i += 2 {
			out.Fields[fields[i]] = json.RawMessage(fields[i+1])
		}
		return out
	}
	tests := []struct {
		name    string
		match   store.EventMatch
		payload string
		want    bool
	}{
		{"string equal", m("orderId", `"B"`), `{"orderId":"B","n":1}`, true},
		{"string differs", m("orderId", `"B"`), `{"orderId":"A"}`, false},
		{"field missing", m("orderId", `"B"`), `{"id":"B"}`, false},
		{"number as number", m("total", `100`), `{"total":1e2}`, true},
		{"number differs", m("total", `100`), `{"total":100.5}`, false},
		{"string is not a number", m("total", `100`), `{"total":"100"}`, false},
		{"bool and null", m("ok", `true`, "note", `null`), `{"ok":true,"note":null}`, true},
		{"null is not missing", m("note", `null`), `{}`, false},
		{"all fields must hold", m("a", `1`, "b", `2`), `{"a":1,"b":3}`, false},
		{"array value", m("orderId", `"B"`), `{"orderId":["B"]}`, false},
		{"not an object", m("orderId", `"B"`), `["B"]`, false},
		{"no payload", m("orderId", `"B"`), ``, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.match.Matches(json.RawMessage(tc.payload)); got != tc.want {
				t.Errorf("Matches(%s) = %v, want %v", tc.payload, got, tc.want)
			}
		})
	}
}

func TestValidateMatch(t *testing.T) {
	long := make([]byte, store.MaxMatchValueLen+1)
	for i := range long {
		long[i] = '1'
	}
	many := store.EventMatch{Type: "paid", Fields: map[string]json.RawMessage{}}
	for i := range store.MaxMatchFields + 1 {
		many.Fields[string(rune('a'+i))] = json.RawMessage(`1`)
	}
	tests := []struct {
		name  string
		match store.EventMatch
		ok    bool
	}{
		{"scalar", store.EventMatch{Type: "paid", Fields: map[string]json.RawMessage{"id": json.RawMessage(`"x"`)}}, true},
		{"no type", store.EventMatch{Fields: map[string]json.RawMessage{"id": json.RawMessage(`1`)}}, false},
		{"no fields", store.EventMatch{Type: "paid"}, false},
		{"too many fields", many, false},
		{"object value", store.EventMatch{Type: "paid", Fields: map[string]json.RawMessage{"id": json.RawMessage(`{}`)}}, false},
		{"invalid JSON", store.EventMatch{Type: "paid", Fields: map[string]json.RawMessage{"id": json.RawMessage(`x`)}}, false},
		{"value too long", store.EventMatch{Type: "paid", Fields: map[string]json.RawMessage{"id": long}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := store.ValidateMatch(tc.match)
			if (err == nil) != tc.ok || (err != nil && !errors.Is(err, store.ErrInvalidArgument)) {
				t.Errorf("ValidateMatch = %v, want ok %v", err, tc.ok)
			}
		})
	}
}
