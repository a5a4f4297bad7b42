package flow

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestSchemaStandalone compiles the published schema on its own, as a
// third-party tool would, and checks it accepts the seed's example and
// rejects a typo, so that the schema is useful without this package.
func TestSchemaStandalone(t *testing.T) {
	t.Parallel()
	raw := Schema()
	if !json.Valid(raw) {
		t.Fatal("Schema() is not JSON")
	}
	onDisk, err := os.ReadFile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, onDisk) {
		t.Error("Schema() differs from flow/schema.json")
	}
	raw[0] = 'x' // Schema returns a copy
	if Schema()[0] != '{' {
		t.Error("Schema() shares its bytes with the caller")
	}
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
		t.Fatalf("compile: %v", err)
	}
	validate := func(s string) error {
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(s)))
		if err != nil {
			t.Fatal(err)
		}
		return sch.Validate(v)
	}
	seed, err := os.ReadFile("testdata/seed.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(string(seed)); err != nil {
		t.Errorf("schema rejects the seed: %v", err)
	}
	if err := validate(`{"steps": ` + string(seed) + `}`); err != nil {
		t.Errorf("schema rejects the seed in object form: %v", err)
	}
	for _, bad := range []string{
		`[{"stepDefinitionId": "a", "type": "generate-production-files", "successStatus": "s", "options": {}, "onsuccess": "b"}]`,
		`[{"stepDefinitionId": "a", "type": "consume-rest-api", "successStatus": "s", "options": {"url": "https://x"}}]`,
		`[{"stepDefinitionId": "a", "type": "send-email", "successStatus": "s", "options": {"recipients": [], "subject": "s", "message": "m"}}]`,
		`[]`,
	} {
		if err := validate(bad); err == nil {
			t.Errorf("schema accepts %s", bad)
		}
	}
}
