package mesh

import (
	"math"
	"testing"
)

// cube returns an axis-aligned closed cube mesh from lo to hi.
func cube(lo, hi Vec3) *Mesh {
	m := &Mesh{}
	for i := range 8 {
		v := lo
		if i&1 != 0 {
			v.X = hi.X
		}
		if i&2 != 0 {
			v.Y = hi.Y
		}
		if i&4 != 0 {
			v.Z = hi.Z
		}
		m.AddVertex(v)
	}
	// Each face as a counter-clockwise quad seen from outside.
	for _, q := range [][4]uint32{
		{0, 2, 3, 1}, // bottom (-z)
		{4, 5, 7, 6}, // top (+z)
		{0, 1, 5, 4}, // front (-y)
		{2, 6, 7, 3}, // back (+y)
		{0, 4, 6, 2}, // left (-x)
		{1, 3, 7, 5}, // right (+x)
	} {
		m.AddTriangle(q[0], q[1], q[2])
		m.AddTriangle(q[0], q[2], q[3])
	}
	return m
}

// merge returns the meshes as one mesh with separate shells.
func merge(ms ...*Mesh) *Mesh {
	out := &Mesh{}
	for _, m := range ms {
		off := uint32(len(out.Vertices))
		out.Vertices = append(out.Vertices, m.Vertices...)
		for _, t := range m.Triangles {
			out.AddTriangle(t[0]+off, t[1]+off, t[2]+off)
		}
	}
	return out
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestMeshMeasures(t *testing.T) {
	t.Parallel()
	m := cube(Vec3{1, 2, 3}, Vec3{3, 5, 7})
	if v := m.Volume(); !near(v, 2*3*4, 1e-12) {
		t.Errorf("Volume = %v, want 24", v)
	}
	if a := m.Area(); !near(a, 2*(2*3+2*4+3*4), 1e-12) {
		t.Errorf("Area = %v, want 52", a)
	}
	if b := m.Bounds(); b != (Box{Vec3{1, 2, 3}, Vec3{3, 5, 7}}) {
		t.Errorf("Bounds = %v", b)
	}
	if n := merge(m, cube(Vec3{10, 0, 0}, Vec3{11, 1, 1})).Shells(); n != 2 {
		t.Errorf("Shells of two cubes = %d", n)
	}
	// Far from the origin the volume stays exact (it is summed around the
	// box centre).
	far := cube(Vec3{1e5, 1e5, 1e5}, Vec3{1e5 + 1, 1e5 + 1, 1e5 + 1})
	if v := far.Volume(); !near(v, 1, 1e-9) {
		t.Errorf("Volume far from origin = %v, want 1", v)
	}
}
