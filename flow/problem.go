package flow

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Problem codes. They are stable: clients may switch on them.
const (
	// CodeInvalidJSON: the document is not JSON (Path is "").
	CodeInvalidJSON = "invalid_json"
	// CodeEmptyFlow: the flow has no steps.
	CodeEmptyFlow = "empty_flow"
	// CodeMissingField: a required field is absent, or a required string
	// is empty. Path points where the field belongs.
	CodeMissingField = "missing_field"
	// CodeDuplicateID: a stepDefinitionId already used by an earlier step.
	CodeDuplicateID = "duplicate_id"
	// CodeDuplicateField: an object has the same key twice.
	CodeDuplicateField = "duplicate_field"
	// CodeUnknownType: a step type that is not one of Types.
	CodeUnknownType = "unknown_type"
	// CodeInvalidOption: an option value wrong for the step type (uri,
	// recipients, templates, fileFormat).
	CodeInvalidOption = "invalid_option"
	// CodeUnknownStep: onSuccess, onError or onCompensate names no step of
	// the flow.
	CodeUnknownStep = "unknown_step"
	// CodeInvalidCompensation: onCompensate names the step itself.
	CodeInvalidCompensation = "invalid_compensation"
	// CodeCycle: onSuccess/onError links form a cycle; the message names it.
	CodeCycle = "cycle"
	// CodeInvalidTimeout: a timeout that is not positive, not a duration or
	// too large.
	CodeInvalidTimeout = "invalid_timeout"
	// CodeInvalidRetention: a retention that is not a duration, 0 or a
	// number of milliseconds, or is negative or too large.
	CodeInvalidRetention = "invalid_retention"
	// CodeInvalidConcurrency: a concurrency limit out of 1..10000, or a
	// key that names no field of the order (flow.ConcurrencyKeys).
	CodeInvalidConcurrency = "invalid_concurrency"
	// CodeInvalidRetries: a retries field out of range (limit, delay,
	// backoff).
	CodeInvalidRetries = "invalid_retries"
	// CodeUnknownField: a field the format does not define (a typo such as
	// "onsuccess"), at any level.
	CodeUnknownField = "unknown_field"
	// CodeInvalidType: a value of the wrong JSON type.
	CodeInvalidType = "invalid_type"
	// CodeInvalidValue: a number out of range for any use (more than 100
	// characters, or an exponent beyond ±400), a value past the bounds of
	// MaxSteps or MaxNameChars or with a control character, or another
	// schema violation.
	CodeInvalidValue = "invalid_value"
	// CodeUnreachable (warning only): a step no path from the first step
	// reaches.
	CodeUnreachable = "unreachable"
	// CodeUnknownLimit: a step's "limit" names a limit the server does
	// not declare (ParseOptions.Limits).
	CodeUnknownLimit = "unknown_limit"
)

// Problem is one thing wrong with a flow document, or a warning.
type Problem struct {
	// Path is the JSON Pointer (RFC 6901) of the offending value in the
	// document as written: "/0/options/uri" for the array form,
	// "/steps/0/options/uri" for the object form, "" for the whole document.
	// For a missing field it points where the field belongs.
	Path string `json:"path"`
	// Step is the stepDefinitionId of the step the problem is in, "" when
	// outside any step or when that step has no usable id.
	Step string `json:"step,omitempty"`
	// Code is one of the Code constants.
	Code string `json:"code"`
	// Message is a readable sentence naming the field.
	Message string `json:"message"`
}

// String formats p as "path (step id): message", with "/" for the document
// root and without the parenthesis when there is no step.
func (p Problem) String() string {
	path := plain(p.Path)
	if path == "" {
		path = "/"
	}
	if p.Step == "" {
		return path + ": " + p.Message
	}
	return path + " (" + plain(p.Step) + "): " + p.Message
}

// plain returns s, or s quoted when it holds control characters, so that a
// problem always prints on one line.
func plain(s string) string {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s)
	}
	return s
}

// ValidationError is returned by Parse for an invalid flow. It holds every
// problem found, sorted by document position. Test for it with errors.As.
type ValidationError struct {
	Problems []Problem
}

// Error lists all problems, one per line.
func (e *ValidationError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Result is what Parse returns.
type Result struct {
	// Definition is the parsed flow; nil when the flow is invalid.
	Definition *Definition
	// Problems are the errors found; empty when the flow is valid. Parse
	// also returns them as a *ValidationError.
	Problems []Problem
	// Warnings do not stop a flow from being valid (unreachable steps).
	Warnings []Problem
}

// pointer builds a JSON Pointer from unescaped tokens.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

// sortProblems orders problems by document position (array indices
// compared as numbers), then code and message, and drops exact repeats of
// path and code so that a check done by both the schema and Go is reported
// once.
func sortProblems(ps []Problem) []Problem {
	slices.SortStableFunc(ps, func(a, b Problem) int {
		if c := comparePaths(a.Path, b.Path); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return cmp.Compare(a.Message, b.Message)
	})
	return slices.CompactFunc(ps, func(a, b Problem) bool {
		return a.Path == b.Path && a.Code == b.Code
	})
}

func comparePaths(a, b string) int {
	at := strings.Split(a, "/")
	bt := strings.Split(b, "/")
	for i := 0; i < len(at) && i < len(bt); i++ {
		if at[i] == bt[i] {
			continue
		}
		an, aerr := strconv.Atoi(at[i])
		bn, berr := strconv.Atoi(bt[i])
		switch {
		case aerr == nil && berr == nil:
			return cmp.Compare(an, bn)
		case aerr == nil:
			return -1
		case berr == nil:
			return 1
		}
		return cmp.Compare(at[i], bt[i])
	}
	return cmp.Compare(len(at), len(bt))
}
