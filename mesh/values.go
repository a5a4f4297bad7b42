package mesh

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Values holds validated parameters, keyed by name: float64 for numbers, int
// for integers, string and bool. Validate fills in every declared parameter,
// so a template's Build can read them without checking for absence.
type Values map[string]any

// Float returns the number parameter name, or 0 if it is absent or not a
// number.
func (v Values) Float(name string) float64 {
	switch x := v[name].(type) {
	case float64:
		return x
	case int:
		return float64(x)
	}
	return 0
}

// Int returns the integer parameter name, or 0 if it is absent or not an
// integer.
func (v Values) Int(name string) int {
	x, _ := v[name].(int)
	return x
}

// String returns the string parameter name, or "" if it is absent.
func (v Values) String(name string) string {
	x, _ := v[name].(string)
	return x
}

// Bool returns the bool parameter name, or false if it is absent.
func (v Values) Bool(name string) bool {
	x, _ := v[name].(bool)
	return x
}

// Validate checks params against t's declared parameters and returns them
// converted to their declared types, with defaults for the missing ones.
// Params usually come from JSON, so numbers may be float64, json.Number or
// numeric strings. An unknown, missing (without default), wrong-typed or
// out-of-range parameter gives a *ParamError naming it and what it allows.
func Validate(t Template, params map[string]any) (Values, error) {
	decl := t.Params()
	known := make(map[string]Param, len(decl))
	for _, p := range decl {
		known[p.Name] = p
	}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if _, ok := known[name]; !ok {
			names := make([]string, len(decl))
			for i, p := range decl {
				names[i] = p.Name
			}
			return nil, &ParamError{Template: t.Name(), Param: name,
				Reason: "unknown parameter; known: " + strings.Join(names, ", ")}
		}
	}
	out := make(Values, len(decl))
	for _, p := range decl {
		raw, ok := params[p.Name]
		if !ok || raw == nil {
			if p.Default == nil {
				return nil, &ParamError{Template: t.Name(), Param: p.Name, Reason: "missing; required, " + p.Range()}
			}
			out[p.Name] = p.Default
			continue
		}
		v, reason := coerce(p, raw)
		if reason != "" {
			return nil, &ParamError{Template: t.Name(), Param: p.Name, Reason: reason}
		}
		out[p.Name] = v
	}
	return out, nil
}

// coerce converts raw to p's type and checks its range. It returns the
// converted value, or a reason for rejecting it.
func coerce(p Param, raw any) (any, string) {
	switch p.Type {
	case TypeNumber, TypeInteger:
		x, ok := toFloat(raw)
		if !ok {
			return nil, fmt.Sprintf("%s is not a %s; want %s", show(raw), p.Type, p.Range())
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Sprintf("%s is not a finite number; want %s", show(raw), p.Range())
		}
		if p.Type == TypeInteger && (x != math.Trunc(x) || math.Abs(x) > 1<<53) {
			return nil, fmt.Sprintf("%s is not an integer; want %s", show(raw), p.Range())
		}
		if (p.Min != nil && x < *p.Min) || (p.Max != nil && x > *p.Max) {
			return nil, fmt.Sprintf("%s is out of range %s", num(x), p.Range())
		}
		if p.Type == TypeInteger {
			return int(x), ""
		}
		return x, ""
	case TypeString:
		s, ok := raw.(string)
		if !ok {
			return nil, fmt.Sprintf("%s is not a string; want %s", show(raw), p.Range())
		}
		if len(p.Choices) > 0 {
			if !slices.Contains(p.Choices, s) {
				return nil, fmt.Sprintf("%q is not allowed; want %s", s, p.Range())
			}
			return s, ""
		}
		n := float64(utf8.RuneCountInString(s))
		if (p.Min != nil && n < *p.Min) || (p.Max != nil && n > *p.Max) {
			return nil, fmt.Sprintf("%d characters is out of range; want %s", int(n), p.Range())
		}
		return s, ""
	case TypeBool:
		switch x := raw.(type) {
		case bool:
			return x, ""
		case string:
			if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
				return b, ""
			}
		}
		return nil, fmt.Sprintf("%s is not a bool; want true or false", show(raw))
	}
	return nil, fmt.Sprintf("parameter has unknown type %q", p.Type)
}

func toFloat(raw any) (float64, bool) {
	switch x := raw.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil
	}
	return 0, false
}

// show describes a parameter value for a caller in JSON's terms: a value's
// Go type means nothing to whoever sent the JSON.
func show(raw any) string {
	switch x := raw.(type) {
	case string:
		if len(x) > 40 {
			return strconv.Quote(x[:40]) + "..."
		}
		return strconv.Quote(x)
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	if f, ok := toFloat(raw); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return "a value of another kind"
}
