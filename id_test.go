package ordo_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ordohq/ordo"
)

func TestValidateID(t *testing.T) {
	for _, tc := range []struct {
		id string
		ok bool
	}{
		{"C-3001", true},
		{"a.b:c_d-e", true},
		{strings.Repeat("x", 200), true},
		{"", false},
		{strings.Repeat("x", 201), false},
		{"flow/local", false},
		{"a b", false},
		{"é", false},
		{"x\x00", false},
		{".", false},
		{"-a", false},
		{"9a", true},
	} {
		err := ordo.ValidateID("order id", tc.id)
		if (err == nil) != tc.ok {
			t.Errorf("ValidateID(%q) = %v, want ok %v", tc.id, err, tc.ok)
		}
		if err != nil && (!errors.Is(err, ordo.ErrInvalidArgument) || !strings.Contains(err.Error(), "order id")) {
			t.Errorf("ValidateID(%q) = %v: want ErrInvalidArgument naming the field", tc.id, err)
		}
	}
}
