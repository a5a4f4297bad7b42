package mesh

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
)

// testTemplate is a merchant-style template: a plaque (a box without a
// cavity) built with the exported Mesh API only.
type testTemplate struct{ name string }

func (t testTemplate) Name() string        { return t.name }
func (t testTemplate) Description() string { return "A test plaque." }
func (t testTemplate) Params() []Param {
	return []Param{
		{Name: "size", Unit: "mm", Type: TypeNumber, Default: 20.0, Min: Limit(1), Max: Limit(100), Description: "Edge length."},
		{Name: "copies", Type: TypeInteger, Default: 1, Min: Limit(1), Max: Limit(4), Description: "Number of plaques side by side."},
		{Name: "label", Type: TypeString, Max: Limit(8), Description: "Required label."},
		{Name: "finish", Type: TypeString, Default: "matte", Choices: []string{"matte", "gloss"}, Description: "Finish."},
		{Name: "hollow", Type: TypeBool, Default: false, Description: "Unused flag."},
	}
}
func (t testTemplate) Estimate(v Values) (Estimate, error) {
	n := int64(v.Int("copies"))
	return Estimate{Triangles: 12 * n, Vertices: 8 * n}, nil
}
func (t testTemplate) Build(v Values) (*Mesh, error) {
	s := v.Float("size")
	var parts []*Mesh
	for i := range v.Int("copies") {
		x := float64(i) * (s + 1)
		parts = append(parts, cube(Vec3{x, 0, 0}, Vec3{x + s, s, 2}))
	}
	return merge(parts...), nil
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tmpl := testTemplate{name: "plaque"}
	good := func(extra map[string]any) map[string]any {
		p := map[string]any{"label": "A-1"}
		for k, v := range extra {
			p[k] = v
		}
		return p
	}
	ok := []struct {
		in   map[string]any
		want Values
	}{
		{good(nil), Values{"size": 20.0, "copies": 1, "label": "A-1", "finish": "matte", "hollow": false}},
		{good(map[string]any{"size": "12.5", "copies": 3.0, "hollow": "true"}), Values{"size": 12.5, "copies": 3, "label": "A-1", "finish": "matte", "hollow": true}},
		{good(map[string]any{"size": json.Number("100"), "copies": "4", "finish": "gloss"}), Values{"size": 100.0, "copies": 4, "label": "A-1", "finish": "gloss", "hollow": false}},
		{good(map[string]any{"size": 1, "copies": int64(2), "label": "ÅØÉßabcd"}), Values{"size": 1.0, "copies": 2, "label": "ÅØÉßabcd", "finish": "matte", "hollow": false}},
		{good(map[string]any{"size": nil}), Values{"size": 20.0, "copies": 1, "label": "A-1", "finish": "matte", "hollow": false}},
	}
	for _, tc := range ok {
		got, err := Validate(tmpl, tc.in)
		if err != nil {
			t.Errorf("Validate(%v): %v", tc.in, err)
			continue
		}
		for k, w := range tc.want {
			if got[k] != w {
				t.Errorf("Validate(%v)[%s] = %#v, want %#v", tc.in, k, got[k], w)
			}
		}
	}
	bad := []struct {
		in            map[string]any
		param, reason string
	}{
		{good(map[string]any{"size": 150.0}), "size", "150 is out of range [1, 100] mm"},
		{good(map[string]any{"size": "0.5"}), "size", "0.5 is out of range [1, 100] mm"},
		{good(map[string]any{"size": "wide"}), "size", `"wide" is not a number; want [1, 100] mm`},
		{good(map[string]any{"size": "NaN"}), "size", "not a finite number"},
		{good(map[string]any{"size": true}), "size", "true is not a number"},
		{good(map[string]any{"size": []any{1.0}}), "size", "an array is not a number; want [1, 100] mm"},
		{good(map[string]any{"size": map[string]any{}}), "size", "an object is not a number"},
		{good(map[string]any{"copies": 2.5}), "copies", "2.5 is not an integer; want integer in [1, 4]"},
		{good(map[string]any{"copies": 5}), "copies", "5 is out of range integer in [1, 4]"},
		{map[string]any{}, "label", "missing; required, at most 8 characters"},
		{good(map[string]any{"label": "much too long"}), "label", "13 characters is out of range; want at most 8 characters"},
		{good(map[string]any{"label": 7}), "label", "7 is not a string"},
		{good(map[string]any{"finish": "shiny"}), "finish", `"shiny" is not allowed; want one of matte, gloss`},
		{good(map[string]any{"hollow": "maybe"}), "hollow", `"maybe" is not a bool; want true or false`},
		{good(map[string]any{"colour": "red"}), "colour", "unknown parameter; known: size, copies, label, finish, hollow"},
	}
	for _, tc := range bad {
		_, err := Validate(tmpl, tc.in)
		var pe *ParamError
		if !errors.As(err, &pe) {
			t.Errorf("Validate(%v) = %v, want a *ParamError", tc.in, err)
			continue
		}
		if pe.Template != "plaque" || pe.Param != tc.param || !strings.Contains(pe.Reason, tc.reason) {
			t.Errorf("Validate(%v) = %+v, want param %q with reason containing %q", tc.in, *pe, tc.param, tc.reason)
		}
		if !errors.Is(err, ErrInvalidParam) {
			t.Errorf("Validate(%v) error does not wrap ErrInvalidParam", tc.in)
		}
		if !strings.Contains(err.Error(), `parameter "`+tc.param+`"`) {
			t.Errorf("message %q does not name the parameter", err)
		}
	}
}

// registerRuns numbers the runs of TestRegisterAndGenerateCustomTemplate
// (go test -count=N): the registry is process-wide and has no Unregister.
var registerRuns atomic.Int32

func TestRegisterAndGenerateCustomTemplate(t *testing.T) {
	t.Parallel()
	name := fmt.Sprintf("test-plaque-%d", registerRuns.Add(1))
	if err := Register(testTemplate{name: name}); err != nil {
		t.Fatal(err)
	}
	err := Register(testTemplate{name: name})
	if !errors.Is(err, ErrDuplicateTemplate) {
		t.Errorf("second Register = %v, want ErrDuplicateTemplate", err)
	}
	if tm, ok := Lookup(name); !ok || tm.Name() != name {
		t.Errorf("Lookup = %v, %v", tm, ok)
	}
	m, err := Generate(name, map[string]any{"label": "x", "copies": "3", "size": 10.0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Shells() != 3 || !near(m.Volume(), 3*10*10*2, 1e-9) {
		t.Errorf("custom template: %d shells, volume %v", m.Shells(), m.Volume())
	}
	for _, name := range []string{"", "Ring", "2rings", "has space", "ünï"} {
		if err := Register(testTemplate{name: name}); err == nil {
			t.Errorf("Register(%q) accepted a bad name", name)
		}
	}
}

type badDeclTemplate struct {
	testTemplate
	params []Param
}

func (b badDeclTemplate) Params() []Param { return b.params }

func TestRegisterRejectsBadDeclarations(t *testing.T) {
	t.Parallel()
	for _, ps := range [][]Param{
		{{Name: "x", Type: TypeNumber, Default: 5.0, Min: Limit(10)}},              // default below min
		{{Name: "x", Type: TypeNumber, Default: 5}},                                // int default for a number
		{{Name: "x", Type: "float"}},                                               // unknown type
		{{Name: "x", Type: TypeNumber, Min: Limit(3), Max: Limit(1)}},              // empty range
		{{Name: "x", Type: TypeBool}, {Name: "x", Type: TypeBool}},                 // twice
		{{Name: "", Type: TypeBool}},                                               // no name
		{{Name: "f", Type: TypeString, Default: "x", Choices: []string{"a", "b"}}}, // default not a choice
	} {
		if err := Register(badDeclTemplate{testTemplate{name: "test-bad"}, ps}); err == nil {
			t.Errorf("Register accepted %+v", ps)
		}
	}
	if _, ok := Lookup("test-bad"); ok {
		t.Error("a rejected template was registered")
	}
}

func TestGenerateUnknownTemplate(t *testing.T) {
	t.Parallel()
	_, err := Generate("teapot", nil, nil)
	if !errors.Is(err, ErrUnknownTemplate) {
		t.Fatalf("err = %v, want ErrUnknownTemplate", err)
	}
	for _, name := range []string{"box", "nameplate", "ring", "vase"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list %s", err, name)
		}
	}
}

func TestTemplatesSortedAndDeclared(t *testing.T) {
	t.Parallel()
	var names []string
	for _, tm := range Templates() {
		names = append(names, tm.Name())
		if tm.Description() == "" {
			t.Errorf("%s has no description", tm.Name())
		}
		for _, p := range tm.Params() {
			if p.Description == "" || (p.Type == TypeNumber && p.Unit == "" && p.Name != "size" && p.Name != "rounding") {
				t.Errorf("%s.%s: missing description or unit", tm.Name(), p.Name)
			}
		}
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Errorf("Templates() not sorted: %v", names)
		}
	}
	for _, want := range []string{"box", "nameplate", "ring", "vase"} {
		if _, ok := Lookup(want); !ok {
			t.Errorf("built-in %s not registered", want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Format{"": FormatSTL, "stl": FormatSTL, "STL": FormatSTL, "stl-binary": FormatSTL,
		"stl-ascii": FormatSTLASCII, "ascii-stl": FormatSTLASCII, " obj ": FormatOBJ} { //nolint:gocritic // " obj " checks that ParseFormat trims
		if got, err := ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseFormat("step"); err == nil {
		t.Error("ParseFormat(step) succeeded")
	}
	if FormatOBJ.Ext() != ".obj" || FormatSTLASCII.Ext() != ".stl" || FormatSTL.ContentType() != "model/stl" {
		t.Error("Ext or ContentType wrong")
	}
}
