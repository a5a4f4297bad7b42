package mesh

import (
	"math"
)

// vec2 is a point in the plane, in millimetres.
type vec2 struct{ x, y float64 }

func (a vec2) sub(b vec2) vec2      { return vec2{a.x - b.x, a.y - b.y} }
func (a vec2) add(b vec2) vec2      { return vec2{a.x + b.x, a.y + b.y} }
func (a vec2) scale(s float64) vec2 { return vec2{a.x * s, a.y * s} }
func (a vec2) dot(b vec2) float64   { return a.x*b.x + a.y*b.y }
func (a vec2) cross(b vec2) float64 { return a.x*b.y - a.y*b.x }
func (a vec2) len() float64         { return math.Hypot(a.x, a.y) }

// orient returns twice the signed area of the triangle a, b, c: positive
// when it turns counter-clockwise.
func orient(a, b, c vec2) float64 { return b.sub(a).cross(c.sub(a)) }

// signedArea returns the area of a closed polygon, positive when it runs
// counter-clockwise.
func signedArea(poly []vec2) float64 {
	var s float64
	for i, p := range poly {
		q := poly[(i+1)%len(poly)]
		s += p.cross(q)
	}
	return s / 2
}

func reversed[T any](s []T) []T {
	r := make([]T, len(s))
	for i, x := range s {
		r[len(s)-1-i] = x
	}
	return r
}

// arcSegments returns how many straight segments approximate an arc of
// radius r spanning angle radians so that no chord is more than tol away
// from the arc.
func arcSegments(r, angle, tol float64) int {
	if r <= tol {
		return 1
	}
	step := 2 * math.Acos(1-tol/r)
	return max(1, int(math.Ceil(math.Abs(angle)/step-1e-9)))
}

// circle returns n points on a circle, counter-clockwise from angle 0.
func circle(c vec2, r float64, n int) []vec2 {
	pts := make([]vec2, n)
	for i := range pts {
		s, co := math.Sincos(2 * math.Pi * float64(i) / float64(n))
		pts[i] = vec2{c.x + r*co, c.y + r*s}
	}
	return pts
}

// minRadius is the smallest corner radius, in millimetres, that
// roundedRect rounds; smaller ones (which no machine resolves) are made
// sharp, as arcs that small would make triangles too thin for Check.
const minRadius = 0.01

// roundedRect returns the counter-clockwise outline of the rectangle
// [x0,x1]×[y0,y1] with corners of radius r, each corner arc split so that
// it deviates at most tol from the true arc. r is at most half the smaller
// side; below minRadius the corners are sharp. Straight sides of zero
// length (r equal to half a side) are dropped so that no point repeats.
func roundedRect(x0, y0, x1, y1, r, tol float64) []vec2 {
	r = min(r, (x1-x0)/2, (y1-y0)/2)
	if r < minRadius {
		return []vec2{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}
	}
	n := arcSegments(r, math.Pi/2, tol)
	centres := []vec2{{x1 - r, y0 + r}, {x1 - r, y1 - r}, {x0 + r, y1 - r}, {x0 + r, y0 + r}}
	var pts []vec2
	for k, c := range centres {
		for i := 0; i <= n; i++ {
			a := (float64(k)-1)*math.Pi/2 + math.Pi/2*float64(i)/float64(n)
			s, co := math.Sincos(a)
			p := vec2{c.x + r*co, c.y + r*s}
			if i == 0 && len(pts) > 0 && pts[len(pts)-1].sub(p).len() < tol/100 {
				continue
			}
			pts = append(pts, p)
		}
	}
	if pts[0].sub(pts[len(pts)-1]).len() < tol/100 {
		pts = pts[:len(pts)-1]
	}
	return pts
}

// pointInPolygon reports whether p is inside poly (even-odd rule).
func pointInPolygon(p vec2, poly []vec2) bool {
	in := false
	for i, a := range poly {
		b := poly[(i+1)%len(poly)]
		if (a.y > p.y) != (b.y > p.y) {
			x := a.x + (p.y-a.y)*(b.x-a.x)/(b.y-a.y)
			if x > p.x {
				in = !in
			}
		}
	}
	return in
}

// simplify removes points of a closed polygon that are closer than minEdge
// to their predecessor or within minDev of the line through their
// neighbours (a straight run or a spike), so that no edge is tiny and no
// three consecutive points are nearly collinear. It returns nil if fewer
// than three points remain.
func simplify(poly []vec2, minEdge, minDev float64) []vec2 {
	// The points form a circular list, walked from the head in passes
	// until a pass removes nothing; a removal unlinks a point in O(1).
	n := len(poly)
	if n < 3 {
		return nil
	}
	next, prev := make([]int32, n), make([]int32, n)
	for i := range n {
		next[i], prev[i] = int32((i+1)%n), int32((i+n-1)%n)
	}
	head, left := int32(0), n
	for removed := true; removed; {
		removed = false
		tail := prev[head]
		for cur := head; left >= 3; {
			a, p, c := poly[prev[cur]], poly[cur], poly[next[cur]]
			ac := c.sub(a)
			last := cur == tail
			if p.sub(a).len() < minEdge || ac.len() < minEdge || math.Abs(ac.cross(p.sub(a)))/ac.len() < minDev {
				nx := next[cur]
				next[prev[cur]], prev[nx] = nx, prev[cur]
				if cur == head {
					head = nx
				}
				left--
				removed = true
				if last {
					break
				}
				cur = nx
				continue
			}
			if last {
				break
			}
			cur = next[cur]
		}
	}
	if left < 3 {
		return nil
	}
	out := make([]vec2, 0, left)
	for i, cur := 0, head; i < left; i, cur = i+1, next[cur] {
		out = append(out, poly[cur])
	}
	return out
}

// segDist returns the distance between segments ab and cd.
func segDist(a, b, c, d vec2) float64 {
	if segmentsCross(a, b, c, d) {
		return 0
	}
	return min(pointSegDist(a, c, d), pointSegDist(b, c, d), pointSegDist(c, a, b), pointSegDist(d, a, b))
}

// segmentsCross reports whether segments ab and cd properly cross.
func segmentsCross(a, b, c, d vec2) bool {
	d1, d2 := orient(a, b, c), orient(a, b, d)
	d3, d4 := orient(c, d, a), orient(c, d, b)
	return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))
}

// pointSegDist returns the distance from p to segment ab.
func pointSegDist(p, a, b vec2) float64 {
	ab := b.sub(a)
	l2 := ab.dot(ab)
	if l2 == 0 {
		return p.sub(a).len()
	}
	t := math.Max(0, math.Min(1, p.sub(a).dot(ab)/l2))
	return p.sub(a.add(ab.scale(t))).len()
}
