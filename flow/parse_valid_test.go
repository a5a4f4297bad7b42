package flow

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSeedExample(t *testing.T) {
	t.Parallel()
	seed, err := os.ReadFile("testdata/seed.json")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../examples/orderflow/flow.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(seed, example) {
		t.Error("examples/orderflow/flow.json differs from flow/testdata/seed.json; both must be the seed's example verbatim")
	}
	res, err := Parse(seed)
	if err != nil {
		t.Fatalf("Parse(seed) = %v", err)
	}
	if len(res.Problems) != 0 || len(res.Warnings) != 0 {
		t.Fatalf("problems %v, warnings %v; want none", res.Problems, res.Warnings)
	}
	want := &Definition{Steps: []*StepDefinition{
		{ID: "generate", Type: TypeGenerateProductionFiles, SuccessStatus: "In progress",
			Options: []byte(`{"fileFormat":"stl"}`), OnSuccess: "consume", OnError: "error"},
		{ID: "consume", Type: TypeConsumeRestAPI, SuccessStatus: "In progress",
			Options: []byte(`{"uri":"https://httpbin.org/anything"}`), OnSuccess: "email", OnError: "error"},
		{ID: "email", Type: TypeSendEmail, SuccessStatus: "Success",
			Options: []byte(`{"message":"Success message","recipients":["neil.benin@twikit.com"],"subject":"Success subject"}`), OnError: "error"},
		{ID: "error", Type: TypeSendEmail, SuccessStatus: "Failed",
			Options: []byte(`{"message":"Error message","recipients":["neil.benin@twikit.com"],"subject":"Error subject"}`)},
	}}
	if diff := cmp.Diff(want, res.Definition); diff != "" {
		t.Errorf("definition (-want +got):\n%s", diff)
	}
	if first := res.Definition.First(); first == nil || first.ID != "generate" {
		t.Errorf("First() = %+v, want the generate step", first)
	}
	if s := res.Definition.Step("email"); s == nil || s.SuccessStatus != "Success" {
		t.Errorf(`Step("email") = %+v`, s)
	}
	if s := res.Definition.Step("nope"); s != nil {
		t.Errorf(`Step("nope") = %+v, want nil`, s)
	}
}

func TestParseValid(t *testing.T) {
	t.Parallel()
	three := 3
	zero := 0
	tests := []struct {
		name string
		doc  string
		want *Definition
	}{
		{"object form with every field", `{
			"description": "Print & ship <fast>",
			"steps": [
				{"stepDefinitionId": "files", "type": "generate-production-files", "successStatus": "Printing",
				 "options": {"fileFormat": "obj"}, "timeout": 1500.5, "onSuccess": "notify", "onError": null,
				 "retries": {"limit": 3, "delay": "10 seconds", "backoff": "linear"}},
				{"stepDefinitionId": "notify", "type": "send-email", "successStatus": "Shipped",
				 "options": {"subject": "Order {{.Order.ID}}", "recipients": ["{{.Order.Customer.Email}}", "Shop <shop@example.com>"],
				             "message": "Hi {{.Order.Customer.Name}}, <b>shipped</b>", "attachProductionFiles": true},
				 "timeout": "2m", "onSuccess": null, "retries": {"limit": 0}},
				{"stepDefinitionId": "post", "type": "consume-rest-api", "successStatus": "Posted",
				 "options": {"uri": "HTTP://example.com:8080/orders?x=1"}, "timeout": "1 day", "retries": null, "onError": "notify"}
			]}`,
			&Definition{Description: "Print & ship <fast>", Steps: []*StepDefinition{
				{ID: "files", Type: TypeGenerateProductionFiles, SuccessStatus: "Printing",
					Options: []byte(`{"fileFormat":"obj"}`), Timeout: 1500*time.Millisecond + 500*time.Microsecond,
					OnSuccess: "notify", Retries: &RetryPolicy{Limit: &three, Delay: 10 * time.Second, Backoff: BackoffLinear}},
				{ID: "notify", Type: TypeSendEmail, SuccessStatus: "Shipped",
					Options: []byte(`{"attachProductionFiles":true,"message":"Hi {{.Order.Customer.Name}}, <b>shipped</b>","recipients":["{{.Order.Customer.Email}}","Shop <shop@example.com>"],"subject":"Order {{.Order.ID}}"}`),
					Timeout: 2 * time.Minute, Retries: &RetryPolicy{Limit: &zero}},
				{ID: "post", Type: TypeConsumeRestAPI, SuccessStatus: "Posted",
					Options: []byte(`{"uri":"HTTP://example.com:8080/orders?x=1"}`), Timeout: 24 * time.Hour, OnError: "notify"},
			}},
		},
		{"empty retries object means defaults", `[{"stepDefinitionId": "a", "type": "generate-production-files",
			"successStatus": "s", "options": {}, "retries": {}, "timeout": null}]`,
			&Definition{Steps: []*StepDefinition{{ID: "a", Type: TypeGenerateProductionFiles, SuccessStatus: "s", Options: []byte(`{}`)}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Parse([]byte(tc.doc))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tc.want, res.Definition); diff != "" {
				t.Errorf("definition (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseWarnings(t *testing.T) {
	t.Parallel()
	res, err := Parse([]byte(`{"steps": [
		{"stepDefinitionId": "start", "type": "generate-production-files", "successStatus": "s", "options": {}, "onError": "fail"},
		{"stepDefinitionId": "orphan", "type": "generate-production-files", "successStatus": "s", "options": {}, "onSuccess": "fail"},
		{"stepDefinitionId": "fail", "type": "generate-production-files", "successStatus": "s", "options": {}},
		{"stepDefinitionId": "island", "type": "generate-production-files", "successStatus": "s", "options": {}}
	]}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []Problem{
		{Path: "/steps/1", Step: "orphan", Code: CodeUnreachable, Message: `step "orphan" is not reachable from the first step "start"`},
		{Path: "/steps/3", Step: "island", Code: CodeUnreachable, Message: `step "island" is not reachable from the first step "start"`},
	}
	if diff := cmp.Diff(want, res.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if len(res.Problems) != 0 || res.Definition == nil {
		t.Errorf("result = %+v, want a definition and no problems", res)
	}
}
