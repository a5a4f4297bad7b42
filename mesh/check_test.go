package mesh

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestCheckFindsEachDefect(t *testing.T) {
	t.Parallel()
	good := func() *Mesh { return cube(Vec3{0, 0, 0}, Vec3{10, 10, 10}) }
	tests := []struct {
		name  string
		mesh  func() *Mesh
		kinds []ProblemKind
	}{
		{"empty", func() *Mesh { return &Mesh{} }, []ProblemKind{ProblemEmpty}},
		{"bad index", func() *Mesh { m := good(); m.Triangles[0][1] = 99; return m }, []ProblemKind{ProblemIndex}},
		{"NaN", func() *Mesh { m := good(); m.Vertices[3].Y = math.NaN(); return m }, []ProblemKind{ProblemNonFinite}},
		{"hole", func() *Mesh { m := good(); m.Triangles = m.Triangles[1:]; return m }, []ProblemKind{ProblemOpenEdge}},
		{"flipped triangle", func() *Mesh {
			m := good()
			t := &m.Triangles[4]
			t[1], t[2] = t[2], t[1]
			return m
		}, []ProblemKind{ProblemFlippedEdge}},
		{"inside out", func() *Mesh {
			m := good()
			for i := range m.Triangles {
				t := &m.Triangles[i]
				t[1], t[2] = t[2], t[1]
			}
			return m
		}, []ProblemKind{ProblemInverted}},
		{"repeated vertex", func() *Mesh { m := good(); m.AddTriangle(0, 0, 1); return m }, []ProblemKind{ProblemDegenerate}},
		{"duplicate triangle", func() *Mesh { m := good(); m.Triangles = append(m.Triangles, m.Triangles[0]); return m }, []ProblemKind{ProblemDuplicateTriangle}},
		{"zero-area triangle", func() *Mesh {
			// Split the front face's top edge 4-5 at its midpoint and close
			// the slit with a flat triangle: still closed and manifold.
			m := good()
			mid := m.AddVertex(Vec3{5, 0, 10})
			m.Triangles[5] = [3]uint32{0, 5, mid}
			m.AddTriangle(0, mid, 4)
			m.AddTriangle(5, 4, mid)
			return m
		}, []ProblemKind{ProblemDegenerate}},
		{"unused vertex", func() *Mesh { m := good(); m.AddVertex(Vec3{50, 50, 50}); return m }, []ProblemKind{ProblemUnusedVertex}},
		{"vertex repeated in float32", func() *Mesh {
			m := merge(good(), cube(Vec3{20, 0, 0}, Vec3{30, 10, 10}))
			m.Vertices[8] = Vec3{10 + 1e-9, 0, 0} // same float32 as vertex 1
			return m
		}, []ProblemKind{ProblemDuplicateVertex}},
		{"three triangles on an edge", func() *Mesh {
			m := good()
			apex := m.AddVertex(Vec3{5, 5, 20})
			m.AddTriangle(4, 5, apex) // a fin on the top front edge
			m.AddTriangle(5, 4, apex)
			return m
		}, []ProblemKind{ProblemNonManifoldEdge}},
		{"cubes touching at a corner", func() *Mesh {
			m := merge(good(), cube(Vec3{10, 10, 10}, Vec3{20, 20, 20}))
			// Weld the second cube's corner (vertex 8) to the first's (7).
			for i := range m.Triangles {
				for k := range 3 {
					if m.Triangles[i][k] == 8 {
						m.Triangles[i][k] = 7
					}
				}
			}
			m.Vertices[8] = Vec3{-5, -5, -5} // now unused
			return m
		}, []ProblemKind{ProblemNonManifoldVertex, ProblemUnusedVertex}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Check(tc.mesh())
			var ce *CheckError
			if !errors.As(err, &ce) {
				t.Fatalf("Check = %v, want a *CheckError", err)
			}
			for _, k := range tc.kinds {
				if !ce.Has(k) {
					t.Errorf("Check = %v, want a %s problem", err, k)
				}
			}
			var buf bytes.Buffer
			n, werr := Write(&buf, tc.mesh(), FormatSTL)
			if !errors.As(werr, &ce) || n != 0 || buf.Len() != 0 {
				t.Errorf("Write of a bad mesh = %d bytes, %v; want nothing written and a *CheckError", buf.Len(), werr)
			}
		})
	}
}

func TestCheckAcceptsValidSolids(t *testing.T) {
	t.Parallel()
	for name, m := range map[string]*Mesh{
		"cube":      cube(Vec3{0, 0, 0}, Vec3{1, 1, 1}),
		"two cubes": merge(cube(Vec3{0, 0, 0}, Vec3{1, 1, 1}), cube(Vec3{2, 0, 0}, Vec3{3, 1, 1})),
		"tiny cube": cube(Vec3{0, 0, 0}, Vec3{0.01, 0.01, 0.01}),
	} {
		if err := Check(m); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCheckErrorMessage(t *testing.T) {
	t.Parallel()
	m := cube(Vec3{0, 0, 0}, Vec3{1, 1, 1})
	m.Triangles = m.Triangles[2:]
	err := Check(m)
	want := "mesh check failed: 4 open-edge (edge 0-1, edge 0-2, edge 1-3)"
	if err == nil || err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func TestCheckSelfIntersections(t *testing.T) {
	t.Parallel()
	a := cube(Vec3{0, 0, 0}, Vec3{10, 10, 10})
	for _, tc := range []struct {
		name string
		m    *Mesh
		want bool
	}{
		{"apart", merge(a, cube(Vec3{11, 0, 0}, Vec3{20, 10, 10})), false},
		{"interpenetrating", merge(a, cube(Vec3{5, 5, 5}, Vec3{15, 15, 15})), true},
		{"one inside the other, crossing nothing", merge(a, cube(Vec3{2, 2, 2}, Vec3{8, 8, 8})), false},
		{"stacked with overlapping faces", merge(a, cube(Vec3{5, 5, 10}, Vec3{15, 15, 20})), true},
		{"corner through a face", merge(a, cube(Vec3{9, 9, 9}, Vec3{19, 19, 19})), true},
	} {
		err := CheckSelfIntersections(tc.m)
		var ce *CheckError
		got := errors.As(err, &ce) && ce.Has(ProblemSelfIntersection)
		if got != tc.want {
			t.Errorf("%s: CheckSelfIntersections = %v, want intersection %v", tc.name, err, tc.want)
		}
	}
}
