package flow

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func mustParse(t *testing.T, doc string) *Definition {
	t.Helper()
	res, err := Parse([]byte(doc))
	if err != nil {
		t.Fatalf("Parse(%s): %v", doc, err)
	}
	return res.Definition
}

// seedCanonical is the canonical form of the seed's example. It is pinned:
// changing the canonical form changes every stored flow's hash, so that
// applying an unchanged flow would create a new version.
const seedCanonical = `{"steps":[` +
	`{"stepDefinitionId":"generate","type":"generate-production-files","successStatus":"In progress","options":{"fileFormat":"stl"},"onSuccess":"consume","onError":"error"},` +
	`{"stepDefinitionId":"consume","type":"consume-rest-api","successStatus":"In progress","options":{"uri":"https://httpbin.org/anything"},"onSuccess":"email","onError":"error"},` +
	`{"stepDefinitionId":"email","type":"send-email","successStatus":"Success","options":{"message":"Success message","recipients":["neil.benin@twikit.com"],"subject":"Success subject"},"onError":"error"},` +
	`{"stepDefinitionId":"error","type":"send-email","successStatus":"Failed","options":{"message":"Error message","recipients":["neil.benin@twikit.com"],"subject":"Error subject"}}]}`

func TestCanonicalSeed(t *testing.T) {
	t.Parallel()
	seed, err := os.ReadFile("testdata/seed.json")
	if err != nil {
		t.Fatal(err)
	}
	d := mustParse(t, string(seed))
	got, err := Canonical(d)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != seedCanonical {
		t.Errorf("Canonical(seed) =\n%s\nwant\n%s", got, seedCanonical)
	}
	const wantHash = "e66779973a1b07f70a6928506a25e8d8b492394ec12510c488a82dffb60134d6"
	if h := Hash(d); h != wantHash {
		t.Errorf("Hash(seed) = %s, want %s", h, wantHash)
	}
}

func TestCanonicalSameContent(t *testing.T) {
	t.Parallel()
	base := `[{"stepDefinitionId": "a", "type": "send-email", "successStatus": "s",
		"options": {"recipients": ["x@example.com"], "subject": "<s>", "message": "m"}, "timeout": 30000, "onSuccess": "b"},
		{"stepDefinitionId": "b", "type": "consume-rest-api", "successStatus": "t", "options": {"uri": "https://example.com"},
		"retries": {"limit": 2, "delay": 1000}}]`
	same := map[string]string{
		"whitespace and key order": `[ {"onSuccess":"b","timeout":30000,"type":"send-email","stepDefinitionId":"a",
			"options":{"message":"m","subject":"<s>","recipients":["x@example.com"]},"successStatus":"s"},
			{"retries":{"delay":1000,"limit":2},"options":{"uri":"https://example.com"},"successStatus":"t","type":"consume-rest-api","stepDefinitionId":"b"} ]`,
		"object form": `{"steps": ` + base + `}`,
		"durations as strings, nulls": `[{"stepDefinitionId": "a", "type": "send-email", "successStatus": "s",
			"options": {"recipients": ["x@example.com"], "subject": "\u003cs>", "message": "m"}, "timeout": "30 seconds", "onSuccess": "b", "onError": null},
			{"stepDefinitionId": "b", "type": "consume-rest-api", "successStatus": "t", "options": {"uri": "https://example.com"},
			"retries": {"limit": 2.0, "delay": "1s"}, "timeout": null}]`,
	}
	want := Hash(mustParse(t, base))
	for name, doc := range same {
		if got := Hash(mustParse(t, doc)); got != want {
			t.Errorf("%s: hash %s, want %s", name, got, want)
		}
	}
	different := map[string]string{
		"description added": `{"description": "x", "steps": ` + base + `}`,
		"status changed":    replaceOnce(t, base, `"successStatus": "t"`, `"successStatus": "T"`),
		"timeout changed":   replaceOnce(t, base, `30000`, `30001`),
		"steps reordered": `[{"stepDefinitionId": "b", "type": "consume-rest-api", "successStatus": "t", "options": {"uri": "https://example.com"},
			"retries": {"limit": 2, "delay": 1000}, "onSuccess": "a"},
			{"stepDefinitionId": "a", "type": "send-email", "successStatus": "s",
			"options": {"recipients": ["x@example.com"], "subject": "<s>", "message": "m"}, "timeout": 30000}]`,
		"recipient order": replaceOnce(t, base, `["x@example.com"]`, `["x@example.com", "y@example.com"]`),
		"retries removed": replaceOnce(t, base, `,
		"retries": {"limit": 2, "delay": 1000}`, ``),
	}
	for name, doc := range different {
		if got := Hash(mustParse(t, doc)); got == want {
			t.Errorf("%s: same hash as the base flow, want a different one", name)
		}
	}
}

func replaceOnce(t *testing.T, s, old, new string) string {
	t.Helper()
	for i := 0; i+len(old) <= len(s); i++ {
		if s[i:i+len(old)] == old {
			return s[:i] + new + s[i+len(old):]
		}
	}
	t.Fatalf("%q not in %q", old, s)
	return ""
}

func TestMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	two := 2
	d := &Definition{Description: "d", Steps: []*StepDefinition{
		{ID: "a", Type: TypeConsumeRestAPI, SuccessStatus: "s", Options: []byte(` { "uri" : "https://example.com/?a=1&b=<2>" } `),
			Timeout: 1500*time.Millisecond + 7, OnSuccess: "b", Retries: &RetryPolicy{Limit: &two, Delay: time.Hour, Backoff: BackoffConstant}},
		{ID: "b", Type: TypeGenerateProductionFiles, SuccessStatus: "t", Retries: &RetryPolicy{}},
	}}
	b, err := json.Marshal(d) // through encoding/json, which escapes HTML
	if err != nil {
		t.Fatal(err)
	}
	var back Definition
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	want := &Definition{Description: "d", Steps: []*StepDefinition{
		{ID: "a", Type: TypeConsumeRestAPI, SuccessStatus: "s", Options: []byte(`{"uri":"https://example.com/?a=1&b=<2>"}`),
			Timeout: 1500*time.Millisecond + 7, OnSuccess: "b", Retries: &RetryPolicy{Limit: &two, Delay: time.Hour, Backoff: BackoffConstant}},
		{ID: "b", Type: TypeGenerateProductionFiles, SuccessStatus: "t", Options: []byte(`{}`)},
	}}
	if diff := cmp.Diff(want, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	c, err := Canonical(d)
	if err != nil {
		t.Fatal(err)
	}
	const wantCanonical = `{"description":"d","steps":[{"stepDefinitionId":"a","type":"consume-rest-api","successStatus":"s",` +
		`"options":{"uri":"https://example.com/?a=1&b=<2>"},"timeout":1500.000007,"onSuccess":"b",` +
		`"retries":{"limit":2,"delay":3600000,"backoff":"constant"}},` +
		`{"stepDefinitionId":"b","type":"generate-production-files","successStatus":"t","options":{}}]}`
	if string(c) != wantCanonical {
		t.Errorf("Canonical =\n%s\nwant\n%s", c, wantCanonical)
	}
	step, err := json.Marshal(d.Steps[1])
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"stepDefinitionId":"b","type":"generate-production-files","successStatus":"t","options":{}}`; string(step) != want {
		t.Errorf("step JSON = %s, want %s", step, want)
	}
}

func TestUnmarshalInvalid(t *testing.T) {
	t.Parallel()
	d := Definition{Description: "kept"}
	err := json.Unmarshal([]byte(`[{"stepDefinitionId": "a"}]`), &d)
	var verr *ValidationError
	if !errors.As(err, &verr) || len(verr.Problems) != 3 {
		t.Fatalf("err = %v, want a *ValidationError with 3 problems", err)
	}
	if d.Description != "kept" {
		t.Errorf("definition changed to %+v", d)
	}
}

func TestCanonicalErrors(t *testing.T) {
	t.Parallel()
	for name, d := range map[string]*Definition{
		"nil definition": nil,
		"nil step":       {Steps: []*StepDefinition{nil}},
		"bad options":    {Steps: []*StepDefinition{{ID: "a", Options: []byte(`{"uri":`)}}},
		"two values":     {Steps: []*StepDefinition{{ID: "a", Options: []byte(`{} {}`)}}},
	} {
		if _, err := Canonical(d); err == nil {
			t.Errorf("%s: Canonical succeeded, want an error", name)
		}
		if h := Hash(d); h != "" {
			t.Errorf("%s: Hash = %q, want empty", name, h)
		}
	}
}

func TestDefinitionValidate(t *testing.T) {
	t.Parallel()
	good := &Definition{Steps: []*StepDefinition{
		{ID: "a", Type: TypeConsumeRestAPI, SuccessStatus: "s", Options: []byte(`{"uri":"https://example.com"}`)},
	}}
	if err := good.Validate(); err != nil {
		t.Errorf("Validate(good) = %v", err)
	}
	bad := &Definition{Steps: []*StepDefinition{
		{ID: "a", Type: "nope", SuccessStatus: "s", OnSuccess: "a"},
	}}
	err := bad.Validate()
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("Validate(bad) = %v, want a *ValidationError", err)
	}
	want := []Problem{
		{Path: "/steps/0/onSuccess", Step: "a", Code: CodeCycle, Message: `onSuccess of step "a" closes a cycle: a -> a`},
		{Path: "/steps/0/type", Step: "a", Code: CodeUnknownType, Message: `unknown step type "nope"; known types: consume-rest-api, send-email, generate-production-files`},
	}
	if diff := cmp.Diff(want, verr.Problems); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestCanonicalHandBuiltOptions(t *testing.T) {
	t.Parallel()
	step := func(opts string) *Definition {
		return &Definition{Steps: []*StepDefinition{{ID: "m", Type: TypeSendEmail, SuccessStatus: "s", Options: []byte(opts)}}}
	}
	a := step(`{"subject": "S", "recipients": ["a@example.com"], "message": "<M>"}`)
	b := step(`{"message":"<M>","recipients":["a@example.com"],"subject":"S"}`)
	if Hash(a) != Hash(b) {
		ca, _ := Canonical(a)
		cb, _ := Canonical(b)
		t.Errorf("options differing in key order and spaces hash differently:\n%s\n%s", ca, cb)
	}
	c, err := Canonical(a)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"steps":[{"stepDefinitionId":"m","type":"send-email","successStatus":"s","options":{"message":"<M>","recipients":["a@example.com"],"subject":"S"}}]}`
	if string(c) != want {
		t.Errorf("Canonical =\n%s\nwant\n%s", c, want)
	}
}
