package mesh

import (
	"fmt"
	"math"
)

// ringTolerance is the chord tolerance of rings, in millimetres: facets
// flatter than a polishing pass removes (a few hundredths of a millimetre).
const ringTolerance = 0.002

// ringTemplate is a band ring: a rounded rectangular profile revolved around
// the finger, lying on z = 0 and centred on the Z axis.
type ringTemplate struct{}

func (ringTemplate) Name() string { return "ring" }

func (ringTemplate) Description() string {
	return "Band ring from a US ring size or an inner diameter, with width, thickness and rounded (comfort-fit) edges."
}

func (ringTemplate) Params() []Param {
	return []Param{
		{Name: "size", Type: TypeNumber, Default: 7.0, Min: Limit(0), Max: Limit(16), Description: "US ring size (quarter sizes allowed); inner diameter 11.63 + 0.8128 × size mm. Ignored when inner_diameter is set."},
		{Name: "inner_diameter", Unit: "mm", Type: TypeNumber, Default: 0.0, Min: Limit(0), Max: Limit(40), Description: "Inner diameter; 0 uses size, otherwise at least 10 mm."},
		{Name: "width", Unit: "mm", Type: TypeNumber, Default: 6.0, Min: Limit(1.5), Max: Limit(20), Description: "Band width along the finger."},
		{Name: "thickness", Unit: "mm", Type: TypeNumber, Default: 2.0, Min: Limit(1), Max: Limit(6), Description: "Radial thickness of the band."},
		{Name: "rounding", Type: TypeNumber, Default: 0.5, Min: Limit(0), Max: Limit(1), Description: "Edge radius as a fraction of half the smaller of width and thickness: 0 square edges, 1 fully rounded."},
	}
}

type ringDims struct {
	ri, ro, w, t, rf float64 // inner and outer radius, width, thickness, edge radius
}

// ringDiameter returns the inner diameter of US ring size s, in millimetres.
func ringDiameter(size float64) float64 { return 11.63 + 0.8128*size }

func ringParams(v Values) (ringDims, error) {
	d := v.Float("inner_diameter")
	if d == 0 {
		d = ringDiameter(v.Float("size"))
	} else if d < 10 {
		return ringDims{}, &ParamError{Template: "ring", Param: "inner_diameter",
			Reason: fmt.Sprintf("%s is out of range; want 0 (use size) or [10, 40] mm", num(d))}
	}
	w, t := v.Float("width"), v.Float("thickness")
	return ringDims{ri: d / 2, ro: d/2 + t, w: w, t: t, rf: v.Float("rounding") * min(w, t) / 2}, nil
}

// profile returns the cross-section, a closed (r, z) loop, and the number
// of segments around that keeps every facet within ringTolerance of the
// true surface.
func (d ringDims) profile() ([]vec2, int) {
	n := arcSegments(d.ro, 2*math.Pi, ringTolerance)
	return roundedRect(d.ri, 0, d.ro, d.w, d.rf, ringTolerance), (n + 3) / 4 * 4
}

// Estimate counts the revolved profile: n vertices per profile point, two
// triangles per vertex.
func (ringTemplate) Estimate(v Values) (Estimate, error) {
	d, err := ringParams(v)
	if err != nil {
		return Estimate{}, err
	}
	profile, n := d.profile()
	pts := int64(len(profile)) * int64(n)
	return Estimate{Triangles: 2 * pts, Vertices: pts}, nil
}

// Build revolves the profile with enough segments that no facet is more
// than ringTolerance from the true surface.
func (ringTemplate) Build(v Values) (*Mesh, error) {
	d, err := ringParams(v)
	if err != nil {
		return nil, err
	}
	profile, n := d.profile()
	b := &builder{m: &Mesh{}}
	b.revolve(profile, n)
	return b.m, nil
}

// ExpectedBounds is a square of the outer diameter by the width.
func (ringTemplate) ExpectedBounds(v Values) (Box, float64, error) {
	d, err := ringParams(v)
	if err != nil {
		return Box{}, 0, err
	}
	return Box{Min: Vec3{-d.ro, -d.ro, 0}, Max: Vec3{d.ro, d.ro, d.w}}, 1e-6, nil
}
