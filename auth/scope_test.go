package auth_test

import (
	"testing"

	"github.com/ordohq/ordo/auth"
)

func TestScopeAllows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		have auth.Scope
		need auth.Scope
		want bool
	}{
		{auth.ScopeRead, auth.ScopeRead, true},
		{auth.ScopeRead, auth.ScopeOperate, false},
		{auth.ScopeRead, auth.ScopeAdmin, false},
		{auth.ScopeOperate, auth.ScopeRead, true},
		{auth.ScopeOperate, auth.ScopeOperate, true},
		{auth.ScopeOperate, auth.ScopeAdmin, false},
		{auth.ScopeAdmin, auth.ScopeRead, true},
		{auth.ScopeAdmin, auth.ScopeOperate, true},
		{auth.ScopeAdmin, auth.ScopeAdmin, true},
		{"", auth.ScopeRead, false},
		{"root", auth.ScopeRead, false},
		{"ADMIN", auth.ScopeRead, false},
	} {
		if got := tc.have.Allows(tc.need); got != tc.want {
			t.Errorf("%q.Allows(%q) = %v, want %v", tc.have, tc.need, got, tc.want)
		}
	}
	if got := auth.Scopes; len(got) != 3 || got[0] != auth.ScopeRead || got[2] != auth.ScopeAdmin {
		t.Errorf("Scopes = %v, want read, operate, admin", got)
	}
}

func TestParseScope(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"read", "operate", "admin"} {
		if got, err := auth.ParseScope(s); err != nil || string(got) != s {
			t.Errorf("ParseScope(%q) = %q, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "Read", "write", "admin ", "read,operate"} {
		if _, err := auth.ParseScope(s); err == nil {
			t.Errorf("ParseScope(%q) succeeded", s)
		}
	}
}
