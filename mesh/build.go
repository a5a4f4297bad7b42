package mesh

import "fmt"

// builder assembles closed solids from rings of vertices: walls between
// rings, and caps triangulated from a ring and its holes. Rings seen from
// above run counter-clockwise around material and clockwise around holes;
// with that convention every face it adds points out of the material.
type builder struct {
	m *Mesh
}

// ring adds the points of poly at height z and returns their indices.
func (b *builder) ring(poly []vec2, z float64) []uint32 {
	r := make([]uint32, len(poly))
	for i, p := range poly {
		r[i] = b.m.AddVertex(Vec3{p.x, p.y, z})
	}
	return r
}

// wall joins two rings of the same length with a band of quads, from lower
// to upper. The band faces to the right of the rings' direction: outwards
// for a counter-clockwise ring below a copy of itself.
func (b *builder) wall(lower, upper []uint32) {
	n := len(lower)
	for i := range n {
		j := (i + 1) % n
		b.m.AddTriangle(lower[i], lower[j], upper[j])
		b.m.AddTriangle(lower[i], upper[j], upper[i])
	}
}

// loft joins each ring to the next with wall; closed also joins the last
// ring to the first.
func (b *builder) loft(rings [][]uint32, closed bool) {
	for i := 0; i+1 < len(rings); i++ {
		b.wall(rings[i], rings[i+1])
	}
	if closed {
		b.wall(rings[len(rings)-1], rings[0])
	}
}

// fan closes a ring with triangles around a centre vertex, facing up (+z)
// for a counter-clockwise ring if up, else down.
func (b *builder) fan(centre uint32, ring []uint32, up bool) {
	n := len(ring)
	for i := range n {
		j := (i + 1) % n
		if up {
			b.m.AddTriangle(centre, ring[i], ring[j])
		} else {
			b.m.AddTriangle(centre, ring[j], ring[i])
		}
	}
}

// cap triangulates the flat face bounded by outer (counter-clockwise in the
// XY plane) and holes (clockwise), using the vertices' X and Y, and adds
// it facing up (+z) if up, else down.
func (b *builder) cap(outer []uint32, holes [][]uint32, up bool) error {
	var pts []vec2
	var ids []uint32
	local := func(r []uint32) []int32 {
		l := make([]int32, len(r))
		for k, v := range r {
			l[k] = int32(len(pts))
			p := b.m.Vertices[v]
			pts = append(pts, vec2{p.X, p.Y})
			ids = append(ids, v)
		}
		return l
	}
	o := local(outer)
	hs := make([][]int32, len(holes))
	for k, h := range holes {
		hs[k] = local(h)
	}
	tris, err := triangulate(pts, o, hs)
	if err != nil {
		return fmt.Errorf("face with %d points and %d holes: %w", len(outer), len(holes), err)
	}
	for _, t := range tris {
		if up {
			b.m.AddTriangle(ids[t[0]], ids[t[1]], ids[t[2]])
		} else {
			b.m.AddTriangle(ids[t[0]], ids[t[2]], ids[t[1]])
		}
	}
	return nil
}

// capTriangles returns how many triangles cap makes of a face bounded by
// an outline of outer points with holes of the given point counts: a
// triangulation without added points has outer + Σ holes + 2 × holes - 2.
func capTriangles(outer int64, holes ...int64) int64 {
	n := outer - 2
	for _, h := range holes {
		n += h + 2
	}
	return n
}
