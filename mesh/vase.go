package mesh

import (
	"fmt"
	"math"
)

// vaseTolerance is the chord tolerance of vases, in millimetres.
const vaseTolerance = 0.01

// maxAutoTriangles is the size above which automatic resolution settles for
// the minimum number of layers rather than twice it.
const maxAutoTriangles = 1 << 20

// vaseTemplate is a vase or lamp shade: a conical wall between a base and a
// top radius, with optional wave ridges that twist along the height, and
// an optional solid base. It stands on z = 0 around the Z axis.
type vaseTemplate struct{}

func (vaseTemplate) Name() string { return "vase" }

func (vaseTemplate) Description() string {
	return "Vase or lamp shade: a revolved wall from base to top radius, with twisted wave ridges and an optional solid base."
}

func (vaseTemplate) Params() []Param {
	return []Param{
		{Name: "height", Unit: "mm", Type: TypeNumber, Default: 150.0, Min: Limit(20), Max: Limit(500), Description: "Total height."},
		{Name: "base_radius", Unit: "mm", Type: TypeNumber, Default: 40.0, Min: Limit(10), Max: Limit(200), Description: "Mean outer radius at the bottom."},
		{Name: "top_radius", Unit: "mm", Type: TypeNumber, Default: 60.0, Min: Limit(10), Max: Limit(200), Description: "Mean outer radius at the top."},
		{Name: "wall", Unit: "mm", Type: TypeNumber, Default: 1.6, Min: Limit(0.4), Max: Limit(10), Description: "Wall thickness, measured radially."},
		{Name: "base_thickness", Unit: "mm", Type: TypeNumber, Default: 2.0, Min: Limit(0), Max: Limit(20), Description: "Thickness of the solid base, at least 0.4 mm; 0 leaves the bottom open (a lamp shade)."},
		{Name: "twist", Unit: "deg", Type: TypeNumber, Default: 90.0, Min: Limit(-720), Max: Limit(720), Description: "How far the wave ridges turn from bottom to top."},
		{Name: "wave_amplitude", Unit: "mm", Type: TypeNumber, Default: 3.0, Min: Limit(0), Max: Limit(20), Description: "Depth of the wave ridges (radius varies by ± this)."},
		{Name: "waves", Type: TypeInteger, Default: 8, Min: Limit(0), Max: Limit(64), Description: "Number of wave ridges around; 0 for a smooth wall."},
		{Name: "segments", Type: TypeInteger, Default: 0, Min: Limit(0), Max: Limit(8192), Description: "Vertices around each ring; 0 chooses from the size and waves (16 per wave, 8 past a million triangles); at least 8 per wave. The vase has 4 × segments × (layers + 1) triangles, which must stay within the triangle budget (2,000,000 by default)."},
		{Name: "layers", Type: TypeInteger, Default: 0, Min: Limit(0), Max: Limit(8192), Description: "Rings from bottom to top; 0 chooses from the twist (16 per wave of turn, fewer past a million triangles); at least 8 per wave of turn. See segments for the triangle budget."},
	}
}

type vaseDims struct {
	h, r0, r1, wall, base, twist, amp float64
	waves, n, layers                  int
}

func vaseParams(v Values) (vaseDims, error) {
	d := vaseDims{
		h: v.Float("height"), r0: v.Float("base_radius"), r1: v.Float("top_radius"),
		wall: v.Float("wall"), base: v.Float("base_thickness"),
		twist: v.Float("twist") * math.Pi / 180, amp: v.Float("wave_amplitude"),
		waves: v.Int("waves"), n: v.Int("segments"), layers: v.Int("layers"),
	}
	if d.waves == 0 {
		d.amp = 0
	}
	bad := func(p, format string, args ...any) (vaseDims, error) {
		return d, &ParamError{Template: "vase", Param: p, Reason: fmt.Sprintf(format, args...)}
	}
	inner := min(d.r0, d.r1) - d.amp - d.wall
	if inner < 2 {
		p := "wall"
		if d.amp > d.wall {
			p = "wave_amplitude"
		}
		return bad(p, "leaves an opening narrower than 4 mm (radius %s - amplitude %s - wall %s); reduce wall or wave_amplitude",
			num(min(d.r0, d.r1)), num(d.amp), num(d.wall))
	}
	if d.base > 0 && d.base < 0.4 {
		return bad("base_thickness", "%s mm is too thin to print; want 0 (open) or at least 0.4 mm", num(d.base))
	}
	if d.base > d.h-1 {
		return bad("base_thickness", "%s mm leaves less than 1 mm of wall in a %s mm high vase; want at most %s mm", num(d.base), num(d.h), num(d.h-1))
	}
	// Rings must follow the twisted ridges: at most an eighth of a wave of
	// turn from one ring to the next, or the wall cuts across the ridges.
	minLayers := 1
	if d.amp > 0 {
		minLayers = max(1, int(math.Ceil(math.Abs(d.twist)*float64(d.waves)*8/(2*math.Pi)-1e-9)))
	}
	minN := 16
	if d.amp > 0 {
		minN = max(minN, 8*d.waves)
	}
	if d.n == 0 {
		arc := arcSegments(max(d.r0, d.r1)+d.amp, 2*math.Pi, vaseTolerance)
		d.n = max(arc, 2*minN)
		if 4*d.n*(minLayers+1) > maxAutoTriangles {
			d.n = max(arc, minN)
		}
	} else if d.n < minN {
		return bad("segments", "%d is too few; want 0 (automatic) or at least %d", d.n, minN)
	}
	d.n = (d.n + 3) / 4 * 4
	if d.layers == 0 {
		d.layers = max(minLayers, min(2*minLayers, maxAutoTriangles/(4*d.n)))
	} else if d.layers < minLayers {
		return bad("layers", "%d is too few for %s° of twist with %d waves; want 0 (automatic) or at least %d", d.layers, num(v.Float("twist")), d.waves, minLayers)
	}
	return d, nil
}

// radius returns the outer radius at angle a and height z.
func (d vaseDims) radius(a, z float64) float64 {
	r := d.r0 + (d.r1-d.r0)*z/d.h
	if d.amp > 0 {
		r += d.amp * math.Sin(float64(d.waves)*(a-d.twist*z/d.h))
	}
	return r
}

// estimate counts the mesh Build makes: 2 × (layers + 1) rings of n
// vertices (outer wall up, inner wall down) joined by 2n triangles each,
// plus a centre vertex and a fan of n triangles on each face of a solid
// base, or one more band (the bottom rim) when open: 4n(layers + 1)
// triangles either way.
func (d vaseDims) estimate() Estimate {
	n, rings := int64(d.n), int64(d.layers)+1
	e := Estimate{Triangles: 4 * n * rings, Vertices: 2 * n * rings,
		Hint: fmt.Sprintf("4 × %d segments × %d rings; reduce segments or layers, or waves and twist if they are automatic", n, rings)}
	if d.base > 0 {
		e.Vertices += 2
	}
	return e
}

// Estimate implements Template.
func (vaseTemplate) Estimate(v Values) (Estimate, error) {
	d, err := vaseParams(v)
	if err != nil {
		return Estimate{}, err
	}
	return d.estimate(), nil
}

// Build lofts the outer wall up, the rim, the inner wall down to the base,
// and closes the bottom with two discs (solid base) or a bottom rim (open).
func (vaseTemplate) Build(v Values) (*Mesh, error) {
	d, err := vaseParams(v)
	if err != nil {
		return nil, err
	}
	if err := checkBuildBudget("vase", d.estimate()); err != nil {
		return nil, err
	}
	b := &builder{m: &Mesh{}}
	b.m.Vertices = make([]Vec3, 0, 2*d.n*(d.layers+1)+2)
	b.m.Triangles = make([][3]uint32, 0, 4*d.n*(d.layers+1))
	rings := make([][]uint32, 0, 2*(d.layers+1))
	for j := 0; j <= d.layers; j++ {
		z := d.h * float64(j) / float64(d.layers)
		rings = append(rings, b.polarRing(d.n, z, func(a float64) float64 { return d.radius(a, z) }))
	}
	for j := 0; j <= d.layers; j++ {
		z := d.h - (d.h-d.base)*float64(j)/float64(d.layers)
		rings = append(rings, b.polarRing(d.n, z, func(a float64) float64 { return d.radius(a, z) - d.wall }))
	}
	if d.base == 0 {
		b.loft(rings, true)
		return b.m, nil
	}
	b.loft(rings, false)
	b.fan(b.m.AddVertex(Vec3{0, 0, 0}), rings[0], false)
	b.fan(b.m.AddVertex(Vec3{0, 0, d.base}), rings[len(rings)-1], true)
	return b.m, nil
}

// ExpectedBounds samples the outer surface twice as finely as the mesh
// does. The tolerance is how much lower the mesh's sampled crests can lie
// than the true ones.
func (vaseTemplate) ExpectedBounds(v Values) (Box, float64, error) {
	d, err := vaseParams(v)
	if err != nil {
		return Box{}, 0, err
	}
	var box Box
	n, layers := 2*d.n, 2*d.layers
	for j := 0; j <= layers; j++ {
		z := d.h * float64(j) / float64(layers)
		for i := range n {
			a := 2 * math.Pi * float64(i) / float64(n)
			s, c := math.Sincos(a)
			r := d.radius(a, z)
			box.Min = Vec3{min(box.Min.X, r*c), min(box.Min.Y, r*s), 0}
			box.Max = Vec3{max(box.Max.X, r*c), max(box.Max.Y, r*s), d.h}
		}
	}
	// Phase steps of the wave between neighbouring vertices, around and up.
	step := max(2*math.Pi*float64(d.waves)/float64(d.n), math.Abs(d.twist)*float64(d.waves)/float64(d.layers))
	tol := d.amp*(1-math.Cos(math.Min(math.Pi, step/2))) + (max(d.r0, d.r1)+d.amp)*(1-math.Cos(2*math.Pi/float64(d.n))) + 1e-6
	return box, tol, nil
}
