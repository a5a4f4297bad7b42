package mesh

import (
	"errors"
	"fmt"
	"strconv"
)

// DefaultMaxTriangles is Generate's triangle budget when
// GenerateOptions.MaxTriangles is 0: 2,000,000 triangles, a 100 MB binary
// STL, and a peak of about 150 MiB of heap to build, check and write it
// (BenchmarkProduceAtBudget).
const DefaultMaxTriangles = 2_000_000

// MaxTriangles is the largest budget Generate accepts, and the most any
// built-in template's Build makes whatever it is called with: 10,000,000
// triangles, a 500 MB binary STL and some 750 MiB of heap (about 75 bytes
// per triangle while the mesh is built, checked and written).
const MaxTriangles = 10_000_000

// ErrOverBudget is wrapped by every *BudgetError, so callers can tell an
// input that is too costly with errors.Is(err, mesh.ErrOverBudget).
var ErrOverBudget = errors.New("mesh: over budget")

// Estimate is what a template's Build makes from some parameters, known
// from the parameters alone before anything is built.
type Estimate struct {
	// Triangles and Vertices are the mesh's triangle and vertex counts:
	// exact for the built-in templates, an upper bound for any template.
	Triangles int64 `json:"triangles"`
	Vertices  int64 `json:"vertices"`
	// Hint says what drives the size and how to reduce it, for people
	// reading a *BudgetError, for example "4 × 2048 segments × 244 rings;
	// reduce segments or layers". It may be empty.
	Hint string `json:"hint,omitempty"`
}

// Fixed parts of the files, shared by the writers and FileSize.
const (
	stlBinaryHeader = 84 // 80-byte header and the uint32 triangle count
	stlBinaryFacet  = 50 // normal, three corners, attribute

	stlASCIIHead = "solid ordo\n"
	stlASCIIFoot = "endsolid ordo\n"
	// stlASCIINumber is the longest number in ASCII STL: a float32 in 'e'
	// notation, shortest round-trip: sign, 9 digits, point, "e+38".
	stlASCIINumber = 15
	// stlASCIIFacet is the longest facet: its fixed text ("facet normal ",
	// "outer loop", three "vertex" lines, "endloop", "endfacet", spaces and
	// newlines, 82 bytes) and 12 numbers.
	stlASCIIFacet = 82 + 12*stlASCIINumber

	objHeader = "# Ordo mesh: %d vertices, %d triangles; units: millimetres\no ordo\n"
	// objNumber is the longest coordinate in OBJ: a sign, at most 9
	// digits and a point, since coordinates are within MaxCoordinate
	// (7 integer digits) and have at most objDecimals decimals.
	objNumber = 11
	// objVertex is the longest "v x y z" line.
	objVertex = len("v   \n") + 3*objNumber
)

// FileSize returns the size in bytes of the file that Write makes in
// format f from a mesh of e's counts: exact for binary STL, an upper bound
// for ASCII STL and OBJ, whose numbers vary in length (the bound counts
// the longest; files of curved products are 70 to 80 % of it). It returns
// 0 for an unknown format.
func (e Estimate) FileSize(f Format) int64 {
	t, v := e.Triangles, e.Vertices
	switch f {
	case FormatSTL:
		return stlBinaryHeader + stlBinaryFacet*t
	case FormatSTLASCII:
		return int64(len(stlASCIIHead)+len(stlASCIIFoot)) + stlASCIIFacet*t
	case FormatOBJ:
		head := int64(len(fmt.Sprintf(objHeader, v, t)))
		face := int64(len("f   \n") + 3*len(strconv.FormatInt(max(v, 1), 10)))
		return head + int64(objVertex)*v + face*t
	}
	return 0
}

// BudgetError reports parameters that would make a mesh larger than the
// caller allows. It wraps ErrOverBudget.
type BudgetError struct {
	// Template is the template's name.
	Template string
	// Estimate is what the parameters would make.
	Estimate Estimate
	// MaxTriangles is the budget that the estimate exceeds.
	MaxTriangles int64
}

// Error names the template, the triangle count, the budget and the hint.
func (e *BudgetError) Error() string {
	s := fmt.Sprintf("mesh: template %q: the parameters make %d triangles, more than the %d allowed",
		e.Template, e.Estimate.Triangles, e.MaxTriangles)
	if e.Estimate.Hint != "" {
		s += " (" + e.Estimate.Hint + ")"
	}
	return s
}

// Unwrap returns ErrOverBudget.
func (e *BudgetError) Unwrap() error { return ErrOverBudget }

// GenerateOptions bound what Generate may build. A nil *GenerateOptions
// means every default.
type GenerateOptions struct {
	// MaxTriangles is the most triangles the mesh may have; parameters
	// that would make more are refused with a *BudgetError before
	// anything is built. Default DefaultMaxTriangles; at most MaxTriangles.
	MaxTriangles int64
}

// maxTriangles returns the budget o sets, checked.
func (o *GenerateOptions) maxTriangles() (int64, error) {
	if o == nil || o.MaxTriangles == 0 {
		return DefaultMaxTriangles, nil
	}
	if o.MaxTriangles < 0 || o.MaxTriangles > MaxTriangles {
		return 0, fmt.Errorf("mesh: GenerateOptions.MaxTriangles %d must be between 1 and %d", o.MaxTriangles, MaxTriangles)
	}
	return o.MaxTriangles, nil
}

// EstimateParams validates params for the named template (as Generate
// does) and returns what building it would make, without building
// anything. Its errors are those of Generate before the build: an unknown
// template, a *ParamError.
func EstimateParams(template string, params map[string]any) (Estimate, error) {
	t, v, err := lookupValid(template, params)
	if err != nil {
		return Estimate{}, err
	}
	return estimate(t, v)
}

// estimate calls t.Estimate, wrapping errors other than a *ParamError with
// the template's name.
func estimate(t Template, v Values) (Estimate, error) {
	e, err := t.Estimate(v)
	if err != nil {
		if _, ok := errors.AsType[*ParamError](err); ok {
			return Estimate{}, err
		}
		return Estimate{}, fmt.Errorf("mesh: template %q: estimate: %w", t.Name(), err)
	}
	if e.Triangles < 0 || e.Vertices < 0 {
		return Estimate{}, fmt.Errorf("mesh: template %q: estimate of %d triangles and %d vertices", t.Name(), e.Triangles, e.Vertices)
	}
	return e, nil
}

// checkBuildBudget is the guard every built-in Build runs before
// allocating: it refuses an estimate above MaxTriangles.
func checkBuildBudget(template string, e Estimate) error {
	if e.Triangles > MaxTriangles {
		return &BudgetError{Template: template, Estimate: e, MaxTriangles: MaxTriangles}
	}
	return nil
}
