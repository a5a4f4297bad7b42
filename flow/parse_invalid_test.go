package flow

import (
	"errors"
	"strings"
	"testing"
)

// p is a wanted problem: Path, Step and Code must match exactly, and the
// actual message must contain Message.
func p(path, step, code, message string) Problem {
	return Problem{Path: path, Step: step, Code: code, Message: message}
}

// invalidFlows are documents Parse must reject, each with its exact list of
// problems in the order Parse sorts them. FuzzParse starts from them too.
var invalidFlows = []struct {
	name string
	doc  string
	want []Problem
}{
	{"not JSON", `[{"stepDefinitionId": "a",}]`, []Problem{
		p("", "", CodeInvalidJSON, "line 1, column 27: invalid character '}'"),
	}},
	{"not JSON on a later line", "[\n  {\"a\": 1}\n  {\"b\": 2}\n]", []Problem{
		p("", "", CodeInvalidJSON, "line 3, column 3: invalid character '{' after array element"),
	}},
	{"empty document", " \n", []Problem{
		p("", "", CodeInvalidJSON, "the document is empty"),
	}},
	{"trailing data", `[] []`, []Problem{
		p("", "", CodeInvalidJSON, "after top-level value"),
	}},
	{"empty array", `[]`, []Problem{
		p("", "", CodeEmptyFlow, "the flow has no steps"),
	}},
	{"empty steps", `{"description": "d", "steps": []}`, []Problem{
		p("/steps", "", CodeEmptyFlow, "the flow has no steps"),
	}},
	{"neither array nor object", `"generate"`, []Problem{
		p("", "", CodeInvalidType, `a flow must be a JSON array of steps or an object with "steps", not a string`),
	}},
	{"null document", `null`, []Problem{
		p("", "", CodeInvalidType, "not null"),
	}},
	{"object without steps", `{"description": "d", "step": []}`, []Problem{
		p("/step", "", CodeUnknownField, `unknown field "step" (did you mean "steps"?)`),
		p("/steps", "", CodeMissingField, "steps is required"),
	}},
	{"description not a string", `{"description": 5, "steps": [` + okStep + `]}`, []Problem{
		p("/description", "", CodeInvalidType, "description must be a string, not a number"),
	}},
	{"steps not an array", `{"steps": {"a": 1}}`, []Problem{
		p("/steps", "", CodeInvalidType, "steps must be an array, not an object"),
	}},
	{"step not an object", `[` + okStep + `, 5]`, []Problem{
		p("/1", "", CodeInvalidType, "step 1 must be an object, not a number"),
	}},
	{"missing required fields", `[{"options": {}}]`, []Problem{
		p("/0/stepDefinitionId", "", CodeMissingField, "stepDefinitionId is required"),
		p("/0/successStatus", "", CodeMissingField, "successStatus is required"),
		p("/0/type", "", CodeMissingField, "type is required"),
	}},
	{"empty strings", `[{"stepDefinitionId": "", "type": "send-email", "successStatus": "",
		"options": {"recipients": ["a@example.com"], "subject": "", "message": ""}}]`, []Problem{
		p("/0/options/message", "", CodeMissingField, "options.message must not be empty"),
		p("/0/options/subject", "", CodeMissingField, "options.subject must not be empty"),
		p("/0/stepDefinitionId", "", CodeMissingField, "stepDefinitionId must not be empty"),
		p("/0/successStatus", "", CodeMissingField, "successStatus must not be empty"),
	}},
	{"id of the wrong type", `[{"stepDefinitionId": 1, "type": "generate-production-files", "successStatus": "s", "options": {}}]`, []Problem{
		p("/0/stepDefinitionId", "", CodeInvalidType, "stepDefinitionId must be a string, not a number"),
	}},
	{"duplicate ids", `[` + okStep + `,` + okStep + `,` + okStep + `]`, []Problem{
		p("/1/stepDefinitionId", "ok", CodeDuplicateID, `stepDefinitionId "ok" is already used by the step at /0`),
		p("/2/stepDefinitionId", "ok", CodeDuplicateID, `stepDefinitionId "ok" is already used by the step at /0`),
	}},
	{"unknown type, options unchecked", `[{"stepDefinitionId": "a", "type": "send-sms", "successStatus": "s", "options": {"to": "x"}}]`, []Problem{
		p("/0/type", "a", CodeUnknownType, `unknown step type "send-sms"; known types: consume-rest-api, send-email, generate-production-files`),
	}},
	{"type of the wrong type", `[{"stepDefinitionId": "a", "type": ["send-email"], "successStatus": "s", "options": {}}]`, []Problem{
		p("/0/type", "a", CodeInvalidType, "type must be a string, not an array"),
	}},
	{"missing options", `[{"stepDefinitionId": "a", "type": "consume-rest-api", "successStatus": "s"}]`, []Problem{
		p("/0/options", "a", CodeMissingField, "options is required"),
	}},
	{"options not an object, reported once", `[{"stepDefinitionId": "a", "type": "send-email", "successStatus": "s", "options": "x"}]`, []Problem{
		p("/0/options", "a", CodeInvalidType, "options must be an object, not a string"),
	}},
	{"rest options", `{"steps": [
		{"stepDefinitionId": "missing", "type": "consume-rest-api", "successStatus": "s", "options": {}, "onSuccess": "relative"},
		{"stepDefinitionId": "relative", "type": "consume-rest-api", "successStatus": "s", "options": {"uri": "/orders"}, "onSuccess": "ftp"},
		{"stepDefinitionId": "ftp", "type": "consume-rest-api", "successStatus": "s", "options": {"uri": "ftp://example.com/x"}, "onSuccess": "nohost"},
		{"stepDefinitionId": "nohost", "type": "consume-rest-api", "successStatus": "s", "options": {"uri": "https://"}, "onSuccess": "number"},
		{"stepDefinitionId": "number", "type": "consume-rest-api", "successStatus": "s", "options": {"uri": 5}, "onSuccess": "typo"},
		{"stepDefinitionId": "typo", "type": "consume-rest-api", "successStatus": "s", "options": {"url": "https://example.com"}}
	]}`, []Problem{
		p("/steps/0/options/uri", "missing", CodeMissingField, "options.uri is required for a consume-rest-api step"),
		p("/steps/1/options/uri", "relative", CodeInvalidOption, `options.uri "/orders" is not an absolute http or https URL`),
		p("/steps/2/options/uri", "ftp", CodeInvalidOption, `options.uri "ftp://example.com/x" is not an absolute http or https URL`),
		p("/steps/3/options/uri", "nohost", CodeInvalidOption, `options.uri "https://" is not`),
		p("/steps/4/options/uri", "number", CodeInvalidType, "options.uri must be a string, not a number"),
		p("/steps/5/options/uri", "typo", CodeMissingField, "options.uri is required"),
		p("/steps/5/options/url", "typo", CodeUnknownField, `unknown field "url" in the options of a consume-rest-api step (did you mean "uri"?)`),
	}},
	{"email options", `[
		{"stepDefinitionId": "none", "type": "send-email", "successStatus": "s",
		 "options": {"recipients": [], "subject": "s", "message": "m"}, "onSuccess": "bad"},
		{"stepDefinitionId": "bad", "type": "send-email", "successStatus": "s",
		 "options": {"recipients": ["ok@example.com", "not-an-address", "{{.Order.Customer.Email", "{{.Order.Customer.Email}}", 7, "Neil <neil@example.com>", ""],
		             "subject": "{{if .Order}}no end", "message": "Hello {{.Order.Customer.Name}}", "attachProductionFiles": "yes"}, "onSuccess": "missing"},
		{"stepDefinitionId": "missing", "type": "send-email", "successStatus": "s", "options": {"recipients": "a@example.com", "body": "m"}}
	]`, []Problem{
		p("/0/options/recipients", "none", CodeInvalidOption, "options.recipients must list at least one recipient"),
		p("/1/options/attachProductionFiles", "bad", CodeInvalidType, "options.attachProductionFiles must be true or false, not a string"),
		p("/1/options/recipients/1", "bad", CodeInvalidOption, `options.recipients[1] "not-an-address" is neither an e-mail address`),
		p("/1/options/recipients/2", "bad", CodeInvalidOption, "options.recipients[2] is not a valid Go template"),
		p("/1/options/recipients/4", "bad", CodeInvalidType, "options.recipients[4] must be a string, not a number"),
		p("/1/options/recipients/6", "bad", CodeInvalidOption, `options.recipients[6] "" is neither an e-mail address`),
		p("/1/options/subject", "bad", CodeInvalidOption, "options.subject is not a valid Go template"),
		p("/2/options/body", "missing", CodeUnknownField, `unknown field "body" in the options of a send-email step; known fields: recipients, subject, message, attachProductionFiles`),
		p("/2/options/message", "missing", CodeMissingField, "options.message is required for a send-email step"),
		p("/2/options/recipients", "missing", CodeInvalidType, "options.recipients must be an array, not a string"),
		p("/2/options/subject", "missing", CodeMissingField, "options.subject is required for a send-email step"),
	}},
	{"template with an unknown function", `[{"stepDefinitionId": "a", "type": "send-email", "successStatus": "s",
		"options": {"recipients": ["a@example.com"], "subject": "s", "message": "{{upper .Order.ID}}"}}]`, []Problem{
		p("/0/options/message", "a", CodeInvalidOption, `function "upper" not defined`),
	}},
	{"files options", `[
		{"stepDefinitionId": "a", "type": "generate-production-files", "successStatus": "s", "options": {"fileFormat": "ply"}, "onSuccess": "b"},
		{"stepDefinitionId": "b", "type": "generate-production-files", "successStatus": "s", "options": {"fileFormat": "STL"}, "onSuccess": "c"},
		{"stepDefinitionId": "c", "type": "generate-production-files", "successStatus": "s", "options": {"fileFormat": null, "format": "obj"}}
	]`, []Problem{
		p("/0/options/fileFormat", "a", CodeInvalidOption, `options.fileFormat "ply" is not supported; use stl or obj`),
		p("/1/options/fileFormat", "b", CodeInvalidOption, `options.fileFormat "STL" is not supported; use stl or obj`),
		p("/2/options/fileFormat", "c", CodeInvalidType, "options.fileFormat must be a string, not null"),
		p("/2/options/format", "c", CodeUnknownField, `unknown field "format" in the options of a generate-production-files step (did you mean "fileFormat"?)`),
	}},
	{"links to unknown steps", `[
		{"stepDefinitionId": "a", "type": "generate-production-files", "successStatus": "s", "options": {}, "onSuccess": "b", "onError": "nope"},
		{"stepDefinitionId": "b", "type": "generate-production-files", "successStatus": "s", "options": {}, "onSuccess": "", "onError": 3}
	]`, []Problem{
		p("/0/onError", "a", CodeUnknownStep, `onError "nope" names no step of this flow`),
		p("/1/onError", "b", CodeInvalidType, "onError must be a string or null, not a number"),
		p("/1/onSuccess", "b", CodeUnknownStep, "onSuccess is empty; leave it out or use null"),
	}},
	{"cycles through both links", `[
		{"stepDefinitionId": "a", "type": "generate-production-files", "successStatus": "s", "options": {}, "onSuccess": "b", "onError": "c"},
		{"stepDefinitionId": "b", "type": "generate-production-files", "successStatus": "s", "options": {}, "onSuccess": "a"},
		{"stepDefinitionId": "c", "type": "generate-production-files", "successStatus": "s", "options": {}, "onError": "c"},
		{"stepDefinitionId": "d", "type": "generate-production-files", "successStatus": "s", "options": {}, "onError": "e"},
		{"stepDefinitionId": "e", "type": "generate-production-files", "successStatus": "s", "options": {}, "onSuccess": "f"},
		{"stepDefinitionId": "f", "type": "generate-production-files", "successStatus": "s", "options": {}, "onSuccess": "d"}
	]`, []Problem{
		p("/1/onSuccess", "b", CodeCycle, `onSuccess of step "b" closes a cycle: a -> b -> a`),
		p("/2/onError", "c", CodeCycle, `onError of step "c" closes a cycle: c -> c`),
		p("/5/onSuccess", "f", CodeCycle, `onSuccess of step "f" closes a cycle: d -> e -> f -> d`),
	}},
	{"timeouts", `[
		{"stepDefinitionId": "zero", "type": "generate-production-files", "successStatus": "s", "options": {}, "timeout": 0, "onSuccess": "negative"},
		{"stepDefinitionId": "negative", "type": "generate-production-files", "successStatus": "s", "options": {}, "timeout": -5, "onSuccess": "words"},
		{"stepDefinitionId": "words", "type": "generate-production-files", "successStatus": "s", "options": {}, "timeout": "soon", "onSuccess": "negstr"},
		{"stepDefinitionId": "negstr", "type": "generate-production-files", "successStatus": "s", "options": {}, "timeout": "-1s", "onSuccess": "zerostr"},
		{"stepDefinitionId": "zerostr", "type": "generate-production-files", "successStatus": "s", "options": {}, "timeout": "0 seconds", "onSuccess": "bool"},
		{"stepDefinitionId": "bool", "type": "generate-production-files", "successStatus": "s", "options": {}, "timeout": true, "onSuccess": "huge"},
		{"stepDefinitionId": "huge", "type": "generate-production-files", "successStatus": "s", "options": {}, "timeout": 1e30, "onSuccess": "hugestr"},
		{"stepDefinitionId": "hugestr", "type": "generate-production-files", "successStatus": "s", "options": {}, "timeout": "9999999999 hours", "onSuccess": "tiny"},
		{"stepDefinitionId": "tiny", "type": "generate-production-files", "successStatus": "s", "options": {}, "timeout": 1e-9, "onSuccess": "bare"},
		{"stepDefinitionId": "bare", "type": "generate-production-files", "successStatus": "s", "options": {}, "timeout": "30000"}
	]`, []Problem{
		p("/0/timeout", "zero", CodeInvalidTimeout, "timeout must be positive, got 0"),
		p("/1/timeout", "negative", CodeInvalidTimeout, "timeout must be positive, got -5"),
		p("/2/timeout", "words", CodeInvalidTimeout, `timeout "soon" is not a duration`),
		p("/3/timeout", "negstr", CodeInvalidTimeout, `timeout must be positive, got "-1s"`),
		p("/4/timeout", "zerostr", CodeInvalidTimeout, `timeout must be positive, got "0 seconds"`),
		p("/5/timeout", "bool", CodeInvalidType, "timeout must be a number, a string or null, not true or false"),
		p("/6/timeout", "huge", CodeInvalidTimeout, "timeout 1e30 is too large"),
		p("/7/timeout", "hugestr", CodeInvalidTimeout, `timeout "9999999999 hours" is too large`),
		p("/8/timeout", "tiny", CodeInvalidTimeout, "timeout 1e-9 is shorter than 1ns"),
		p("/9/timeout", "bare", CodeInvalidTimeout, `timeout "30000" is not a duration`),
	}},
	{"retries", `[
		{"stepDefinitionId": "a", "type": "generate-production-files", "successStatus": "s", "options": {},
		 "retries": {"limit": -1, "delay": 0, "backoff": "fast"}, "onSuccess": "b"},
		{"stepDefinitionId": "b", "type": "generate-production-files", "successStatus": "s", "options": {},
		 "retries": {"limit": 1.5, "delay": "later", "Backoff": "linear"}, "onSuccess": "c"},
		{"stepDefinitionId": "c", "type": "generate-production-files", "successStatus": "s", "options": {},
		 "retries": {"limit": 1001, "delay": "-2s"}, "onSuccess": "d"},
		{"stepDefinitionId": "d", "type": "generate-production-files", "successStatus": "s", "options": {}, "retries": 3}
	]`, []Problem{
		p("/0/retries/backoff", "a", CodeInvalidRetries, `retries.backoff "fast" must be constant, linear or exponential`),
		p("/0/retries/delay", "a", CodeInvalidRetries, "retries.delay must be positive, got 0"),
		p("/0/retries/limit", "a", CodeInvalidRetries, "retries.limit must be between 0 and 1000, got -1"),
		p("/1/retries/Backoff", "b", CodeUnknownField, `unknown field "Backoff" in retries (did you mean "backoff"?)`),
		p("/1/retries/delay", "b", CodeInvalidRetries, `retries.delay "later" is not a duration`),
		p("/1/retries/limit", "b", CodeInvalidType, "retries.limit must be an integer, not a number"),
		p("/2/retries/delay", "c", CodeInvalidRetries, `retries.delay must be positive, got "-2s"`),
		p("/2/retries/limit", "c", CodeInvalidRetries, "retries.limit must be between 0 and 1000, got 1001"),
		p("/3/retries", "d", CodeInvalidType, "retries must be an object or null, not a number"),
	}},
	{"unknown step fields", `{"steps": [{"stepDefinitionId": "a", "type": "generate-production-files", "successStatus": "s",
		"options": {}, "onsuccess": "b", "timeOut": 5, "color": "red"}], "version": 2}`, []Problem{
		p("/steps/0/color", "a", CodeUnknownField, `unknown field "color"; known fields: stepDefinitionId, type, successStatus, options, timeout, onSuccess, onError, retries`),
		p("/steps/0/onsuccess", "a", CodeUnknownField, `unknown field "onsuccess" (did you mean "onSuccess"?)`),
		p("/steps/0/timeOut", "a", CodeUnknownField, `unknown field "timeOut" (did you mean "timeout"?)`),
		p("/version", "", CodeUnknownField, `unknown field "version"; known fields: description, triggers, steps`),
	}},
	{"repeated keys", `[{"stepDefinitionId": "a", "stepDefinitionId": "b", "type": "generate-production-files",
		"successStatus": "s", "options": {"fileFormat": "obj", "fileFormat": "stl"}}]`, []Problem{
		p("/0/options/fileFormat", "b", CodeDuplicateField, `field "fileFormat" appears more than once`),
		p("/0/stepDefinitionId", "b", CodeDuplicateField, `field "stepDefinitionId" appears more than once`),
	}},
	{"repeated keys: problems in replaced values are not reported", `[{"stepDefinitionId": "a", "type": "generate-production-files",
		"successStatus": "s", "options": {"x": {"y": 1, "y": 2}}, "options": {}, "timeout": 1e999, "timeout": -1}]`, []Problem{
		p("/0/options", "a", CodeDuplicateField, `field "options" appears more than once`),
		p("/0/timeout", "a", CodeDuplicateField, `field "timeout" appears more than once`),
		p("/0/timeout", "a", CodeInvalidTimeout, "timeout must be positive, got -1"),
	}},
	{"key with a slash is escaped in the path", `[{"stepDefinitionId": "a", "type": "generate-production-files",
		"successStatus": "s", "options": {}, "on/Success~": "b"}]`, []Problem{
		p("/0/on~1Success~0", "a", CodeUnknownField, `unknown field "on/Success~"`),
	}},
	{"numbers out of range", `[{"stepDefinitionId": "a", "type": "generate-production-files", "successStatus": "s", "options": {},
		"timeout": 1e1000000000, "retries": {"limit": ` + strings.Repeat("1", 101) + `, "delay": 1e-401}}]`, []Problem{
		p("/0/retries/delay", "a", CodeInvalidValue, "retries.delay: number 1e-401 is out of range"),
		p("/0/retries/limit", "a", CodeInvalidValue, "retries.limit: number 111111111111…11111111 is out of range"),
		p("/0/timeout", "a", CodeInvalidValue, "timeout: number 1e1000000000 is out of range"),
	}},
	{"many problems, indices sorted as numbers", manySteps, []Problem{
		p("/2/type", "s2", CodeUnknownType, "unknown step type"),
		p("/10/type", "s10", CodeUnknownType, "unknown step type"),
	}},
	{"control characters in a step id and status", `[{"stepDefinitionId": "a\u0000b", "type": "generate-production-files", "successStatus": "done\u0007", "options": {}}]`, []Problem{
		p("/0/stepDefinitionId", "a\x00b", CodeInvalidValue, `stepDefinitionId "a\x00b" has the control character U+0000 at byte 1`),
		p("/0/successStatus", "a\x00b", CodeInvalidValue, `successStatus "done\a" has the control character U+0007 at byte 4`),
	}},
	{"step id too long", `[{"stepDefinitionId": "` + strings.Repeat("é", 201) + `", "type": "generate-production-files", "successStatus": "done", "options": {}}]`, []Problem{
		p("/0/stepDefinitionId", strings.Repeat("é", 201), CodeInvalidValue, "stepDefinitionId is 201 characters long; at most 200 are allowed"),
	}},
	{"too many recipients and one too long", `[{"stepDefinitionId": "m", "type": "send-email", "successStatus": "s",
		"options": {"recipients": ["` + strings.Repeat("a@example.com\", \"", 100) + strings.Repeat("a", 250) + `@example.com"], "subject": "s", "message": "m"}}]`, []Problem{
		p("/0/options/recipients", "m", CodeInvalidOption, "options.recipients lists 101 recipients; at most 100 are allowed"),
		p("/0/options/recipients/100", "m", CodeInvalidOption, "recipient is 262 bytes long; an e-mail address has at most 254"),
	}},
	{"uri too long", `[{"stepDefinitionId": "r", "type": "consume-rest-api", "successStatus": "s", "options": {"uri": "http://a.example/` + strings.Repeat("x", 2048) + `"}}]`, []Problem{
		p("/0/options/uri", "r", CodeInvalidOption, "options.uri is 2065 bytes long; at most 2048 are allowed"),
	}},
}

// okStep is a valid step with id "ok" and no links.
const okStep = `{"stepDefinitionId": "ok", "type": "generate-production-files", "successStatus": "done", "options": {}}`

// manySteps is a chain s0 -> ... -> s10 where s2 and s10 have a bad type.
var manySteps = func() string {
	var b strings.Builder
	b.WriteString("[")
	for i := range 11 {
		if i > 0 {
			b.WriteString(",")
		}
		typ, next := "generate-production-files", `, "onSuccess": "s`+itoa(i+1)+`"`
		if i == 2 || i == 10 {
			typ = "bogus"
		}
		if i == 10 {
			next = ""
		}
		b.WriteString(`{"stepDefinitionId": "s` + itoa(i) + `", "type": "` + typ + `", "successStatus": "s", "options": {}` + next + `}`)
	}
	return b.String() + "]"
}()

func TestParseInvalid(t *testing.T) {
	t.Parallel()
	for _, tc := range invalidFlows {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := Parse([]byte(tc.doc))
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("err = %v, want a *ValidationError", err)
			}
			if res == nil || res.Definition != nil {
				t.Fatalf("result = %+v, want one without a definition", res)
			}
			if len(res.Problems) != len(verr.Problems) {
				t.Errorf("result has %d problems, error %d", len(res.Problems), len(verr.Problems))
			}
			got := verr.Problems
			ok := len(got) == len(tc.want)
			for i := 0; ok && i < len(got); i++ {
				g, w := got[i], tc.want[i]
				ok = g.Path == w.Path && g.Step == w.Step && g.Code == w.Code && strings.Contains(g.Message, w.Message)
			}
			if !ok {
				var b strings.Builder
				b.WriteString("got:\n")
				for _, g := range got {
					b.WriteString("  " + g.Code + " " + g.String() + "\n")
				}
				b.WriteString("want:\n")
				for _, w := range tc.want {
					b.WriteString("  " + w.Code + " " + w.String() + "\n")
				}
				t.Error(b.String())
			}
		})
	}
}
