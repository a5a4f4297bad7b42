package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestWithPriority: --priority replaces the order file's priority and
// keeps every other field as written, large numbers included; a file that
// is not a JSON object is refused.
func TestWithPriority(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		priority int
		want     string // a substring of the result, or of the error
		err      bool
	}{
		{"added", `{"flow": "seed", "metadata": {"erpId": 12345678901234567890}}`, 9, `"priority":9`, false},
		{"replaced", `{"flow": "seed", "priority": 3}`, -4, `"priority":-4`, false},
		{"large number kept", `{"metadata": {"erpId": 12345678901234567890}}`, 1, `12345678901234567890`, false},
		{"not an object", `[1, 2]`, 1, "not a JSON object", true},
	}
	for _, tc := range tests {
		out, err := withPriority([]byte(tc.in), tc.priority)
		if tc.err {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: err %v, want one containing %q", tc.name, err, tc.want)
			}
			continue
		}
		if err != nil || !strings.Contains(string(out), tc.want) || !json.Valid(out) {
			t.Errorf("%s: %s, %v; want JSON containing %s", tc.name, out, err, tc.want)
		}
	}
}
