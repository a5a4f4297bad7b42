package mesh

import "fmt"

// chordTolerance is how far, in millimetres, a straight segment may deviate
// from the curve it approximates, for templates that do not say otherwise:
// well below the 0.05-0.1 mm a printer or mill resolves.
const chordTolerance = 0.005

// boxTemplate is an open container with straight walls and rounded vertical
// edges, standing on z = 0 and centred on the Z axis.
type boxTemplate struct{}

func (boxTemplate) Name() string { return "box" }

func (boxTemplate) Description() string {
	return "Open box or tray with uniform walls, a floor and rounded vertical edges."
}

func (boxTemplate) Params() []Param {
	return []Param{
		{Name: "length", Unit: "mm", Type: TypeNumber, Default: 80.0, Min: Limit(10), Max: Limit(400), Description: "Outer size along X."},
		{Name: "width", Unit: "mm", Type: TypeNumber, Default: 60.0, Min: Limit(10), Max: Limit(400), Description: "Outer size along Y."},
		{Name: "height", Unit: "mm", Type: TypeNumber, Default: 40.0, Min: Limit(5), Max: Limit(300), Description: "Outer height, floor included."},
		{Name: "wall", Unit: "mm", Type: TypeNumber, Default: 2.0, Min: Limit(0.8), Max: Limit(20), Description: "Wall thickness; the inside must stay at least 2 mm wide."},
		{Name: "floor", Unit: "mm", Type: TypeNumber, Default: 2.0, Min: Limit(0.8), Max: Limit(20), Description: "Floor thickness; at least 1 mm less than the height."},
		{Name: "corner_radius", Unit: "mm", Type: TypeNumber, Default: 5.0, Min: Limit(0), Max: Limit(200), Description: "Outer radius of the vertical edges, at most half the smaller side; the inside radius is this minus the wall (sharp if negative)."},
	}
}

type boxDims struct{ l, w, h, wall, floor, r float64 }

func boxParams(v Values) (boxDims, error) {
	d := boxDims{v.Float("length"), v.Float("width"), v.Float("height"), v.Float("wall"), v.Float("floor"), v.Float("corner_radius")}
	bad := func(p, format string, args ...any) error {
		return &ParamError{Template: "box", Param: p, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case min(d.l, d.w)-2*d.wall < 2:
		return d, bad("wall", "%s mm leaves less than 2 mm inside a %s × %s mm box; want at most %s mm", num(d.wall), num(d.l), num(d.w), num((min(d.l, d.w)-2)/2))
	case d.floor > d.h-1:
		return d, bad("floor", "%s mm leaves less than 1 mm of wall above it in a %s mm high box; want at most %s mm", num(d.floor), num(d.h), num(d.h-1))
	case d.r > min(d.l, d.w)/2:
		return d, bad("corner_radius", "%s mm is more than half the smaller side; want at most %s mm", num(d.r), num(min(d.l, d.w)/2))
	}
	return d, nil
}

// outlines returns the outer and inner outlines of the walls, seen from
// above.
func (d boxDims) outlines() (outer, inner []vec2) {
	outer = roundedRect(-d.l/2, -d.w/2, d.l/2, d.w/2, d.r, chordTolerance)
	in := d.wall
	inner = roundedRect(-d.l/2+in, -d.w/2+in, d.l/2-in, d.w/2-in, max(d.r-in, 0), chordTolerance)
	return outer, inner
}

// Estimate counts the mesh Build makes from outlines of o and i points:
// four rings, two walls of 2o and 2i triangles, and three caps (bottom,
// rim with the inner outline as a hole, floor) of o - 2, o + i and i - 2.
// The outlines are a few hundred points at most.
func (boxTemplate) Estimate(v Values) (Estimate, error) {
	d, err := boxParams(v)
	if err != nil {
		return Estimate{}, err
	}
	outer, inner := d.outlines()
	o, i := int64(len(outer)), int64(len(inner))
	return Estimate{Triangles: 2*o + 2*i + capTriangles(o) + capTriangles(o, i) + capTriangles(i), Vertices: 2*o + 2*i}, nil
}

// Build makes the outer bottom, the outer walls, the rim, the inner walls
// and the inner floor, sharing the vertex rings between them.
func (boxTemplate) Build(v Values) (*Mesh, error) {
	d, err := boxParams(v)
	if err != nil {
		return nil, err
	}
	outer, inner := d.outlines()
	b := &builder{m: &Mesh{}}
	o0, o1 := b.ring(outer, 0), b.ring(outer, d.h)
	i1, i0 := b.ring(inner, d.h), b.ring(inner, d.floor)
	if err := b.cap(o0, nil, false); err != nil {
		return nil, err
	}
	b.wall(o0, o1)
	if err := b.cap(o1, [][]uint32{reversed(i1)}, true); err != nil {
		return nil, err
	}
	b.wall(reversed(i0), reversed(i1))
	if err := b.cap(i0, nil, true); err != nil {
		return nil, err
	}
	return b.m, nil
}

// ExpectedBounds is the outer size, centred on the Z axis, from z = 0.
func (boxTemplate) ExpectedBounds(v Values) (Box, float64, error) {
	d, err := boxParams(v)
	if err != nil {
		return Box{}, 0, err
	}
	return Box{Min: Vec3{-d.l / 2, -d.w / 2, 0}, Max: Vec3{d.l / 2, d.w / 2, d.h}}, 1e-6, nil
}
