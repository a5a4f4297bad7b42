package mesh

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// MinAltitude is the smallest height, in millimetres, that Check accepts
// for a triangle (its area divided by half its longest edge), measured on the
// single-precision coordinates that STL files store. A thinner triangle is
// degenerate: its normal is unreliable and slicers drop or flip it.
const MinAltitude = 1e-4

// ProblemKind names a class of mesh defect found by Check.
type ProblemKind string

// The defects Check looks for, in the order it reports them.
const (
	// ProblemEmpty: the mesh has no triangles.
	ProblemEmpty ProblemKind = "empty"
	// ProblemIndex: a triangle refers to a vertex that does not exist.
	ProblemIndex ProblemKind = "bad-index"
	// ProblemNonFinite: a vertex coordinate is NaN or infinite.
	ProblemNonFinite ProblemKind = "non-finite"
	// ProblemDegenerate: a triangle repeats a vertex or is thinner than
	// MinAltitude.
	ProblemDegenerate ProblemKind = "degenerate"
	// ProblemDuplicateTriangle: two triangles use the same three vertices.
	ProblemDuplicateTriangle ProblemKind = "duplicate-triangle"
	// ProblemDuplicateVertex: two vertices have the same single-precision
	// position, so an STL reader would merge them into one.
	ProblemDuplicateVertex ProblemKind = "duplicate-vertex"
	// ProblemUnusedVertex: a vertex no triangle uses.
	ProblemUnusedVertex ProblemKind = "unused-vertex"
	// ProblemOpenEdge: an edge used by one triangle only (a hole).
	ProblemOpenEdge ProblemKind = "open-edge"
	// ProblemNonManifoldEdge: an edge shared by more than two triangles.
	ProblemNonManifoldEdge ProblemKind = "non-manifold-edge"
	// ProblemFlippedEdge: an edge whose two triangles run it in the same
	// direction, so one of them faces the wrong way.
	ProblemFlippedEdge ProblemKind = "flipped-edge"
	// ProblemNonManifoldVertex: the triangles around a vertex form more
	// than one fan (two solids touching at a point).
	ProblemNonManifoldVertex ProblemKind = "non-manifold-vertex"
	// ProblemInverted: a closed shell whose signed volume is not positive,
	// meaning its normals point inwards.
	ProblemInverted ProblemKind = "inverted"
	// ProblemBounds: the bounding box does not match the one the template
	// predicts from its parameters (reported by Generate).
	ProblemBounds ProblemKind = "bounds"
	// ProblemSelfIntersection: two triangles cross each other (reported by
	// CheckSelfIntersections).
	ProblemSelfIntersection ProblemKind = "self-intersection"
)

var problemOrder = []ProblemKind{
	ProblemEmpty, ProblemIndex, ProblemNonFinite, ProblemDegenerate,
	ProblemDuplicateTriangle, ProblemDuplicateVertex, ProblemUnusedVertex,
	ProblemOpenEdge, ProblemNonManifoldEdge, ProblemFlippedEdge,
	ProblemNonManifoldVertex, ProblemInverted, ProblemBounds, ProblemSelfIntersection,
}

// Problem is one defect found by Check.
type Problem struct {
	// Kind is the class of defect.
	Kind ProblemKind
	// Detail says where, for example "triangle 17" or "edge 4-7".
	Detail string
}

// CheckError is returned by Check, Write and Generate when a mesh is not a
// valid closed solid. It counts every defect and keeps the first few of each
// kind as examples.
type CheckError struct {
	// Counts is the number of defects of each kind found.
	Counts map[ProblemKind]int
	// Problems are examples: at most maxExamples per kind, in the order found.
	Problems []Problem
}

const maxExamples = 3

func (e *CheckError) add(k ProblemKind, format string, args ...any) {
	if e.Counts == nil {
		e.Counts = make(map[ProblemKind]int)
	}
	e.Counts[k]++
	if e.Counts[k] <= maxExamples {
		e.Problems = append(e.Problems, Problem{Kind: k, Detail: fmt.Sprintf(format, args...)})
	}
}

// Has reports whether at least one defect of kind k was found.
func (e *CheckError) Has(k ProblemKind) bool { return e.Counts[k] > 0 }

func (e *CheckError) Error() string {
	var b strings.Builder
	b.WriteString("mesh check failed:")
	sep := " "
	for _, k := range problemOrder {
		n := e.Counts[k]
		if n == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s%d %s", sep, n, k)
		var ex []string
		for _, p := range e.Problems {
			if p.Kind == k && p.Detail != "" {
				ex = append(ex, p.Detail)
			}
		}
		if len(ex) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(ex, ", "))
		}
		sep = "; "
	}
	return b.String()
}

// orNil returns e, or nil when it holds no problem.
func (e *CheckError) orNil() error {
	if len(e.Counts) == 0 {
		return nil
	}
	return e
}

// Check verifies that m is a valid closed solid that a slicer accepts:
//
//   - every index is in range and every coordinate finite;
//   - no triangle is degenerate (repeated vertex, or thinner than
//     MinAltitude in single precision) and no two use the same vertices;
//   - no two vertices share a single-precision position and every vertex is
//     used, so STL readers rebuild exactly the topology checked here;
//   - it is a closed 2-manifold: every edge is shared by exactly two
//     triangles that run it in opposite directions, and the triangles
//     around every vertex form a single fan;
//   - every shell has a positive signed volume (normals point outwards).
//
// It returns nil or a *CheckError. Self-intersections are not looked for
// here (see CheckSelfIntersections). Check runs in O(n log n) and needs
// about 40 bytes of scratch memory per triangle.
func Check(m *Mesh) error {
	e := &CheckError{}
	if len(m.Triangles) == 0 {
		e.add(ProblemEmpty, "")
		return e
	}
	if len(m.Vertices) >= math.MaxInt32 {
		e.add(ProblemIndex, "%d vertices is more than the %d supported", len(m.Vertices), math.MaxInt32-1)
		return e
	}
	nv := uint32(len(m.Vertices))
	for i, t := range m.Triangles {
		if t[0] >= nv || t[1] >= nv || t[2] >= nv {
			e.add(ProblemIndex, "triangle %d", i)
		}
	}
	if err := e.orNil(); err != nil {
		return err // the other checks would index out of range
	}
	for i, v := range m.Vertices {
		if !finite(v.X) || !finite(v.Y) || !finite(v.Z) {
			e.add(ProblemNonFinite, "vertex %d", i)
		}
	}
	if err := e.orNil(); err != nil {
		return err
	}
	checkTriangles(m, e)
	checkVertices(m, e)
	if !checkEdges(m, e) {
		return e.orNil()
	}
	checkFans(m, e)
	if len(e.Counts) == 0 {
		checkShellVolumes(m, e)
	}
	return e.orNil()
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// checkTriangles looks for degenerate and duplicate triangles.
func checkTriangles(m *Mesh, e *CheckError) {
	for i, t := range m.Triangles {
		if t[0] == t[1] || t[1] == t[2] || t[2] == t[0] {
			e.add(ProblemDegenerate, "triangle %d repeats a vertex", i)
			continue
		}
		a, b, c := m.Vertices[t[0]].float32(), m.Vertices[t[1]].float32(), m.Vertices[t[2]].float32()
		if h := altitude(a, b, c); !(h >= MinAltitude) {
			e.add(ProblemDegenerate, "triangle %d is %.2g mm thin", i, h)
		}
	}
	keys := make([][3]uint32, len(m.Triangles))
	for i, t := range m.Triangles {
		s := t
		if s[0] > s[1] {
			s[0], s[1] = s[1], s[0]
		}
		if s[1] > s[2] {
			s[1], s[2] = s[2], s[1]
		}
		if s[0] > s[1] {
			s[0], s[1] = s[1], s[0]
		}
		keys[i] = s
	}
	slices.SortFunc(keys, func(a, b [3]uint32) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		if c := cmp.Compare(a[1], b[1]); c != 0 {
			return c
		}
		return cmp.Compare(a[2], b[2])
	})
	for i := 1; i < len(keys); i++ {
		if keys[i] == keys[i-1] {
			e.add(ProblemDuplicateTriangle, "vertices %d %d %d", keys[i][0], keys[i][1], keys[i][2])
		}
	}
}

// altitude returns the smallest height of the triangle a, b, c.
func altitude(a, b, c Vec3) float64 {
	ab, bc, ca := b.Sub(a), c.Sub(b), a.Sub(c)
	longest := math.Sqrt(max(ab.Dot(ab), bc.Dot(bc), ca.Dot(ca)))
	if longest == 0 {
		return 0
	}
	return ab.Cross(ca).Len() / longest
}

// checkVertices looks for unused vertices and for vertices that share a
// single-precision position.
func checkVertices(m *Mesh, e *CheckError) {
	used := make([]bool, len(m.Vertices))
	for _, t := range m.Triangles {
		used[t[0]], used[t[1]], used[t[2]] = true, true, true
	}
	order := make([]uint32, 0, len(m.Vertices))
	for i, u := range used {
		if !u {
			e.add(ProblemUnusedVertex, "vertex %d", i)
			continue
		}
		order = append(order, uint32(i))
	}
	pos := func(i uint32) [3]float32 {
		v := m.Vertices[i]
		return [3]float32{float32(v.X), float32(v.Y), float32(v.Z)}
	}
	slices.SortFunc(order, func(a, b uint32) int {
		p, q := pos(a), pos(b)
		if c := cmp.Compare(p[0], q[0]); c != 0 {
			return c
		}
		if c := cmp.Compare(p[1], q[1]); c != 0 {
			return c
		}
		return cmp.Compare(p[2], q[2])
	})
	for i := 1; i < len(order); i++ {
		if pos(order[i]) == pos(order[i-1]) {
			e.add(ProblemDuplicateVertex, "vertices %d and %d at %v", order[i-1], order[i], pos(order[i]))
		}
	}
}

// checkEdges verifies that every edge is shared by exactly two triangles
// running it in opposite directions. It reports whether the edges are sound
// enough for the vertex and volume checks to mean anything.
func checkEdges(m *Mesh, e *CheckError) bool {
	// One key per directed edge: the smaller vertex in the high bits, the
	// larger above the lowest bit, and the direction in the lowest bit.
	keys := make([]uint64, 0, 3*len(m.Triangles))
	for _, t := range m.Triangles {
		for j := range 3 {
			a, b := t[j], t[(j+1)%3]
			var dir uint64
			if a > b {
				a, b, dir = b, a, 1
			}
			keys = append(keys, uint64(a)<<32|uint64(b)<<1|dir)
		}
	}
	slices.Sort(keys)
	before := len(e.Counts)
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j]>>1 == keys[i]>>1 {
			j++
		}
		a, b := keys[i]>>32, keys[i]>>1&(1<<31-1)
		switch n := j - i; {
		case n == 1:
			e.add(ProblemOpenEdge, "edge %d-%d", a, b)
		case n > 2:
			e.add(ProblemNonManifoldEdge, "edge %d-%d in %d triangles", a, b, n)
		case keys[i]&1 == keys[i+1]&1:
			e.add(ProblemFlippedEdge, "edge %d-%d", a, b)
		}
		i = j
	}
	return len(e.Counts) == before
}

// checkFans verifies that the triangles around each vertex form one fan.
// It assumes checkEdges passed, so the links are unions of cycles.
func checkFans(m *Mesh, e *CheckError) {
	// Triangles by vertex, in compressed rows.
	start := make([]uint32, len(m.Vertices)+1)
	for _, t := range m.Triangles {
		start[t[0]+1]++
		start[t[1]+1]++
		start[t[2]+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	fill := slices.Clone(start[:len(start)-1])
	tris := make([]uint32, 3*len(m.Triangles))
	for i, t := range m.Triangles {
		for _, v := range t {
			tris[fill[v]] = uint32(i)
			fill[v]++
		}
	}
	var link [][2]uint32
	for v := range m.Vertices {
		around := tris[start[v]:start[v+1]]
		link = link[:0]
		for _, ti := range around {
			t := m.Triangles[ti]
			for j := range 3 {
				if t[j] == uint32(v) {
					link = append(link, [2]uint32{t[(j+1)%3], t[(j+2)%3]})
				}
			}
		}
		if len(link) == 0 {
			continue
		}
		slices.SortFunc(link, func(a, b [2]uint32) int { return cmp.Compare(a[0], b[0]) })
		// Walk the cycle through the first neighbour; a single fan visits all.
		first := link[0][0]
		cur, steps := first, 0
		for {
			k, ok := slices.BinarySearchFunc(link, cur, func(p [2]uint32, x uint32) int { return cmp.Compare(p[0], x) })
			if !ok {
				break
			}
			cur = link[k][1]
			steps++
			if cur == first || steps > len(link) {
				break
			}
		}
		if steps != len(link) {
			e.add(ProblemNonManifoldVertex, "vertex %d", v)
		}
	}
}

// checkShellVolumes verifies that every closed shell encloses a positive
// volume.
func checkShellVolumes(m *Mesh, e *CheckError) {
	label, n := m.shells()
	vol := make([]float64, n)
	b := m.Bounds()
	o := b.Min.Add(b.Max).Scale(0.5)
	for _, t := range m.Triangles {
		p, q, r := m.Vertices[t[0]].Sub(o), m.Vertices[t[1]].Sub(o), m.Vertices[t[2]].Sub(o)
		vol[label[t[0]]] += p.Dot(q.Cross(r)) / 6
	}
	for i, v := range vol {
		if !(v > 0) {
			e.add(ProblemInverted, "shell %d has volume %.4g mm³", i, v)
		}
	}
}
