package mesh

import (
	"math"
)

// intersectEps is the distance, in millimetres, below which
// CheckSelfIntersections treats points as touching rather than crossing.
const intersectEps = 1e-6

// CheckSelfIntersections reports triangles that cross or overlap one
// another, which a slicer reads as a corrupt solid even when Check passes
// (for example two letters pushed into each other). Triangles that share an
// edge or a vertex are allowed to meet there but not to fold over or pass
// through each other. Triangles that only touch are not reported.
//
// It buckets triangles in a uniform grid and tests the pairs that share a
// cell, which is fast for meshes with triangles of similar size but costs
// memory proportional to the triangles' extent in cells; it is meant for
// tests and for checking a template, not for every file written. It returns
// nil or a *CheckError with ProblemSelfIntersection.
func CheckSelfIntersections(m *Mesh) error {
	if err := Check(m); err != nil {
		return err // the tests below assume valid indices and triangles
	}
	n := len(m.Triangles)
	boxes := make([]Box, n)
	var mean float64
	for i := range m.Triangles {
		a, b, c := m.Triangle(i)
		boxes[i] = Box{
			Min: Vec3{min(a.X, b.X, c.X), min(a.Y, b.Y, c.Y), min(a.Z, b.Z, c.Z)},
			Max: Vec3{max(a.X, b.X, c.X), max(a.Y, b.Y, c.Y), max(a.Z, b.Z, c.Z)},
		}
		s := boxes[i].Size()
		mean += max(s.X, s.Y, s.Z)
	}
	mean /= float64(n)
	all := m.Bounds()
	cell := max(2*mean, all.Diagonal()/1024, 1e-3)
	key := func(x, y, z int) uint64 { return uint64(x)<<42 | uint64(y)<<21 | uint64(z) }
	idx := func(v, lo float64) int { return int(math.Floor((v - lo) / cell)) }
	grid := make(map[uint64][]int32)
	for i, bx := range boxes {
		for x := idx(bx.Min.X, all.Min.X); x <= idx(bx.Max.X, all.Min.X); x++ {
			for y := idx(bx.Min.Y, all.Min.Y); y <= idx(bx.Max.Y, all.Min.Y); y++ {
				for z := idx(bx.Min.Z, all.Min.Z); z <= idx(bx.Max.Z, all.Min.Z); z++ {
					k := key(x, y, z)
					grid[k] = append(grid[k], int32(i))
				}
			}
		}
	}
	e := &CheckError{}
	for k, list := range grid {
		for p, i := range list {
			for _, j := range list[p+1:] {
				bi, bj := boxes[i], boxes[j]
				lo := Vec3{max(bi.Min.X, bj.Min.X), max(bi.Min.Y, bj.Min.Y), max(bi.Min.Z, bj.Min.Z)}
				hi := Vec3{min(bi.Max.X, bj.Max.X), min(bi.Max.Y, bj.Max.Y), min(bi.Max.Z, bj.Max.Z)}
				if lo.X > hi.X+intersectEps || lo.Y > hi.Y+intersectEps || lo.Z > hi.Z+intersectEps {
					continue
				}
				// Test each pair once: in the cell holding the low corner
				// of the boxes' overlap.
				if key(idx(lo.X, all.Min.X), idx(lo.Y, all.Min.Y), idx(lo.Z, all.Min.Z)) != k {
					continue
				}
				if trianglesIntersect(m, int(i), int(j)) {
					e.add(ProblemSelfIntersection, "triangles %d and %d", min(i, j), max(i, j))
				}
			}
		}
	}
	return e.orNil()
}

// trianglesIntersect reports whether triangles i and j cross or overlap
// anywhere other than along the edge or at the vertex they share.
func trianglesIntersect(m *Mesh, i, j int) bool {
	ti, tj := m.Triangles[i], m.Triangles[j]
	shared := 0
	for _, a := range ti {
		for _, b := range tj {
			if a == b {
				shared++
			}
		}
	}
	if shared == 3 {
		return false // a duplicate, Check's business
	}
	var p, q [3]Vec3
	for k := range 3 {
		p[k], q[k] = m.Vertices[ti[k]], m.Vertices[tj[k]]
	}
	n1 := p[1].Sub(p[0]).Cross(p[2].Sub(p[0])).Normalize()
	n2 := q[1].Sub(q[0]).Cross(q[2].Sub(q[0])).Normalize()
	var dq, dp [3]float64
	for k := range 3 {
		dq[k] = snap(n1.Dot(q[k].Sub(p[0])))
		dp[k] = snap(n2.Dot(p[k].Sub(q[0])))
	}
	if dq[0] == 0 && dq[1] == 0 && dq[2] == 0 {
		return coplanarIntersect(ti, tj, p, q, n1)
	}
	if shared == 2 {
		return false // hinged on their common edge
	}
	if sameSide(dq) || sameSide(dp) {
		return false
	}
	// Both triangles cross the line where their planes meet; they
	// intersect if their stretches of that line overlap.
	d := n1.Cross(n2).Normalize()
	a0, a1, ok1 := lineInterval(p, dp, d)
	b0, b1, ok2 := lineInterval(q, dq, d)
	return ok1 && ok2 && min(a1, b1)-max(a0, b0) > intersectEps
}

func snap(x float64) float64 {
	if math.Abs(x) < intersectEps {
		return 0
	}
	return x
}

// sameSide reports whether all three distances are non-zero and of one sign.
func sameSide(d [3]float64) bool {
	return (d[0] > 0 && d[1] > 0 && d[2] > 0) || (d[0] < 0 && d[1] < 0 && d[2] < 0)
}

// lineInterval returns the stretch, as positions along dir, of the triangle
// t whose corners are at signed distances dist from the other plane.
func lineInterval(t [3]Vec3, dist [3]float64, dir Vec3) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	add := func(v Vec3) {
		x := v.Dot(dir)
		lo, hi, ok = min(lo, x), max(hi, x), true
	}
	for k := range 3 {
		l := (k + 1) % 3
		if dist[k] == 0 {
			add(t[k])
		}
		if dist[k]*dist[l] < 0 {
			s := dist[k] / (dist[k] - dist[l])
			add(t[k].Add(t[l].Sub(t[k]).Scale(s)))
		}
	}
	return lo, hi, ok
}

// coplanarIntersect decides for two triangles in one plane with normal n.
func coplanarIntersect(ti, tj [3]uint32, p, q [3]Vec3, n Vec3) bool {
	// Drop the normal's largest axis.
	flat := func(v Vec3) vec2 {
		ax, ay, az := math.Abs(n.X), math.Abs(n.Y), math.Abs(n.Z)
		switch {
		case ax >= ay && ax >= az:
			return vec2{v.Y, v.Z}
		case ay >= az:
			return vec2{v.Z, v.X}
		}
		return vec2{v.X, v.Y}
	}
	var a, b [3]vec2
	for k := range 3 {
		a[k], b[k] = flat(p[k]), flat(q[k])
	}
	if orient(a[0], a[1], a[2]) < 0 {
		a[1], a[2], ti[1], ti[2] = a[2], a[1], ti[2], ti[1]
	}
	if orient(b[0], b[1], b[2]) < 0 {
		b[1], b[2], tj[1], tj[2] = b[2], b[1], tj[2], tj[1]
	}
	eps := intersectEps * intersectEps
	inside := func(t [3]vec2, x vec2) bool {
		return orient(t[0], t[1], x) > eps && orient(t[1], t[2], x) > eps && orient(t[2], t[0], x) > eps
	}
	isShared := func(v uint32, other [3]uint32) bool { return v == other[0] || v == other[1] || v == other[2] }
	for k := range 3 {
		if !isShared(tj[k], ti) && inside(a, b[k]) {
			return true
		}
		if !isShared(ti[k], tj) && inside(b, a[k]) {
			return true
		}
	}
	for k := range 3 {
		for l := range 3 {
			e0, e1 := ti[k], ti[(k+1)%3]
			f0, f1 := tj[l], tj[(l+1)%3]
			if e0 == f0 || e0 == f1 || e1 == f0 || e1 == f1 {
				continue
			}
			if segmentsCross(a[k], a[(k+1)%3], b[l], b[(l+1)%3]) {
				return true
			}
		}
	}
	// Corners the triangles share: overlapping if an edge of one leaves a
	// shared corner into the other's angle there.
	for k := range 3 {
		for l := range 3 {
			if ti[k] != tj[l] {
				continue
			}
			for _, d := range []vec2{b[(l+1)%3].sub(b[l]), b[(l+2)%3].sub(b[l])} {
				u, v := a[(k+1)%3].sub(a[k]), a[(k+2)%3].sub(a[k])
				if u.cross(d) > eps && d.cross(v) > eps {
					return true
				}
			}
			for _, d := range []vec2{a[(k+1)%3].sub(a[k]), a[(k+2)%3].sub(a[k])} {
				u, v := b[(l+1)%3].sub(b[l]), b[(l+2)%3].sub(b[l])
				if u.cross(d) > eps && d.cross(v) > eps {
					return true
				}
			}
		}
	}
	return false
}
