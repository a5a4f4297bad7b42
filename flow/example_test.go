package flow_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/ordohq/ordo/flow"
)

// Parse the seed's example flow and walk its success path.
func ExampleParse() {
	data, err := os.ReadFile("testdata/seed.json")
	if err != nil {
		panic(err)
	}
	res, err := flow.Parse(data)
	if err != nil {
		panic(err)
	}
	def := res.Definition
	for s := def.First(); s != nil; s = def.Step(s.OnSuccess) {
		fmt.Printf("%s (%s) -> status %q, on error: %q\n", s.ID, s.Type, s.SuccessStatus, s.OnError)
	}
	email, err := def.Step("email").EmailOptions()
	if err != nil {
		panic(err)
	}
	fmt.Println("email to", email.Recipients)
	// Output:
	// generate (generate-production-files) -> status "In progress", on error: "error"
	// consume (consume-rest-api) -> status "In progress", on error: "error"
	// email (send-email) -> status "Success", on error: "error"
	// email to [neil.benin@twikit.com]
}

// An invalid flow reports every problem at once, each with its JSON path
// and step id.
func ExampleParse_invalid() {
	_, err := flow.Parse([]byte(`[
		{"stepDefinitionId": "post", "type": "consume-rest-api", "successStatus": "Sent",
		 "options": {"uri": "orders"}, "onsuccess": "mail", "onError": "post"},
		{"stepDefinitionId": "mail", "type": "send-mail", "successStatus": "Done", "options": {}}
	]`))
	var verr *flow.ValidationError
	if errors.As(err, &verr) {
		for _, p := range verr.Problems {
			fmt.Printf("%s %s\n", p.Code, p)
		}
	}
	// Output:
	// cycle /0/onError (post): onError of step "post" closes a cycle: post -> post
	// unknown_field /0/onsuccess (post): unknown field "onsuccess" (did you mean "onSuccess"?)
	// invalid_option /0/options/uri (post): options.uri "orders" is not an absolute http or https URL
	// unknown_type /1/type (mail): unknown step type "send-mail"; known types: consume-rest-api, send-email, generate-production-files
}

// Hash tells whether applying a flow changes it: whitespace, key order and
// how a duration is written do not count.
func ExampleHash() {
	a, _ := flow.Parse([]byte(`[{"stepDefinitionId": "f", "type": "generate-production-files",
		"successStatus": "Ready", "options": {"fileFormat": "obj"}, "timeout": "30s"}]`))
	b, _ := flow.Parse([]byte(`{"steps": [{"timeout": 30000, "options": {"fileFormat": "obj"},
		"successStatus": "Ready", "type": "generate-production-files", "stepDefinitionId": "f"}]}`))
	fmt.Println(flow.Hash(a.Definition) == flow.Hash(b.Definition))
	canonical, _ := flow.Canonical(a.Definition)
	fmt.Println(string(canonical))
	// Output:
	// true
	// {"steps":[{"stepDefinitionId":"f","type":"generate-production-files","successStatus":"Ready","options":{"fileFormat":"obj"},"timeout":30000}]}
}
