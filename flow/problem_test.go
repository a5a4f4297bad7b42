package flow

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProblemString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{Path: "/0/options/uri", Step: "consume", Message: "bad"}, "/0/options/uri (consume): bad"},
		{Problem{Path: "", Message: "the flow has no steps"}, "/: the flow has no steps"},
		{Problem{Path: "/steps", Message: "m"}, "/steps: m"},
		{Problem{Path: "/0/a\nb", Step: "x\ny", Message: "m"}, `"/0/a\nb" ("x\ny"): m`},
	}
	for _, tc := range tests {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	err := &ValidationError{Problems: []Problem{tests[0].p, tests[1].p}}
	if got, want := err.Error(), "/0/options/uri (consume): bad\n/: the flow has no steps"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestSortProblems(t *testing.T) {
	t.Parallel()
	got := sortProblems([]Problem{
		{Path: "/10/type", Code: "b"},
		{Path: "/2/type", Code: "b"},
		{Path: "/2", Code: "z"},
		{Path: "/2/type", Code: "a"},
		{Path: "/2/type", Code: "a", Message: "the same problem found twice"},
		{Path: "/steps", Code: "a"},
		{Path: "", Code: "a"},
	})
	want := []Problem{
		{Path: "", Code: "a"},
		{Path: "/2", Code: "z"},
		{Path: "/2/type", Code: "a"},
		{Path: "/2/type", Code: "b"},
		{Path: "/10/type", Code: "b"},
		{Path: "/steps", Code: "a"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sortProblems (-want +got):\n%s", diff)
	}
}

func TestPointer(t *testing.T) {
	t.Parallel()
	if got := pointer([]string{"steps", "0", "a/b~c"}); got != "/steps/0/a~1b~0c" {
		t.Errorf("pointer = %q", got)
	}
	if got := pointer(nil); got != "" {
		t.Errorf("pointer(nil) = %q", got)
	}
}
