package flow

import (
	"errors"
	"strings"
	"testing"
)

const concurrentFlow = `{"concurrency": {"key": "customer.email", "limit": 1}, "steps": [
  {"stepDefinitionId": "pay", "type": "consume-rest-api", "successStatus": "Paid",
   "options": {"uri": "https://pay.example/charge"}}
]}`

// TestParseConcurrency: a flow's concurrency is read and written back;
// absent or null it is nil.
func TestParseConcurrency(t *testing.T) {
	t.Parallel()
	res, err := Parse([]byte(concurrentFlow))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if c := res.Definition.Concurrency; c == nil || *c != (Concurrency{Key: "customer.email", Limit: 1}) {
		t.Fatalf("Concurrency = %+v, want customer.email, 1", c)
	}
	canonical, err := Canonical(res.Definition)
	if err != nil || !strings.HasSuffix(string(canonical), `"concurrency":{"key":"customer.email","limit":1}}`) {
		t.Errorf("Canonical = %s, %v; want the concurrency kept, last", canonical, err)
	}
	again, err := Parse(canonical)
	if err != nil || again.Definition.Concurrency == nil || *again.Definition.Concurrency != *res.Definition.Concurrency {
		t.Errorf("Parse(Canonical) = %+v, %v; want the same concurrency", again, err)
	}
	for _, doc := range []string{
		strings.Replace(concurrentFlow, `{"key": "customer.email", "limit": 1}`, `null`, 1),
		strings.Replace(concurrentFlow, `"concurrency": {"key": "customer.email", "limit": 1}, `, ``, 1),
	} {
		if res, err := Parse([]byte(doc)); err != nil || res.Definition.Concurrency != nil {
			t.Errorf("Parse without concurrency: %+v, %v; want none", res, err)
		}
	}
	for _, key := range []string{"customer.name", "metadata.tenant", `"limit": 3`} {
		doc := strings.Replace(concurrentFlow, `"customer.email"`, `"`+key+`"`, 1)
		if key == `"limit": 3` {
			doc = strings.Replace(concurrentFlow, `"key": "customer.email", `, ``, 1)
		}
		if _, err := Parse([]byte(doc)); err != nil {
			t.Errorf("Parse with key %s: %v", key, err)
		}
	}
}

// TestParseConcurrencyInvalid: each bad concurrency is one problem naming
// its field.
func TestParseConcurrencyInvalid(t *testing.T) {
	t.Parallel()
	cases := []struct{ concurrency, code, path, msg string }{
		{`{"key": "customer.email", "limit": 0}`, CodeInvalidConcurrency, "/concurrency/limit", "1 to 10000"},
		{`{"limit": 10001}`, CodeInvalidConcurrency, "/concurrency/limit", "got 10001"},
		{`{"limit": 1.5}`, CodeInvalidType, "/concurrency/limit", "integer"},
		{`{"limit": "1"}`, CodeInvalidType, "/concurrency/limit", ""},
		{`{"key": "customer.email"}`, CodeMissingField, "/concurrency/limit", "required"},
		{`{"key": "customer.phone", "limit": 1}`, CodeInvalidConcurrency, "/concurrency/key", "customer.email, customer.name, metadata.NAME"},
		{`{"key": "metadata.", "limit": 1}`, CodeInvalidConcurrency, "/concurrency/key", ""},
		{`{"key": "` + strings.Repeat("k", 201) + `", "limit": 1}`, CodeInvalidConcurrency, "/concurrency/key", "at most 200"},
		{`{"key": 7, "limit": 1}`, CodeInvalidType, "/concurrency/key", ""},
		{`{"keys": "customer.email", "limit": 1}`, CodeUnknownField, "/concurrency/keys", `did you mean "key"`},
		{`1`, CodeInvalidType, "/concurrency", ""},
	}
	for _, tc := range cases {
		doc := strings.Replace(concurrentFlow, `{"key": "customer.email", "limit": 1}`, tc.concurrency, 1)
		_, err := Parse([]byte(doc))
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) != 1 {
			t.Errorf("concurrency %s: %v, want one problem", tc.concurrency, err)
			continue
		}
		p := ve.Problems[0]
		if p.Code != tc.code || p.Path != tc.path || !strings.Contains(p.Message, tc.msg) || len(p.Message) > 300 {
			t.Errorf("concurrency %s: %s at %s: %s; want %s at %s with %q", tc.concurrency, p.Code, p.Path, p.Message, tc.code, tc.path, tc.msg)
		}
	}
}
