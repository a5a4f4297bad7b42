package main

import (
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
)

func TestParseStepLimit(t *testing.T) {
	t.Parallel()
	good := []struct {
		spec string
		want ordo.Limit
	}{
		{"erp=5", ordo.Limit{Name: "erp", Concurrency: 5}},
		{"payments=10/s", ordo.Limit{Name: "payments", Rate: 10, Per: time.Second}},
		{"mail=100/h", ordo.Limit{Name: "mail", Rate: 100, Per: time.Hour}},
		{"api.v2=3/500ms", ordo.Limit{Name: "api.v2", Rate: 3, Per: 500 * time.Millisecond}},
		{"erp=5,10/m", ordo.Limit{Name: "erp", Concurrency: 5, Rate: 10, Per: time.Minute}},
	}
	for _, tc := range good {
		got, err := parseStepLimit(tc.spec)
		if err != nil || got != tc.want {
			t.Errorf("parseStepLimit(%q) = %+v, %v; want %+v", tc.spec, got, err, tc.want)
		}
	}
	bad := []struct{ spec, want string }{
		{"erp", "want NAME=N"},
		{"erp=", "want NAME=N"},
		{"=5", "limit name"},
		{"a b=5", "limit name"},
		{"erp=x", "not a whole number"},
		{"erp=0", "needs a concurrency"},
		{"erp=5,6", "concurrency given twice"},
		{"pay=1/s,2/s", "rate given twice"},
		{"pay=1/week", "window"},
		{"pay=1/1us", "window"},
		{"erp=10001", "concurrency 10001"},
		{"@wf.0123456789abcdef0123456789abcdef=1", "limit name"}, // the reserved form of workflow concurrency
	}
	for _, tc := range bad {
		if _, err := parseStepLimit(tc.spec); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("parseStepLimit(%q) = %v, want an error with %q", tc.spec, err, tc.want)
		}
	}
	many := make([]string, maxServeLimits+1)
	for i := range many {
		many[i] = "x=1"
	}
	if _, err := parseStepLimits(many); err == nil {
		t.Errorf("parseStepLimits of %d limits: no error", len(many))
	}
}
