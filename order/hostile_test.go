package order_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// internals are the marks of a message that speaks of Ordo's insides, not
// of what the caller sent: package prefixes and Go type names.
var internals = regexp.MustCompile(`\b(order|ordo|store|sqlite|mesh|json): |interface \{\}|map\[|\[\]any|\((bool|int|float64|string)\)`)

// TestHostileOrderBodiesAnsweredForTheCaller: bodies a hostile or careless
// client sends are refused with 400 and a message that says what is wrong in
// the caller's terms.
func TestHostileOrderBodiesAnsweredForTheCaller(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	f.apply("seed", seedFlow(t, f.rest.URL))
	item := func(params string) string {
		return `{"flow": "seed", "customer": {"email": "a@example.com"}, "items": [{"sku": "R", "quantity": 1,
			"product": {"template": "ring", "parameters": ` + params + `}}]}`
	}
	tests := []struct {
		name, body, want string
	}{
		{"empty", ``, "empty"},
		{"blank", ` `, "empty"},
		{"trailing garbage", `{}garbage`, "unexpected data after the JSON object"},
		{"two objects", `{}{}`, "unexpected data after the JSON object"},
		{"array", `[]`, "expected an object"},
		{"parameter an array", item(`{"size": []}`), "an array is not a number"},
		{"parameter an object", item(`{"size": {}}`), "an object is not a number"},
		{"parameter a boolean", item(`{"size": true}`), "true is not a number"},
		{"parameter NaN", item(`{"size": "NaN"}`), "not a finite number"},
		{"parameter huge", item(`{"size": 1e308}`), "out of range"},
		{"flow with NUL", `{"flow": "a\u0000b", "customer": {"email": "a@example.com"}, "items": [{"sku": "X", "quantity": 1}]}`, "flow: flow name"},
		{"flow with slash", `{"flow": "flow/seed", "customer": {"email": "a@example.com"}, "items": [{"sku": "X", "quantity": 1}]}`, "flow: flow name"},
		{"name with NUL", `{"flow": "seed", "customer": {"name": "A\u0000", "email": "a@example.com"}, "items": [{"sku": "X", "quantity": 1}]}`, "customer.name: has the control character U+0000"},
		{"name with a line break", `{"flow": "seed", "customer": {"name": "A\r\nBcc: x@example.com", "email": "a@example.com"}, "items": [{"sku": "X", "quantity": 1}]}`, "customer.name: has the control character U+000D"},
		{"name huge", `{"flow": "seed", "customer": {"name": "` + strings.Repeat("n", 201) + `", "email": "a@example.com"}, "items": [{"sku": "X", "quantity": 1}]}`, "customer.name: is 201 characters long"},
		{"email huge", `{"flow": "seed", "customer": {"email": "` + strings.Repeat("a", 300) + `@example.com"}, "items": [{"sku": "X", "quantity": 1}]}`, "customer.email: is 312 bytes long"},
		{"sku with NUL", `{"flow": "seed", "customer": {"email": "a@example.com"}, "items": [{"sku": "X\u0000", "quantity": 1}]}`, "items[0].sku: has the control character"},
		{"quantity huge", `{"flow": "seed", "customer": {"email": "a@example.com"}, "items": [{"sku": "X", "quantity": 9007199254740993}]}`, "items[0].quantity: must be between 1 and 1000000"},
		{"quantity negative", `{"flow": "seed", "customer": {"email": "a@example.com"}, "items": [{"sku": "X", "quantity": -1}]}`, "items[0].quantity: must be between 1 and 1000000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := f.do("POST", "/v1/orders", tc.body)
			e := decode[apiError](t, raw)
			if status != http.StatusBadRequest || !strings.Contains(e.Error.Message, tc.want) {
				t.Errorf("%d %s; want 400 saying %q", status, raw, tc.want)
			}
			if m := internals.FindString(strings.ReplaceAll(string(raw), "invalid order: ", "")); m != "" {
				t.Errorf("answer %s speaks of internals (%q)", raw, m)
			}
		})
	}
}
