package mesh

import (
	"errors"
	"io"
	"runtime/metrics"
	"strings"
	"testing"
)

// estimateCases returns parameter sets of every built-in template: the
// grids of the template tests (defaults, each parameter at its ends, all at
// their ends, random picks), at small vase resolutions to stay quick.
func estimateCases(t *testing.T) map[string][]map[string]any {
	t.Helper()
	fixed := map[string]map[string]any{
		"box":       nil,
		"ring":      nil,
		"vase":      {"segments": 256, "layers": 24},
		"nameplate": {"text": "Olé 8&B", "spacing": 0.0},
	}
	out := make(map[string][]map[string]any)
	for name, f := range fixed {
		tm, ok := Lookup(name)
		if !ok {
			t.Fatalf("template %q not registered", name)
		}
		out[name] = paramGrid(tm, 8, 7, f)
	}
	out["vase"] = append(out["vase"],
		map[string]any{}, // automatic resolution
		map[string]any{"base_thickness": 0.0, "waves": 0},
		map[string]any{"waves": 64, "twist": 360.0, "height": 20.0}, // automatic, past a million triangles
	)
	out["nameplate"] = append(out["nameplate"],
		map[string]any{"text": "ABBA", "hole_diameter": 0.0},
		map[string]any{"text": "%&@8 gÅ", "font": "mono-bold", "text_height": 60.0},
	)
	for _, tm := range Templates() {
		if _, ok := out[tm.Name()]; !ok && !strings.HasPrefix(tm.Name(), "test-") {
			t.Errorf("template %q has no estimate cases", tm.Name())
		}
	}
	return out
}

// TestEstimateMatchesBuild: for every template and parameter set, the
// estimate's triangle and vertex counts and binary STL size are exactly
// those of the built mesh and its file, and the ASCII STL and OBJ sizes
// bound the files from above, tightly.
func TestEstimateMatchesBuild(t *testing.T) {
	t.Parallel()
	// How far above the file the bound may be: ASCII STL numbers are 15
	// characters at most and 11 to 13 usually, OBJ ones 11 and 8 to 9.
	// Small files of flat products (a sharp box, whose normals and corners
	// are short numbers such as "0e+00" and "-40") may be half the bound.
	slack := func(f Format, n int64) float64 {
		switch {
		case f == FormatSTL:
			return 1
		case n < 64<<10:
			return 2
		}
		return 1.45
	}
	for name, grid := range estimateCases(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			built := 0
			for _, p := range grid {
				est, err := EstimateParams(name, p)
				m, gerr := Generate(name, p, nil)
				if _, ok := errors.AsType[*ParamError](gerr); ok {
					pe, _ := errors.AsType[*ParamError](err)
					if pe == nil || pe.Error() != gerr.Error() {
						t.Errorf("%v: Generate says %v, EstimateParams %v", p, gerr, err)
					}
					continue
				}
				if err != nil || gerr != nil {
					t.Errorf("%v: estimate %v, generate %v", p, err, gerr)
					continue
				}
				built++
				if est.Triangles != int64(len(m.Triangles)) || est.Vertices != int64(len(m.Vertices)) {
					t.Errorf("%v: estimated %d triangles and %d vertices, built %d and %d",
						p, est.Triangles, est.Vertices, len(m.Triangles), len(m.Vertices))
				}
				for _, f := range Formats {
					n, err := Write(io.Discard, m, f)
					if err != nil {
						t.Fatal(err)
					}
					bound := est.FileSize(f)
					if bound < n || float64(bound) > slack(f, n)*float64(n) {
						t.Errorf("%v %s: estimated %d bytes, wrote %d (ratio %.3f, want 1 to %.2f)",
							p, f, bound, n, float64(bound)/float64(n), slack(f, n))
					}
				}
			}
			if built < len(grid)/2 {
				t.Errorf("only %d of %d parameter sets built", built, len(grid))
			}
		})
	}
}

// TestVaseAtDocumentedMaximum: the largest values the vase declares are
// refused before anything is allocated, by Generate with the default budget
// and by Build itself; the estimate says how large the mesh would be.
func TestVaseAtDocumentedMaximum(t *testing.T) {
	t.Parallel()
	tm, _ := Lookup("vase")
	params := map[string]any{}
	for _, p := range tm.Params() {
		if p.Max != nil && p.Type == TypeInteger {
			params[p.Name] = int(*p.Max)
		}
	}
	params["waves"] = 8 // 64 waves need more than the maximum segments per wave allows
	est, err := EstimateParams("vase", params)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(4 * 8192 * 8193); est.Triangles != want {
		t.Errorf("estimate %d triangles, want %d", est.Triangles, want)
	}
	allocs := heapAllocs(func() {
		_, err = Generate("vase", params, nil)
	})
	be, ok := errors.AsType[*BudgetError](err)
	if !ok || !errors.Is(err, ErrOverBudget) || be.MaxTriangles != DefaultMaxTriangles || !strings.Contains(err.Error(), "reduce segments or layers") {
		t.Errorf("Generate at the maximum = %v, want a *BudgetError naming segments and layers", err)
	}
	if allocs > 1<<20 {
		t.Errorf("refusing the vase allocated %d bytes", allocs)
	}
	v, err := Validate(tm, params)
	if err != nil {
		t.Fatal(err)
	}
	allocs = heapAllocs(func() { _, err = tm.Build(v) })
	if !errors.Is(err, ErrOverBudget) || allocs > 1<<20 {
		t.Errorf("Build at the maximum = %v after %d bytes, want ErrOverBudget at once", err, allocs)
	}
}

// heapAllocs returns the bytes allocated on the heap while f runs.
func heapAllocs(f func()) uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	before := s[0].Value.Uint64()
	f()
	metrics.Read(s)
	return s[0].Value.Uint64() - before
}

func TestGenerateBudget(t *testing.T) {
	t.Parallel()
	// 4 × 1024 × 257 = 1,052,672 triangles.
	params := map[string]any{"segments": 1024, "layers": 256}
	tests := []struct {
		opts *GenerateOptions
		want error // nil: builds
	}{
		{nil, nil},
		{&GenerateOptions{MaxTriangles: 1_052_672}, nil},
		{&GenerateOptions{MaxTriangles: 1_052_671}, ErrOverBudget},
		{&GenerateOptions{MaxTriangles: 1000}, ErrOverBudget},
		{&GenerateOptions{MaxTriangles: -1}, nil},
		{&GenerateOptions{MaxTriangles: MaxTriangles + 1}, nil},
	}
	for _, tc := range tests {
		m, err := Generate("vase", params, tc.opts)
		switch {
		case tc.opts != nil && (tc.opts.MaxTriangles < 0 || tc.opts.MaxTriangles > MaxTriangles):
			if err == nil || !strings.Contains(err.Error(), "MaxTriangles") {
				t.Errorf("%+v: err = %v, want the option refused", tc.opts, err)
			}
		case tc.want == nil && (err != nil || len(m.Triangles) != 1_052_672):
			t.Errorf("%+v: %v", tc.opts, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%+v: err = %v, want %v", tc.opts, err, tc.want)
		}
	}
}

// TestFileSizeFormula pins the exact sizes of a tiny mesh's files.
func TestFileSizeFormula(t *testing.T) {
	t.Parallel()
	e := Estimate{Triangles: 12, Vertices: 8}
	for f, want := range map[Format]int64{
		FormatSTL:      84 + 12*50,
		FormatSTLASCII: 11 + 14 + 12*262,
		FormatOBJ:      int64(len("# Ordo mesh: 8 vertices, 12 triangles; units: millimetres\no ordo\n")) + 8*38 + 12*8,
		Format("step"): 0,
	} {
		if got := e.FileSize(f); got != want {
			t.Errorf("FileSize(%s) = %d, want %d", f, got, want)
		}
	}
	// The longest numbers the writers make fit the widths counted.
	for _, x := range []float64{-999999.94, -0.012345678, -1.2345678e-7, 123456.79, -3.4028235e38} {
		if n := len(appendOBJNumber(nil, x)); n > objNumber && x > -MaxCoordinate {
			t.Errorf("OBJ number %v is %d characters, more than %d", x, n, objNumber)
		}
	}
}

// An OBJ file's numbers stay short: tiny coordinates are rounded to 8
// decimals, and coordinates beyond MaxCoordinate fail Check.
func TestOBJNumbersAndFarCoordinates(t *testing.T) {
	t.Parallel()
	for x, want := range map[float64]string{0: "0", 1.5: "1.5", -2: "-2", 1e-16: "0", -1e-12: "-0",
		0.0075961235: "0.00759612", 45.123456: "45.123455", 1e-3: "0.001"} {
		if got := string(appendOBJNumber(nil, x)); got != want {
			t.Errorf("appendOBJNumber(%v) = %q, want %q", x, got, want)
		}
	}
	m := cube(Vec3{0, 0, 0}, Vec3{1, 1, 2 * MaxCoordinate})
	err := Check(m)
	if ce, ok := errors.AsType[*CheckError](err); !ok || !ce.Has(ProblemOutOfRange) {
		t.Errorf("Check of a 2 km cube = %v, want out-of-range", err)
	}
}

// FuzzEstimate: for any parameters, EstimateParams answers without
// building, and when it accepts parameters whose mesh is small enough to
// build here, Generate builds exactly what it estimated or refuses the
// same parameters by name (letters that touch are found only by Build).
func FuzzEstimate(f *testing.F) {
	f.Add(uint8(0), "", 80.0, 60.0, 40.0, 2.0, int64(0), int64(0))
	f.Add(uint8(1), "Bjørn", 8.0, 1.2, 2.0, 3.0, int64(0), int64(0))
	f.Add(uint8(2), "", 7.0, 0.0, 6.0, 2.0, int64(0), int64(0))
	f.Add(uint8(3), "", 150.0, 40.0, 60.0, 1.6, int64(64), int64(8192))
	f.Add(uint8(3), "", 20.0, 10.0, 200.0, 0.4, int64(8192), int64(8192))
	names := []string{"box", "nameplate", "ring", "vase"}
	f.Fuzz(func(t *testing.T, which uint8, text string, a, b, c, d float64, i, j int64) {
		name := names[int(which)%len(names)]
		tm, _ := Lookup(name)
		// The fuzzer's values go to the template's parameters in order.
		vals := []any{a, b, c, d, i, j}
		params := map[string]any{}
		k := 0
		for _, p := range tm.Params() {
			switch p.Type {
			case TypeString:
				if p.Name == "text" {
					params[p.Name] = text
				}
			case TypeNumber, TypeInteger:
				if k < len(vals) {
					params[p.Name] = vals[k]
					k++
				}
			}
		}
		est, err := EstimateParams(name, params)
		if err != nil {
			if _, ok := errors.AsType[*ParamError](err); !ok {
				t.Fatalf("%s %v: estimate error %v is not a *ParamError", name, params, err)
			}
			return
		}
		if est.Triangles <= 0 || est.Vertices <= 0 {
			t.Fatalf("%s %v: estimate %+v", name, params, est)
		}
		if est.Triangles > 60_000 {
			return // too slow to build in a fuzz iteration; TestEstimateMatchesBuild covers large ones
		}
		m, err := Generate(name, params, nil)
		if err != nil {
			if _, ok := errors.AsType[*ParamError](err); ok && name == "nameplate" {
				return
			}
			t.Fatalf("%s %v: estimated %+v, Generate: %v", name, params, est, err)
		}
		if int64(len(m.Triangles)) != est.Triangles || int64(len(m.Vertices)) != est.Vertices {
			t.Fatalf("%s %v: estimated %d triangles and %d vertices, built %d and %d",
				name, params, est.Triangles, est.Vertices, len(m.Triangles), len(m.Vertices))
		}
	})
}
