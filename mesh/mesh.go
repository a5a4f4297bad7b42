package mesh

import "math"

// Mesh is an indexed triangle mesh in millimetres. Triangles index into
// Vertices and are wound counter-clockwise when seen from outside the solid,
// so that their normals (by the right-hand rule) point outwards.
//
// A Mesh holds every vertex once: the OBJ writer writes the shared vertices
// as they are, and Check verifies the topology on the indices.
type Mesh struct {
	// Vertices are the mesh's points, in millimetres.
	Vertices []Vec3
	// Triangles are triples of indices into Vertices.
	Triangles [][3]uint32
}

// AddVertex appends v and returns its index.
func (m *Mesh) AddVertex(v Vec3) uint32 {
	m.Vertices = append(m.Vertices, v)
	return uint32(len(m.Vertices) - 1)
}

// AddTriangle appends the triangle a, b, c (counter-clockwise seen from outside).
func (m *Mesh) AddTriangle(a, b, c uint32) {
	m.Triangles = append(m.Triangles, [3]uint32{a, b, c})
}

// Triangle returns the corner positions of triangle i.
func (m *Mesh) Triangle(i int) (a, b, c Vec3) {
	t := m.Triangles[i]
	return m.Vertices[t[0]], m.Vertices[t[1]], m.Vertices[t[2]]
}

// Volume returns the signed volume enclosed by the mesh in cubic
// millimetres: positive for a closed mesh whose normals point outwards. It is
// meaningful only for a closed mesh (see Check).
func (m *Mesh) Volume() float64 {
	// Sum of signed tetrahedra against a point on the mesh, which keeps
	// the terms small and the sum accurate far from the origin.
	if len(m.Triangles) == 0 {
		return 0
	}
	o := m.Vertices[m.Triangles[0][0]]
	var sum, comp float64 // Kahan summation: a vase has millions of terms
	for i := range m.Triangles {
		p, q, r := m.Triangle(i)
		v := p.Sub(o).Dot(q.Sub(o).Cross(r.Sub(o)))
		y := v - comp
		t := sum + y
		comp = (t - sum) - y
		sum = t
	}
	return sum / 6
}

// Area returns the total surface area in square millimetres.
func (m *Mesh) Area() float64 {
	var sum float64
	for i := range m.Triangles {
		p, q, r := m.Triangle(i)
		sum += q.Sub(p).Cross(r.Sub(p)).Len() / 2
	}
	return sum
}

// Bounds returns the axis-aligned bounding box of the vertices that
// triangles use. An empty mesh has a zero Box.
func (m *Mesh) Bounds() Box {
	if len(m.Triangles) == 0 {
		return Box{}
	}
	inf := math.Inf(1)
	b := Box{Min: Vec3{inf, inf, inf}, Max: Vec3{-inf, -inf, -inf}}
	for _, t := range m.Triangles {
		for _, i := range t {
			v := m.Vertices[i]
			b.Min = Vec3{min(b.Min.X, v.X), min(b.Min.Y, v.Y), min(b.Min.Z, v.Z)}
			b.Max = Vec3{max(b.Max.X, v.X), max(b.Max.Y, v.Y), max(b.Max.Z, v.Z)}
		}
	}
	return b
}

// Shells returns the number of connected pieces of the mesh (triangles
// joined through shared vertices). A product that must come off the printer
// in one piece has exactly one shell.
func (m *Mesh) Shells() int {
	_, n := m.shells()
	return n
}

// shells labels every vertex used by a triangle with its connected
// component and returns the labels (by vertex, -1 for unused vertices) and
// the number of components.
func (m *Mesh) shells() ([]int32, int) {
	parent := make([]int32, len(m.Vertices))
	for i := range parent {
		parent[i] = -1
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, t := range m.Triangles {
		for _, v := range t {
			if parent[v] < 0 {
				parent[v] = int32(v)
			}
		}
		a := find(int32(t[0]))
		for _, v := range t[1:] {
			if b := find(int32(v)); b != a {
				parent[b] = a
			}
		}
	}
	label := make([]int32, len(m.Vertices))
	root := make(map[int32]int32)
	for i := range parent {
		if parent[i] < 0 {
			label[i] = -1
			continue
		}
		r := find(int32(i))
		l, ok := root[r]
		if !ok {
			l = int32(len(root))
			root[r] = l
		}
		label[i] = l
	}
	return label, len(root)
}
