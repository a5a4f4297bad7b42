package mesh

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// triangulate splits a polygon with holes into triangles without adding
// points. outer runs counter-clockwise, every hole clockwise, all as indices
// into pts; holes must lie strictly inside outer and apart from each other.
// The triangles are counter-clockwise triples of indices into pts.
//
// It bridges each hole into the outer boundary (from the hole's rightmost
// point to a visible boundary point, as in Eberly's "Triangulation by Ear
// Clipping"), then clips ears, and finally flips diagonals
// wherever that makes the thinner of two neighbouring triangles fatter. The
// result is verified: the triangles' areas must add up to the polygon's
// area.
func triangulate(pts []vec2, outer []int32, holes [][]int32) ([][3]int32, error) {
	t := &earClipper{pts: pts}
	if len(outer) < 3 {
		return nil, errors.New("triangulate: outer boundary has fewer than 3 points")
	}
	want := t.ringArea(outer)
	if want <= 0 {
		return nil, errors.New("triangulate: outer boundary is not counter-clockwise")
	}
	start := t.ring(outer)
	hs := slices.Clone(holes)
	rightmost := func(h []int32) int32 {
		best := h[0]
		for _, i := range h {
			if p, q := pts[i], pts[best]; p.x > q.x || (p.x == q.x && p.y < q.y) {
				best = i
			}
		}
		return best
	}
	slices.SortStableFunc(hs, func(a, b []int32) int {
		pa, pb := pts[rightmost(a)], pts[rightmost(b)]
		switch {
		case pa.x > pb.x:
			return -1
		case pa.x < pb.x:
			return 1
		}
		return 0
	})
	for _, h := range hs {
		if len(h) < 3 {
			return nil, errors.New("triangulate: hole has fewer than 3 points")
		}
		a := t.ringArea(h)
		if a >= 0 {
			return nil, errors.New("triangulate: hole is not clockwise")
		}
		want += a
		hstart := t.ring(h)
		m := hstart
		for n := t.nodes[m].next; n != hstart; n = t.nodes[n].next {
			if p, q := t.pt(n), t.pt(m); p.x > q.x || (p.x == q.x && p.y < q.y) {
				m = n
			}
		}
		b, err := t.bridgeTarget(start, m)
		if err != nil {
			return nil, err
		}
		t.split(b, m)
	}
	tris, err := t.clip(start)
	if err != nil {
		return nil, err
	}
	improve(pts, tris)
	var got float64
	for _, tr := range tris {
		got += orient(pts[tr[0]], pts[tr[1]], pts[tr[2]]) / 2
	}
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		return nil, fmt.Errorf("triangulate: triangles cover %.9g mm², polygon has %.9g mm² (overlapping or touching contours?)", got, want)
	}
	return tris, nil
}

type earNode struct {
	i          int32 // index into pts
	prev, next int32 // neighbouring nodes
}

type earClipper struct {
	pts   []vec2
	nodes []earNode
}

func (t *earClipper) pt(n int32) vec2 { return t.pts[t.nodes[n].i] }

func (t *earClipper) ringArea(r []int32) float64 {
	var s float64
	for k, i := range r {
		s += t.pts[i].cross(t.pts[r[(k+1)%len(r)]])
	}
	return s / 2
}

// ring links the points of r into a cycle of nodes and returns its first node.
func (t *earClipper) ring(r []int32) int32 {
	first := int32(len(t.nodes))
	for k, i := range r {
		n := first + int32(k)
		t.nodes = append(t.nodes, earNode{i: i, prev: n - 1, next: n + 1})
	}
	last := int32(len(t.nodes) - 1)
	t.nodes[first].prev = last
	t.nodes[last].next = first
	return first
}

// split joins node a of the outer cycle to node b of a hole cycle by two
// coincident edges: a → b → ...hole... → b' → a' → (a's old next).
func (t *earClipper) split(a, b int32) {
	a2 := int32(len(t.nodes))
	b2 := a2 + 1
	t.nodes = append(t.nodes, earNode{i: t.nodes[a].i}, earNode{i: t.nodes[b].i})
	an, bp := t.nodes[a].next, t.nodes[b].prev
	t.nodes[a].next, t.nodes[b].prev = b, a
	t.nodes[a2].next, t.nodes[an].prev = an, a2
	t.nodes[b2].next, t.nodes[a2].prev = a2, b2
	t.nodes[bp].next, t.nodes[b2].prev = b2, bp
}

// locallyInside reports whether the direction from node n towards point q
// starts inside the polygon at n.
func (t *earClipper) locallyInside(n int32, q vec2) bool {
	p := t.pt(n)
	a, b := t.pt(t.nodes[n].prev).sub(p), t.pt(t.nodes[n].next).sub(p)
	d := q.sub(p)
	if b.cross(a) > 0 { // convex corner: inside between b and a, counter-clockwise
		return b.cross(d) > 0 && d.cross(a) > 0
	}
	return !(a.cross(d) >= 0 && d.cross(b) >= 0)
}

// bridgeTarget finds a node of the outer cycle (starting at start) that hole
// node m can see, to bridge the hole into the outer boundary.
func (t *earClipper) bridgeTarget(start, m int32) (int32, error) {
	mp := t.pt(m)
	// Nearest boundary edge hit by a ray from m towards +x. Only edges
	// running upwards face the ray from inside the polygon.
	hit, hx := int32(-1), math.Inf(1)
	n := start
	for {
		nx := t.nodes[n].next
		p, q := t.pt(n), t.pt(nx)
		if p.y <= mp.y && q.y >= mp.y && q.y > p.y {
			x := p.x + (mp.y-p.y)*(q.x-p.x)/(q.y-p.y)
			if x >= mp.x && x < hx {
				hx, hit = x, n
				if x == mp.x {
					return -1, errors.New("triangulate: a hole touches the boundary")
				}
			}
		}
		if n = nx; n == start {
			break
		}
	}
	if hit < 0 {
		return -1, errors.New("triangulate: a hole is outside the boundary")
	}
	// The endpoint of the hit edge further right, unless a boundary point
	// inside the triangle (m, hit point, that endpoint) blocks the view, in
	// which case the blocking point at the smallest angle from the ray.
	p, q := t.nodes[hit].i, t.nodes[t.nodes[hit].next].i
	cand := t.nodes[hit].next
	if t.pts[p].x > t.pts[q].x {
		cand = hit
	}
	cp := t.pt(cand)
	ip := vec2{hx, mp.y}
	best, bestTan, bestDist := int32(-1), math.Inf(1), math.Inf(1)
	consider := func(n int32) {
		np := t.pt(n)
		if !t.locallyInside(n, mp) {
			return
		}
		tan := math.Abs(np.y-mp.y) / (np.x - mp.x)
		d := np.sub(mp).len()
		if tan < bestTan || (tan == bestTan && d < bestDist) {
			best, bestTan, bestDist = n, tan, d
		}
	}
	n = start
	for {
		np := t.pt(n)
		if np == cp {
			consider(n)
		} else if np.x > mp.x && np != ip && inTriangle(mp, ip, cp, np) {
			consider(n)
		}
		if n = t.nodes[n].next; n == start {
			break
		}
	}
	if best < 0 {
		return -1, errors.New("triangulate: no visible point to bridge a hole")
	}
	return best, nil
}

// inTriangle reports whether p is inside or on the triangle a, b, c of
// either orientation.
func inTriangle(a, b, c, p vec2) bool {
	d1, d2, d3 := orient(a, b, p), orient(b, c, p), orient(c, a, p)
	neg := d1 < 0 || d2 < 0 || d3 < 0
	pos := d1 > 0 || d2 > 0 || d3 > 0
	return !(neg && pos)
}

// goodEar is the shape quality (see quality) above which an ear is clipped
// at once rather than after looking for a better one. It is low: the first
// acceptable ear keeps clipping O(n²), and improve fixes the shapes later.
const goodEar = 1e-4

// clip removes ears from the cycle at start until one triangle is left.
func (t *earClipper) clip(start int32) ([][3]int32, error) {
	count := 1
	for n := t.nodes[start].next; n != start; n = t.nodes[n].next {
		count++
	}
	tris := make([][3]int32, 0, count-2)
	cur := start
	for count > 3 {
		best, bestQ := int32(-1), 0.0
		n := cur
		for range count {
			if q := t.ear(n); q >= goodEar {
				best = n
				break
			} else if q > bestQ {
				best, bestQ = n, q
			}
			n = t.nodes[n].next
		}
		if best < 0 {
			return nil, fmt.Errorf("triangulate: no ear left among %d points (self-intersecting or touching contours?)", count)
		}
		pv, nx := t.nodes[best].prev, t.nodes[best].next
		tris = append(tris, [3]int32{t.nodes[pv].i, t.nodes[best].i, t.nodes[nx].i})
		t.nodes[pv].next, t.nodes[nx].prev = nx, pv
		count--
		cur = nx
	}
	pv, nx := t.nodes[cur].prev, t.nodes[cur].next
	if orient(t.pt(pv), t.pt(cur), t.pt(nx)) <= 0 {
		return nil, errors.New("triangulate: last triangle is flat or reversed")
	}
	tris = append(tris, [3]int32{t.nodes[pv].i, t.nodes[cur].i, t.nodes[nx].i})
	return tris, nil
}

// ear returns the quality of the triangle (prev, n, next) if it is an ear
// (convex, with no other boundary point inside it or boundary edge
// entering it), or 0.
func (t *earClipper) ear(n int32) float64 {
	pv, nx := t.nodes[n].prev, t.nodes[n].next
	a, b, c := t.pt(pv), t.pt(n), t.pt(nx)
	area2 := orient(a, b, c)
	if area2 <= 0 {
		return 0
	}
	minX, maxX := min(a.x, b.x, c.x), max(a.x, b.x, c.x)
	minY, maxY := min(a.y, b.y, c.y), max(a.y, b.y, c.y)
	for p := t.nodes[nx].next; p != pv; p = t.nodes[p].next {
		q := t.pt(p)
		if q.x < minX || q.x > maxX || q.y < minY || q.y > maxY {
			continue
		}
		switch q {
		case a, b, c:
			// Another visit of a corner (a bridge): its edges must not
			// enter the triangle.
			if t.entersCorner(a, b, c, q, t.pt(t.nodes[p].prev)) || t.entersCorner(a, b, c, q, t.pt(t.nodes[p].next)) {
				return 0
			}
			continue
		}
		if inTriangle(a, b, c, q) {
			return 0
		}
	}
	return quality(a, b, c)
}

// entersCorner reports whether the segment from corner q of the
// counter-clockwise triangle a, b, c towards r starts strictly inside the
// triangle's angle at q.
func (t *earClipper) entersCorner(a, b, c, q, r vec2) bool {
	var u, v vec2 // the triangle's edges leaving q, counter-clockwise
	switch q {
	case a:
		u, v = b.sub(a), c.sub(a)
	case b:
		u, v = c.sub(b), a.sub(b)
	default:
		u, v = a.sub(c), b.sub(c)
	}
	d := r.sub(q)
	return u.cross(d) > 0 && d.cross(v) > 0
}

// quality is twice the area of the triangle a, b, c over its longest edge
// squared: 0.87 for an equilateral triangle, 0 for a flat one, negative for
// a clockwise one.
func quality(a, b, c vec2) float64 {
	l2 := max(b.sub(a).dot(b.sub(a)), c.sub(b).dot(c.sub(b)), a.sub(c).dot(a.sub(c)))
	return orient(a, b, c) / l2
}

// improve flips the shared edge of two triangles whenever the other
// diagonal of their quadrilateral gives a fatter thinner triangle
// (max-min quality, which like Delaunay flipping removes slivers that the
// boundary does not force). Edges on the boundary (used by one triangle)
// never move. Each flip strictly raises the smaller quality of the pair,
// so the process ends.
func improve(pts []vec2, tris [][3]int32) {
	type edge [2]int32
	owner := make(map[edge]int32, 3*len(tris))
	for i, t := range tris {
		for j := range 3 {
			owner[edge{t[j], t[(j+1)%3]}] = int32(i)
		}
	}
	var stack []edge
	for e := range owner {
		if e[0] < e[1] {
			stack = append(stack, e)
		}
	}
	slices.SortFunc(stack, func(p, q edge) int { // deterministic order
		if p[0] != q[0] {
			return int(p[0] - q[0])
		}
		return int(p[1] - q[1])
	})
	third := func(t [3]int32, a, b int32) int32 {
		for _, v := range t {
			if v != a && v != b {
				return v
			}
		}
		return -1
	}
	for budget := 100 * len(tris); len(stack) > 0 && budget > 0; budget-- {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		a, b := e[0], e[1]
		i, ok1 := owner[edge{a, b}]
		k, ok2 := owner[edge{b, a}]
		if !ok1 || !ok2 {
			continue // boundary edge, or flipped away since
		}
		c, d := third(tris[i], a, b), third(tris[k], a, b)
		if c == d {
			continue
		}
		pa, pb, pc, pd := pts[a], pts[b], pts[c], pts[d]
		before := min(quality(pa, pb, pc), quality(pb, pa, pd))
		after := min(quality(pa, pd, pc), quality(pd, pb, pc))
		if !(after > before*(1+1e-9)) || after <= 0 {
			continue
		}
		delete(owner, edge{a, b})
		delete(owner, edge{b, a})
		tris[i] = [3]int32{a, d, c}
		tris[k] = [3]int32{d, b, c}
		for j := range 3 {
			owner[edge{tris[i][j], tris[i][(j+1)%3]}] = i
			owner[edge{tris[k][j], tris[k][(j+1)%3]}] = k
		}
		stack = append(stack, edge{a, d}, edge{d, b}, edge{b, c}, edge{c, a})
	}
}
