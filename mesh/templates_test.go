package mesh

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// paramGrid returns parameter sets: the defaults, each parameter at its
// minimum and maximum (others at defaults), all at minimum, all at maximum,
// and n random picks among each parameter's minimum, default and maximum.
// Parameters in fixed are always set to those values.
func paramGrid(tm Template, n int, seed uint64, fixed map[string]any) []map[string]any {
	var names []string
	levels := make(map[string][]any)
	for _, p := range tm.Params() {
		if _, ok := fixed[p.Name]; ok || p.Min == nil || p.Max == nil {
			continue
		}
		names = append(names, p.Name)
		lo, hi := any(*p.Min), any(*p.Max)
		if p.Type == TypeInteger {
			lo, hi = int(*p.Min), int(*p.Max)
		}
		levels[p.Name] = []any{lo, p.Default, hi}
	}
	with := func(set map[string]any) map[string]any {
		out := map[string]any{}
		for k, v := range fixed {
			out[k] = v
		}
		for k, v := range set {
			out[k] = v
		}
		return out
	}
	grid := []map[string]any{with(nil)}
	for _, name := range names {
		for _, l := range []int{0, 2} {
			grid = append(grid, with(map[string]any{name: levels[name][l]}))
		}
	}
	for _, l := range []int{0, 2} {
		set := map[string]any{}
		for _, name := range names {
			set[name] = levels[name][l]
		}
		grid = append(grid, with(set))
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	for range n {
		set := map[string]any{}
		for _, name := range names {
			set[name] = levels[name][rng.IntN(3)]
		}
		grid = append(grid, with(set))
	}
	return grid
}

// pf returns parameter name of p as a float64, or def.
func pf(p map[string]any, name string, def float64) float64 {
	switch x := p[name].(type) {
	case float64:
		return x
	case int:
		return float64(x)
	}
	return def
}

// maxIntersectionTest is the largest mesh the grid tests look for
// self-intersections in, to keep them quick; -short skips the search.
const maxIntersectionTest = 150_000

// runGrid generates each case and checks it: a *ParamError naming the
// expected parameter for conflicting values, otherwise a mesh that passes
// Check, is one shell, has no self-intersections (if not too large to
// test quickly), and passes the case's own check.
func runGrid(t *testing.T, template string, grid []map[string]any, expect func(p map[string]any) (badParam string, check func(*Mesh) error)) {
	t.Helper()
	built := 0
	for _, p := range grid {
		bad, check := expect(p)
		m, err := Generate(template, p, nil)
		if bad != "" {
			var pe *ParamError
			if !errors.As(err, &pe) || pe.Param != bad {
				t.Errorf("%s %v: got %v, want a parameter error about %s", template, p, err, bad)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %v: %v", template, p, err)
			continue
		}
		built++
		if err := Check(m); err != nil { // Generate checks too; make sure
			t.Errorf("%s %v: %v", template, p, err)
		}
		if n := m.Shells(); n != 1 {
			t.Errorf("%s %v: %d shells, want 1", template, p, n)
		}
		if len(m.Triangles) <= maxIntersectionTest && !testing.Short() {
			if err := CheckSelfIntersections(m); err != nil {
				t.Errorf("%s %v: %v", template, p, err)
			}
		}
		if err := check(m); err != nil {
			t.Errorf("%s %v: %v", template, p, err)
		}
	}
	if built < len(grid)/2 {
		t.Errorf("%s: only %d of %d parameter sets built a mesh", template, built, len(grid))
	}
}

// volumeAndBounds returns a check that the mesh's volume is within relTol
// of vol and its bounding box within boxTol of box.
func volumeAndBounds(vol, relTol float64, box Box, boxTol float64) func(*Mesh) error {
	return func(m *Mesh) error {
		if got := m.Volume(); math.Abs(got-vol) > relTol*vol {
			return fmt.Errorf("volume %.6g mm³, want %.6g ± %.2g%%", got, vol, 100*relTol)
		}
		if got := m.Bounds(); !got.Near(box, boxTol) {
			return fmt.Errorf("bounds %v, want %v ± %g", got, box, boxTol)
		}
		return nil
	}
}

func TestRingGrid(t *testing.T) {
	t.Parallel()
	tm, _ := Lookup("ring")
	grid := paramGrid(tm, 12, 1, nil)
	runGrid(t, "ring", grid, func(p map[string]any) (string, func(*Mesh) error) {
		d := pf(p, "inner_diameter", 0)
		if d == 0 {
			d = 11.63 + 0.8128*pf(p, "size", 7)
		} else if d < 10 {
			return "inner_diameter", nil
		}
		w, th, ri := pf(p, "width", 6), pf(p, "thickness", 2), d/2
		rf := pf(p, "rounding", 0.5) * math.Min(w, th) / 2
		// Pappus: rectangle minus four corner pieces, each (1-π/4)rf²,
		// whose centroids sit symmetrically about the profile's middle.
		vol := 2 * math.Pi * ((ri+th/2)*w*th - 2*(1-math.Pi/4)*rf*rf*(2*ri+th))
		ro := ri + th
		// Facets within 0.002 mm of the surface lose up to 0.4% of the
		// thinnest profile's area.
		return "", volumeAndBounds(vol, 0.005, Box{Vec3{-ro, -ro, 0}, Vec3{ro, ro, w}}, 1e-5)
	})
}

func TestBoxGrid(t *testing.T) {
	t.Parallel()
	tm, _ := Lookup("box")
	grid := paramGrid(tm, 40, 2, nil)
	runGrid(t, "box", grid, func(p map[string]any) (string, func(*Mesh) error) {
		l, w, h := pf(p, "length", 80), pf(p, "width", 60), pf(p, "height", 40)
		wall, floor, r := pf(p, "wall", 2), pf(p, "floor", 2), pf(p, "corner_radius", 5)
		switch {
		case math.Min(l, w)-2*wall < 2:
			return "wall", nil
		case floor > h-1:
			return "floor", nil
		case r > math.Min(l, w)/2:
			return "corner_radius", nil
		}
		area := func(w, h, r float64) float64 { return w*h - (4-math.Pi)*r*r }
		vol := area(l, w, r)*h - area(l-2*wall, w-2*wall, math.Max(r-wall, 0))*(h-floor)
		return "", volumeAndBounds(vol, 0.002, Box{Vec3{-l / 2, -w / 2, 0}, Vec3{l / 2, w / 2, h}}, 1e-5)
	})
}

func TestVaseGrid(t *testing.T) {
	t.Parallel()
	tm, _ := Lookup("vase")
	// Resolution fixed for most sets to keep the test fast; automatic
	// resolution gets its own sets below.
	grid := paramGrid(tm, 10, 3, map[string]any{"segments": 512, "layers": 32})
	grid = append(grid,
		map[string]any{},
		map[string]any{"twist": -720.0, "waves": 3},
		map[string]any{"wave_amplitude": 0.0, "base_thickness": 0.0},
		map[string]any{"segments": 16, "waves": 3},
	)
	runGrid(t, "vase", grid, func(p map[string]any) (string, func(*Mesh) error) {
		h, r0, r1 := pf(p, "height", 150), pf(p, "base_radius", 40), pf(p, "top_radius", 60)
		wall, base, amp := pf(p, "wall", 1.6), pf(p, "base_thickness", 2), pf(p, "wave_amplitude", 3)
		waves, seg := pf(p, "waves", 8), pf(p, "segments", 0)
		layers, twist := pf(p, "layers", 0), pf(p, "twist", 90)
		if waves == 0 {
			amp = 0
		}
		switch {
		case math.Min(r0, r1)-amp-wall < 2:
			if amp > wall {
				return "wave_amplitude", nil
			}
			return "wall", nil
		case base > h-1:
			return "base_thickness", nil
		case seg != 0 && (seg < 16 || (amp > 0 && seg < 8*waves)):
			return "segments", nil
		case layers != 0 && amp > 0 && layers < math.Ceil(math.Abs(twist)/360*waves*8-1e-9):
			return "layers", nil
		}
		// The mean of (R + A sin)² around a ring is R² + A²/2, and R is
		// linear in z, so each wall's volume integrates exactly.
		radius := func(z float64) float64 { return r0 + (r1-r0)*z/h }
		solid := func(z0, z1, off float64) float64 {
			a, b := radius(z0)-off, radius(z1)-off
			return math.Pi * ((z1-z0)/3*(a*a+a*b+b*b) + (z1-z0)*amp*amp/2)
		}
		vol := solid(0, h, 0) - solid(base, h, wall)
		rmax := math.Max(r0, r1)
		box := Box{Vec3{-rmax, -rmax, 0}, Vec3{rmax, rmax, h}}
		tol := 1e-5 + amp // crests need not fall on the axes
		// Without waves the rings are regular polygons, within 0.01% of
		// circles. Waves sampled 8 to 16 times per period lose up to 30% of
		// their A²/2 share of the cross-section.
		relTol := 0.01
		if amp > 0 {
			relTol = 0.05
		}
		return "", volumeAndBounds(vol, relTol, box, tol)
	})
}

func TestNameplateGrid(t *testing.T) {
	t.Parallel()
	tm, _ := Lookup("nameplate")
	for i, text := range []string{"Hello", "ABBA", "Olé", "Straße", "Bjørn", "%&@8 gÅ"} {
		grid := paramGrid(tm, 4, uint64(10+i), map[string]any{"text": text, "spacing": 0.0})
		runGrid(t, "nameplate", grid, func(p map[string]any) (string, func(*Mesh) error) {
			return "", func(m *Mesh) error {
				// The plate's length depends on the font (checked against
				// a rasterisation in TestNameplateInkArea); here: it stands
				// on z = 0, is centred, tall enough for capitals and hole,
				// and has a tunnel exactly when it has a keychain hole.
				b := m.Bounds()
				top := pf(p, "plate_thickness", 2) + pf(p, "letter_height", 1.2)
				margin, hole := pf(p, "margin", 3), pf(p, "hole_diameter", 4)
				minH := math.Max(pf(p, "text_height", 8), hole) + 2*margin
				switch {
				case b.Min.Z != 0 || !near(b.Max.Z, top, 1e-9):
					return fmt.Errorf("z from %v to %v, want 0 to %v", b.Min.Z, b.Max.Z, top)
				case !near(b.Min.X, -b.Max.X, 1e-9) || !near(b.Min.Y, -b.Max.Y, 1e-9):
					return fmt.Errorf("not centred: %v", b)
				case b.Size().Y < minH-1e-9:
					return fmt.Errorf("plate %v mm high, want at least %v", b.Size().Y, minH)
				}
				genus := 0
				if hole > 0 {
					genus = 1
				}
				if chi := euler(m); chi != 2-2*genus {
					return fmt.Errorf("Euler characteristic %d, want %d (hole %v)", chi, 2-2*genus, hole)
				}
				return nil
			}
		})
	}
}

// euler returns V - E + F of a closed mesh.
func euler(m *Mesh) int {
	return len(m.Vertices) - 3*len(m.Triangles)/2 + len(m.Triangles)
}

func TestGridHelpers(t *testing.T) {
	t.Parallel()
	tm, _ := Lookup("box")
	g := paramGrid(tm, 5, 1, map[string]any{"floor": 3.0})
	if want := 1 + 2*5 + 2 + 5; len(g) != want {
		t.Errorf("paramGrid gave %d sets, want %d", len(g), want)
	}
	for _, p := range g {
		if p["floor"] != 3.0 {
			t.Errorf("fixed parameter not kept: %v", p)
		}
	}
}

// Features smaller than any machine resolves either build a valid mesh
// (sharp instead of tiny round corners) or are refused by name; they never
// make Generate fail its own checks.
func TestTinyFeatures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		template string
		params   map[string]any
		badParam string
	}{
		{"box", map[string]any{"wall": 2.0, "corner_radius": 2.00001}, ""},
		{"box", map[string]any{"corner_radius": 0.000001}, ""},
		{"ring", map[string]any{"rounding": 1e-7}, ""},
		{"nameplate", map[string]any{"text": "x", "corner_radius": 1e-6}, ""},
		{"nameplate", map[string]any{"text": "x", "hole_diameter": 0.5}, "hole_diameter"},
		{"vase", map[string]any{"base_thickness": 0.1}, "base_thickness"},
		{"vase", map[string]any{"waves": 64, "segments": 256}, "segments"},
		{"vase", map[string]any{"twist": 720.0, "layers": 10}, "layers"},
	} {
		_, err := Generate(tc.template, tc.params, nil)
		var pe *ParamError
		switch {
		case tc.badParam == "" && err != nil:
			t.Errorf("%s %v: %v", tc.template, tc.params, err)
		case tc.badParam != "" && (!errors.As(err, &pe) || pe.Param != tc.badParam):
			t.Errorf("%s %v: got %v, want a parameter error about %s", tc.template, tc.params, err, tc.badParam)
		}
	}
}

// Generate is called from many workflow steps at once.
func TestGenerateConcurrently(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	counts := make([]int, 8)
	for i := range counts {
		wg.Go(func() {
			m, err := Generate("nameplate", map[string]any{"text": "Ørsted ß", "font": fontNames[i%len(fontNames)]}, nil)
			if err != nil {
				t.Error(err)
				return
			}
			counts[i] = len(m.Triangles)
		})
	}
	wg.Wait()
	for i := range counts {
		if j := i + len(fontNames); j < len(counts) && counts[i] != counts[j] {
			t.Errorf("same input, different meshes: %d and %d triangles", counts[i], counts[j])
		}
	}
}
