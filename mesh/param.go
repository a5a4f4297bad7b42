package mesh

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Parameter types, the values of Param.Type.
const (
	// TypeNumber is a real number; JSON numbers and numeric strings such as
	// "12.5" are accepted.
	TypeNumber = "number"
	// TypeInteger is a whole number; 3, 3.0 and "3" are accepted.
	TypeInteger = "integer"
	// TypeString is text; Min and Max bound its length in characters.
	TypeString = "string"
	// TypeBool is true or false; the strings "true" and "false" are accepted.
	TypeBool = "bool"
)

// Param describes one parameter of a Template.
type Param struct {
	// Name is the key in the parameter map, for example "inner_diameter".
	Name string `json:"name"`
	// Unit is the unit of a numeric parameter ("mm", "deg"), or empty.
	Unit string `json:"unit,omitempty"`
	// Type is TypeNumber, TypeInteger, TypeString or TypeBool.
	Type string `json:"type"`
	// Description says what the parameter changes, for people choosing it.
	Description string `json:"description"`
	// Default is used when the parameter is missing. A nil Default makes
	// the parameter required. It must have the Go type that Values holds
	// for Type: float64, int, string or bool.
	Default any `json:"default,omitempty"`
	// Min and Max, when not nil, bound a number or integer inclusively, or
	// the length in characters of a string.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Choices, when not empty, lists the only values a string may take.
	Choices []string `json:"choices,omitempty"`
}

// Limit returns a pointer to x, for Param.Min and Param.Max.
func Limit(x float64) *float64 { return &x }

// Range describes the values p accepts, for error messages and listings:
// "[1, 20] mm", "one of regular, bold", "1 to 32 characters".
func (p Param) Range() string {
	switch {
	case len(p.Choices) > 0:
		return "one of " + strings.Join(p.Choices, ", ")
	case p.Type == TypeBool:
		return "true or false"
	case p.Type == TypeString:
		switch {
		case p.Min != nil && p.Max != nil:
			return fmt.Sprintf("%s to %s characters", num(*p.Min), num(*p.Max))
		case p.Max != nil:
			return fmt.Sprintf("at most %s characters", num(*p.Max))
		case p.Min != nil:
			return fmt.Sprintf("at least %s characters", num(*p.Min))
		}
		return "any text"
	}
	lo, hi := "-inf", "+inf"
	if p.Min != nil {
		lo = num(*p.Min)
	}
	if p.Max != nil {
		hi = num(*p.Max)
	}
	r := "[" + lo + ", " + hi + "]"
	if p.Unit != "" {
		r += " " + p.Unit
	}
	if p.Type == TypeInteger {
		r = "integer in " + r
	}
	return r
}

func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// ErrInvalidParam is the error that every *ParamError wraps, so that callers
// can tell bad input (fix the order, do not retry) from other failures with
// errors.Is(err, mesh.ErrInvalidParam).
var ErrInvalidParam = errors.New("mesh: invalid parameter")

// ParamError reports a parameter that is missing, unknown, of the wrong type,
// out of range, or in conflict with another parameter.
type ParamError struct {
	// Template is the template's name.
	Template string
	// Param is the parameter's name.
	Param string
	// Reason says what is wrong and what is allowed, for example
	// "50 is out of range [1, 20] mm".
	Reason string
}

// Error names the template, the parameter and the reason.
func (e *ParamError) Error() string {
	return fmt.Sprintf("mesh: template %q: parameter %q: %s", e.Template, e.Param, e.Reason)
}

// Unwrap returns ErrInvalidParam.
func (e *ParamError) Unwrap() error { return ErrInvalidParam }

// validateParamDecl checks a template's parameter declaration when it is
// registered, so that a mistake in a merchant's template fails at start-up
// rather than on the first order.
func validateParamDecl(p Param) error {
	if p.Name == "" {
		return errors.New("parameter with an empty name")
	}
	switch p.Type {
	case TypeNumber, TypeInteger, TypeString, TypeBool:
	default:
		return fmt.Errorf("parameter %q: type %q is not number, integer, string or bool", p.Name, p.Type)
	}
	if p.Min != nil && p.Max != nil && *p.Min > *p.Max {
		return fmt.Errorf("parameter %q: min %v is above max %v", p.Name, *p.Min, *p.Max)
	}
	if p.Default == nil {
		return nil
	}
	v, reason := coerce(p, p.Default)
	if reason != "" {
		return fmt.Errorf("parameter %q: default %v: %s", p.Name, p.Default, reason)
	}
	if v != p.Default {
		return fmt.Errorf("parameter %q: default %v (%T) must have the Go type %T", p.Name, p.Default, p.Default, v)
	}
	return nil
}
