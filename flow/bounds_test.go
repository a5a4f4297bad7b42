package flow

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestFlowStepCountBounded: a flow of MaxSteps steps parses, one more is a
// problem at the document's root, in both forms of the document.
func TestFlowStepCountBounded(t *testing.T) {
	chain := func(n int) string {
		steps := make([]string, n)
		for i := range steps {
			next := ""
			if i+1 < n {
				next = fmt.Sprintf(`, "onSuccess": "s%d"`, i+1)
			}
			steps[i] = fmt.Sprintf(`{"stepDefinitionId": "s%d", "type": "generate-production-files", "successStatus": "done", "options": {}%s}`, i, next)
		}
		return "[" + strings.Join(steps, ",") + "]"
	}
	for _, tc := range []struct {
		name, doc, path string
	}{
		{"array", chain(MaxSteps + 1), ""},
		{"object", `{"steps": ` + chain(MaxSteps+1) + `}`, "/steps"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			var verr *ValidationError
			if !errors.As(err, &verr) || len(verr.Problems) != 1 || verr.Problems[0].Path != tc.path ||
				verr.Problems[0].Code != CodeInvalidValue || !strings.Contains(verr.Problems[0].Message, "1001 steps; at most 1000") {
				t.Fatalf("Parse(%d steps) = %v, want one invalid_value problem at %q", MaxSteps+1, err, tc.path)
			}
		})
	}
	if _, err := Parse([]byte(chain(MaxSteps))); err != nil {
		t.Fatalf("Parse(%d steps) = %v, want it accepted", MaxSteps, err)
	}
	// A flow stored before the bounds still loads.
	if _, err := ParseWith([]byte(chain(MaxSteps+1)), &ParseOptions{SkipTemplateChecks: true}); err != nil {
		t.Fatalf("ParseWith(%d steps, stored) = %v, want it accepted", MaxSteps+1, err)
	}
}
