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

// MaxCoordinate is the largest coordinate, in millimetres, that Check
// accepts: a kilometre, beyond any machine, and small enough that every
// coordinate fits the fixed width that FileSize counts for OBJ files.
const MaxCoordinate = 1e6

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
	// ProblemOutOfRange: a vertex coordinate is farther than MaxCoordinate
	// from the origin.
	ProblemOutOfRange ProblemKind = "out-of-range"
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
	ProblemEmpty, ProblemIndex, ProblemNonFinite, ProblemOutOfRange, ProblemDegenerate,
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

// Error lists each kind of defect with its count and examples.
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
//   - every index is in range and every coordinate finite and within
//     MaxCoordinate;
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
// here (see CheckSelfIntersections). Check runs in about linear time (some
// 150 ms for a million triangles) and needs about 28 bytes of scratch
// memory per triangle.
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
		switch {
		case !finite(v.X) || !finite(v.Y) || !finite(v.Z):
			e.add(ProblemNonFinite, "vertex %d", i)
		case max(math.Abs(v.X), math.Abs(v.Y), math.Abs(v.Z)) > MaxCoordinate:
			e.add(ProblemOutOfRange, "vertex %d at %v", i, v)
		}
	}
	if err := e.orNil(); err != nil {
		return err
	}
	checkTriangles(m, e)
	checkVertices(m, e)
	if checkTopology(m, e) && len(e.Counts) == 0 {
		checkShellVolumes(m, e)
	}
	return e.orNil()
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// checkTriangles looks for degenerate triangles.
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
	bits := func(x float64) uint64 { return uint64(math.Float32bits(float32(x) + 0)) } // +0 folds -0
	pos := func(i int) [3]uint64 {
		v := m.Vertices[i]
		return [3]uint64{bits(v.X), bits(v.Y), bits(v.Z)}
	}
	hash := func(p [3]uint64) uint64 { return mix64(p[0] | p[1]<<32 ^ mix64(p[2])) }
	dup := func(i, j int) {
		e.add(ProblemDuplicateVertex, "vertices %d and %d at %v", min(i, j), max(i, j), m.Vertices[i].float32())
	}
	if len(m.Vertices) >= 1<<idxBits {
		// Huge meshes: a map, slower but without the index limit.
		seen := make(map[[3]uint64]int, len(m.Vertices))
		for i, u := range used {
			if !u {
				e.add(ProblemUnusedVertex, "vertex %d", i)
			} else if j, ok := seen[pos(i)]; ok {
				dup(j, i)
			} else {
				seen[pos(i)] = i
			}
		}
		return
	}
	// Sort the used vertices by a hash of their position (the hash's top
	// bits above the index); equal positions end up side by side, and
	// equal hashes are compared exactly.
	const idx = 1<<idxBits - 1
	keys := make([]uint64, 0, len(m.Vertices))
	for i, u := range used {
		if !u {
			e.add(ProblemUnusedVertex, "vertex %d", i)
			continue
		}
		keys = append(keys, hash(pos(i))&^idx|uint64(i))
	}
	radixSort(keys)
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j]&^idx == keys[i]&^idx {
			j++
		}
		for a := i; a < j; a++ { // almost always a run of one
			for b := a + 1; b < j; b++ {
				if ia, ib := int(keys[a]&idx), int(keys[b]&idx); pos(ia) == pos(ib) {
					dup(ia, ib)
				}
			}
		}
		i = j
	}
}

// idxBits is how many low bits of a sort key hold a vertex index.
const idxBits = 24

// mix64 is the splitmix64 finaliser, a fast 64-bit hash.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// radixSort sorts keys in place, 16 bits per pass, skipping passes where
// every key has the same digit.
func radixSort(keys []uint64) {
	if len(keys) < 2 {
		return
	}
	tmp := make([]uint64, len(keys))
	src, dst := keys, tmp
	var count [1 << 16]int
	for shift := uint(0); shift < 64; shift += 16 {
		clear(count[:])
		for _, k := range src {
			count[k>>shift&0xffff]++
		}
		if count[src[0]>>shift&0xffff] == len(src) {
			continue
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, k := range src {
			d := k >> shift & 0xffff
			dst[count[d]] = k
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}

// checkTopology verifies, vertex by vertex, that every edge is shared by
// exactly two triangles running it in opposite directions, that no two
// triangles use the same three vertices, and that the triangles around each
// vertex form a single fan. It reports whether the edges are sound, which
// the volume check needs. Working on each vertex's few triangles avoids
// sorting all 3n edges of the mesh.
func checkTopology(m *Mesh, e *CheckError) bool {
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
	tris := make([]uint32, 3*len(m.Triangles))
	fill := start[: len(start)-1 : len(start)-1]
	for i, t := range m.Triangles {
		for _, v := range t {
			tris[fill[v]] = uint32(i)
			fill[v]++
		}
	}
	// fill[v] is now start[v+1]: shift back.
	copy(start[1:], start[:len(start)-1])
	start[0] = 0

	edgesOK := true
	var ends []uint64      // neighbour<<1 | 1 if the edge leaves v
	var link [][2]uint32   // (next, previous) corner of each triangle around v
	var others [][2]uint32 // the other two corners, for duplicates
	for v := range m.Vertices {
		around := tris[start[v]:start[v+1]]
		if len(around) == 0 {
			continue
		}
		ends, link, others = ends[:0], link[:0], others[:0]
		for _, ti := range around {
			t := m.Triangles[ti]
			j := 0
			for t[j] != uint32(v) {
				j++
			}
			next, prev := t[(j+1)%3], t[(j+2)%3]
			ends = append(ends, uint64(next)<<1|1, uint64(prev)<<1)
			link = append(link, [2]uint32{next, prev})
			if uint32(v) < next && uint32(v) < prev {
				others = append(others, [2]uint32{min(next, prev), max(next, prev)})
			}
		}
		slices.Sort(ends)
		vertexOK := true
		for i := 0; i < len(ends); {
			w := ends[i] >> 1
			j, out := i, 0
			for ; j < len(ends) && ends[j]>>1 == w; j++ {
				out += int(ends[j] & 1)
			}
			n := j - i
			if n != 2 || out != 1 {
				vertexOK = false
				if uint64(v) < w {
					switch {
					case n == 1:
						e.add(ProblemOpenEdge, "edge %d-%d", v, w)
					case n > 2:
						e.add(ProblemNonManifoldEdge, "edge %d-%d in %d triangles", v, w, n)
					default:
						e.add(ProblemFlippedEdge, "edge %d-%d", v, w)
					}
				}
			}
			i = j
		}
		slices.SortFunc(others, func(a, b [2]uint32) int {
			if c := cmp.Compare(a[0], b[0]); c != 0 {
				return c
			}
			return cmp.Compare(a[1], b[1])
		})
		for i := 1; i < len(others); i++ {
			if others[i] == others[i-1] {
				e.add(ProblemDuplicateTriangle, "vertices %d %d %d", v, others[i][0], others[i][1])
			}
		}
		if !vertexOK {
			edgesOK = false
			continue
		}
		// The edges around v are sound, so following next → previous
		// corners walks cycles; one fan is one cycle through them all.
		if len(link) > 16 {
			slices.SortFunc(link, func(a, b [2]uint32) int { return cmp.Compare(a[0], b[0]) })
		}
		find := func(x uint32) (int, bool) {
			if len(link) > 16 {
				return slices.BinarySearchFunc(link, x, func(p [2]uint32, x uint32) int { return cmp.Compare(p[0], x) })
			}
			for k, p := range link {
				if p[0] == x {
					return k, true
				}
			}
			return 0, false
		}
		first := link[0][0]
		cur, steps := first, 0
		for {
			k, ok := find(cur)
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
	return edgesOK
}

// checkShellVolumes verifies that every closed shell encloses a positive
// volume.
func checkShellVolumes(m *Mesh, e *CheckError) {
	label, n := m.shells()
	vol := make([]float64, n)
	o := m.Vertices[m.Triangles[0][0]] // any point near the mesh keeps the terms small
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
