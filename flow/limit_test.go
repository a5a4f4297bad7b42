package flow

import (
	"errors"
	"strings"
	"testing"
)

const limitedFlow = `{"steps": [
  {"stepDefinitionId": "push", "type": "consume-rest-api", "successStatus": "Pushed",
   "options": {"uri": "https://erp.example/orders"}, "limit": "erp", "onSuccess": "pay"},
  {"stepDefinitionId": "pay", "type": "consume-rest-api", "successStatus": "Paid",
   "options": {"uri": "https://pay.example/charge"}, "limit": null}
]}`

// TestParseLimit: a step's limit is read, written back, and checked
// against the declared limits when ParseOptions.Limits is set.
func TestParseLimit(t *testing.T) {
	t.Parallel()
	res, err := Parse([]byte(limitedFlow))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if got := res.Definition.Step("push").Limit; got != "erp" {
		t.Errorf("push limit = %q, want erp", got)
	}
	if got := res.Definition.Step("pay").Limit; got != "" {
		t.Errorf("pay limit = %q, want none", got)
	}
	canonical, err := Canonical(res.Definition)
	if err != nil || !strings.Contains(string(canonical), `"limit":"erp"`) {
		t.Errorf("Canonical = %s, %v; want the limit kept", canonical, err)
	}
	declared := func(name string) bool { return name == "payments" }
	_, err = ParseWith([]byte(limitedFlow), &ParseOptions{Limits: declared})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Code != CodeUnknownLimit ||
		ve.Problems[0].Path != "/steps/0/limit" || ve.Problems[0].Step != "push" {
		t.Fatalf("ParseWith with erp undeclared: %v, want one unknown_limit at /steps/0/limit", err)
	}
	bad := strings.Replace(limitedFlow, `"limit": "erp"`, `"limit": "no spaces"`, 1)
	if _, err := Parse([]byte(bad)); !errors.As(err, &ve) || ve.Problems[0].Path != "/steps/0/limit" {
		t.Errorf("Parse with a malformed limit name: %v, want a problem at /steps/0/limit", err)
	}
}
