package flow

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed schema.json
var schemaJSON []byte

// SchemaID is the $id of the flow JSON Schema.
const SchemaID = "https://github.com/ordohq/ordo/flow/schema.json"

// Schema returns the JSON Schema (draft 2020-12) of the flow format, as kept
// in flow/schema.json. It checks the shape of a flow; Parse adds the checks a
// schema cannot express (unique ids, links, cycles, durations, URLs,
// addresses, templates). The slice is a copy.
func Schema() []byte { return bytes.Clone(schemaJSON) }

var compiledSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		return nil, err
	}
	return c.Compile(SchemaID)
})

var printer = message.NewPrinter(language.English)

// validateSchema validates the tree against the schema and records each
// violation as a Problem.
func (d *document) validateSchema() error {
	sch, err := compiledSchema()
	if err != nil {
		return fmt.Errorf("flow: compile schema: %w", err)
	}
	err = sch.Validate(d.root)
	var verr *jsonschema.ValidationError
	if err == nil {
		return nil
	} else if !errors.As(err, &verr) {
		return fmt.Errorf("flow: schema validation: %w", err)
	}
	for _, leaf := range leaves(verr, nil) {
		d.schemaProblem(leaf)
	}
	return nil
}

// leaves returns the errors of the tree that have no causes: the concrete
// violations, without the allOf/$ref/group wrappers around them.
func leaves(e *jsonschema.ValidationError, out []*jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return append(out, e)
	}
	for _, c := range e.Causes {
		out = leaves(c, out)
	}
	return out
}

// schemaProblem translates one schema violation into our codes and words.
func (d *document) schemaProblem(e *jsonschema.ValidationError) {
	at := e.InstanceLocation
	field := ""
	if len(at) > 0 {
		field = at[len(at)-1]
	}
	i, rel := d.locate(at)
	switch k := e.ErrorKind.(type) {
	case *kind.Type:
		if len(at) == 0 {
			d.add(CodeInvalidType, at, "a flow must be a JSON array of steps or an object with \"steps\", not %s", article(k.Got))
			return
		}
		d.add(CodeInvalidType, at, "%s must be %s, not %s", d.label(at), wantTypes(k.Want), article(k.Got))
	case *kind.Required:
		for _, m := range k.Missing {
			p := append(slices.Clip(at), m)
			if len(rel) == 1 && rel[0] == "options" {
				d.add(CodeMissingField, p, "%s is required for a %s step", d.label(p), d.stepType(i))
			} else {
				d.add(CodeMissingField, p, "%s is required", d.label(p))
			}
		}
	case *kind.AdditionalProperties:
		for _, f := range k.Properties {
			d.unknownField(append(slices.Clip(at), f), i, rel)
		}
	case *kind.Enum:
		got := show(d.valueAt(at))
		switch {
		case len(rel) == 1 && field == "type":
			d.add(CodeUnknownType, at, "unknown step type %s; known types: %s", got, joinTypes(Types()))
		case len(rel) == 2 && rel[0] == "retries":
			d.add(CodeInvalidRetries, at, "%s %s must be %s", d.label(at), got, orList(k.Want))
		default:
			d.add(CodeInvalidOption, at, "%s %s is not supported; use %s", d.label(at), got, orList(k.Want))
		}
	case *kind.MinItems:
		if i < 0 {
			d.add(CodeEmptyFlow, at, "the flow has no steps")
		} else {
			d.add(CodeInvalidOption, at, "%s must list at least one recipient", d.label(at))
		}
	case *kind.MinLength:
		d.add(CodeMissingField, at, "%s must not be empty", d.label(at))
	case *kind.ExclusiveMinimum, *kind.Minimum, *kind.Maximum:
		got := show(d.valueAt(at))
		switch {
		case len(rel) == 1 && field == "timeout":
			d.add(CodeInvalidTimeout, at, "timeout must be positive, got %s", got)
		case len(rel) == 2 && field == "delay":
			d.add(CodeInvalidRetries, at, "%s must be positive, got %s", d.label(at), got)
		case len(rel) == 2 && field == "limit":
			d.add(CodeInvalidRetries, at, "%s must be between 0 and 1000, got %s", d.label(at), got)
		default:
			d.add(CodeInvalidValue, at, "%s: %s", d.label(at), k.LocalizedString(printer))
		}
	default:
		d.add(CodeInvalidValue, at, "%s: %s", d.label(at), e.ErrorKind.LocalizedString(printer))
	}
}

// unknownField reports a field the format does not define, suggesting the
// field that was probably meant.
func (d *document) unknownField(p []string, i int, rel []string) {
	name := p[len(p)-1]
	var known []string
	where := ""
	switch {
	case i < 0 && len(p) == 3 && p[0] == "triggers":
		known = []string{"event", "if"}
		where = " in a trigger"
	case i < 0 && len(p) == 2 && p[0] == "concurrency":
		known = []string{"key", "limit"}
		where = " in concurrency"
	case i < 0:
		known = []string{"description", "triggers", "steps", "cancelStatus", "allowCancelAfterCompletion", "retention", "concurrency"}
	case len(rel) == 0:
		known = []string{"stepDefinitionId", "type", "successStatus", "options", "timeout", "onSuccess", "onError", "retries", "onCompensate"}
	case len(rel) == 1 && rel[0] == "retries":
		known = []string{"limit", "delay", "backoff"}
		where = " in retries"
	case len(rel) == 1 && rel[0] == "options":
		t := d.stepType(i)
		known = optionNames[t]
		where = fmt.Sprintf(" in the options of a %s step", t)
	}
	if s := suggest(name, known); s != "" {
		d.add(CodeUnknownField, p, "unknown field %q%s (did you mean %q?)", name, where, s)
		return
	}
	d.add(CodeUnknownField, p, "unknown field %q%s; known fields: %s", name, where, strings.Join(known, ", "))
}

var optionNames = map[StepType][]string{
	TypeConsumeRestAPI:          {"uri"},
	TypeSendEmail:               {"recipients", "subject", "message", "attachProductionFiles"},
	TypeGenerateProductionFiles: {"fileFormat"},
}

// suggest returns the known name that name probably misspells: equal
// ignoring case, at most two edits away, or (for three letters or more)
// part of it, as "format" is of "fileFormat". "" when none is close.
func suggest(name string, known []string) string {
	lower := strings.ToLower(name)
	best, bestDist := "", 3
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return k
		}
		if dist := editDistance(lower, strings.ToLower(k)); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" || len(lower) < 3 {
		return best
	}
	for _, k := range known {
		if strings.Contains(strings.ToLower(k), lower) {
			return k
		}
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func article(t string) string {
	switch t {
	case "null":
		return "null"
	case "integer", "object", "array":
		return "an " + t
	case "boolean":
		return "true or false"
	}
	return "a " + t
}

// wantTypes lists the wanted JSON types as a phrase, null last.
func wantTypes(want []string) string {
	var parts []string
	for _, w := range want {
		if w != "null" {
			parts = append(parts, article(w))
		}
	}
	if slices.Contains(want, "null") {
		parts = append(parts, "null")
	}
	return orList(parts)
}

// orList joins values as "a, b or c"; strings are written bare.
func orList[T any](vs []T) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprint(v)
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

func joinTypes(ts []StepType) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = string(t)
	}
	return strings.Join(parts, ", ")
}
