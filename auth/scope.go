package auth

import (
	"fmt"

	"github.com/ordohq/ordo/store"
)

// Scope is what a key may do. Each scope includes the ones before it:
// read < operate < admin.
type Scope string

// The scopes, from least to most.
const (
	ScopeRead    Scope = store.KeyScopeRead
	ScopeOperate Scope = store.KeyScopeOperate
	ScopeAdmin   Scope = store.KeyScopeAdmin
)

// Scopes lists every scope from least to most.
var Scopes = []Scope{ScopeRead, ScopeOperate, ScopeAdmin}

func (s Scope) rank() int {
	switch s {
	case ScopeRead:
		return 1
	case ScopeOperate:
		return 2
	case ScopeAdmin:
		return 3
	}
	return 0
}

// Valid reports whether s is one of the three scopes.
func (s Scope) Valid() bool { return s.rank() > 0 }

// Allows reports whether a key of scope s may do what needs scope need.
func (s Scope) Allows(need Scope) bool { return s.Valid() && s.rank() >= need.rank() }

// ParseScope returns the scope named s, or an error naming the choices
// (a plain message, for a caller to place after the field it read).
func ParseScope(s string) (Scope, error) {
	sc := Scope(s)
	if !sc.Valid() {
		if len(s) > 64 {
			s = s[:64] + "..."
		}
		return "", fmt.Errorf("scope %q is not one of read, operate, admin", s)
	}
	return sc, nil
}
