package flow

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// cancellableFlow charges, then notifies; a refund undoes the charge and
// an apology e-mail the notification. The refund and apology are reached
// only as compensations.
const cancellableFlow = `{
  "cancelStatus": "Refunded",
  "allowCancelAfterCompletion": true,
  "steps": [
    {"stepDefinitionId": "charge", "type": "consume-rest-api", "successStatus": "Paid",
     "options": {"uri": "https://pay.example/charge"}, "onSuccess": "notify", "onCompensate": "refund"},
    {"stepDefinitionId": "notify", "type": "send-email", "successStatus": "Notified",
     "options": {"recipients": ["a@example.com"], "subject": "s", "message": "m"}, "onCompensate": "apology"},
    {"stepDefinitionId": "refund", "type": "consume-rest-api", "successStatus": "Refunded",
     "options": {"uri": "https://pay.example/refund"}, "retries": {"limit": 2, "delay": "1s"}, "onSuccess": "after-refund"},
    {"stepDefinitionId": "apology", "type": "send-email", "successStatus": "Sorry",
     "options": {"recipients": ["a@example.com"], "subject": "Sorry", "message": "We cancelled your order."}, "onCompensate": null},
    {"stepDefinitionId": "after-refund", "type": "send-email", "successStatus": "X",
     "options": {"recipients": ["a@example.com"], "subject": "s", "message": "m"}}
  ]
}`

func TestParseCompensation(t *testing.T) {
	t.Parallel()
	res, err := Parse([]byte(cancellableFlow))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	d := res.Definition
	if d.Step("charge").OnCompensate != "refund" || d.Step("notify").OnCompensate != "apology" || d.Step("apology").OnCompensate != "" {
		t.Errorf("onCompensate: %q %q %q", d.Step("charge").OnCompensate, d.Step("notify").OnCompensate, d.Step("apology").OnCompensate)
	}
	if d.CancelStatus != "Refunded" || d.CancelledStatus() != "Refunded" || !d.AllowCancelAfterCompletion {
		t.Errorf("cancelStatus %q allow %v", d.CancelStatus, d.AllowCancelAfterCompletion)
	}
	// refund and apology are reached as compensations; the refund's own
	// onSuccess is not followed, so after-refund is unreachable.
	if len(res.Warnings) != 1 || res.Warnings[0].Code != CodeUnreachable || !strings.Contains(res.Warnings[0].Message, `"after-refund"`) {
		t.Errorf("warnings = %+v, want after-refund unreachable only", res.Warnings)
	}
	// The canonical form keeps the fields and reads back equal.
	b, err := Canonical(d)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse(canonical): %v\n%s", err, b)
	}
	if h1, h2 := mustHash(t, d), mustHash(t, again.Definition); h1 != h2 {
		t.Errorf("hash changed through the canonical form:\n%s", b)
	}
	if !bytes.Contains(b, []byte(`"onCompensate":"refund"`)) || !bytes.Contains(b, []byte(`"cancelStatus":"Refunded"`)) ||
		!bytes.Contains(b, []byte(`"allowCancelAfterCompletion":true`)) {
		t.Errorf("canonical form lost a field: %s", b)
	}
	if CancelledDefault := (&Definition{}).CancelledStatus(); CancelledDefault != DefaultCancelStatus {
		t.Errorf("default cancel status %q", CancelledDefault)
	}
}

func mustHash(t *testing.T, d *Definition) string {
	t.Helper()
	return Hash(d)
}

func TestParseCompensationInvalid(t *testing.T) {
	t.Parallel()
	step := func(extra string) string {
		return `[{"stepDefinitionId": "charge", "type": "consume-rest-api", "successStatus": "Paid",
			"options": {"uri": "https://pay.example/charge"}` + extra + `}]`
	}
	tests := []struct {
		name, doc, code, path, msg string
	}{
		{"unknown", step(`, "onCompensate": "refund"`), CodeUnknownStep, "/0/onCompensate", `onCompensate "refund" names no step`},
		{"empty", step(`, "onCompensate": ""`), CodeUnknownStep, "/0/onCompensate", "onCompensate is empty"},
		{"self", step(`, "onCompensate": "charge"`), CodeInvalidCompensation, "/0/onCompensate", "cannot compensate itself"},
		{"type", step(`, "onCompensate": 3`), CodeInvalidType, "/0/onCompensate", ""},
		{"typo", step(`, "oncompensate": "x"`), CodeUnknownField, "/0/oncompensate", `did you mean "onCompensate"`},
		{"cancelStatus type", `{"cancelStatus": true, "steps": ` + step("") + `}`, CodeInvalidType, "/cancelStatus", ""},
		{"cancelStatus control", `{"cancelStatus": "a\u0000b", "steps": ` + step("") + `}`, CodeInvalidValue, "/cancelStatus", ""},
		{"allow type", `{"allowCancelAfterCompletion": "yes", "steps": ` + step("") + `}`, CodeInvalidType, "/allowCancelAfterCompletion", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.doc))
			ve, ok := errors.AsType[*ValidationError](err)
			if !ok {
				t.Fatalf("Parse = %v, want a *ValidationError", err)
			}
			for _, p := range ve.Problems {
				if p.Code == tc.code && p.Path == tc.path && strings.Contains(p.Message, tc.msg) {
					return
				}
			}
			t.Errorf("problems %+v, want %s at %s containing %q", ve.Problems, tc.code, tc.path, tc.msg)
		})
	}
}

func TestSchemaCompensation(t *testing.T) {
	t.Parallel()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("mem://flow.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("mem://flow.json")
	if err != nil {
		t.Fatal(err)
	}
	validate := func(s string) error {
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(s))
		if err != nil {
			t.Fatal(err)
		}
		return sch.Validate(v)
	}
	if err := validate(cancellableFlow); err != nil {
		t.Errorf("the schema refuses a flow with onCompensate: %v", err)
	}
	if err := validate(`{"allowCancelAfterCompletion": 1, "steps": [{"stepDefinitionId": "a", "type": "send-email", "successStatus": "x", "options": {"recipients": ["a@example.com"], "subject": "s", "message": "m"}}]}`); err == nil {
		t.Error("the schema accepts a non-boolean allowCancelAfterCompletion")
	}
}
