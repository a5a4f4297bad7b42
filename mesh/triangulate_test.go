package mesh

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// polyCase is a polygon with holes given as point lists.
type polyCase struct {
	name  string
	outer []vec2
	holes [][]vec2
}

// indexed puts the case's points in one array, as triangulate wants them.
func (c polyCase) indexed() ([]vec2, []int32, [][]int32) {
	var pts []vec2
	ring := func(r []vec2) []int32 {
		idx := make([]int32, len(r))
		for i, p := range r {
			idx[i] = int32(len(pts))
			pts = append(pts, p)
		}
		return idx
	}
	o := ring(c.outer)
	var hs [][]int32
	for _, h := range c.holes {
		hs = append(hs, ring(h))
	}
	return pts, o, hs
}

func rect(x0, y0, x1, y1 float64) []vec2 { return []vec2{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}} }

// verifyTriangulation checks that tris tile the polygon exactly: every
// triangle counter-clockwise and not thin, every boundary edge used once in
// its direction, every other edge once in each direction, and the areas
// adding up.
func verifyTriangulation(t *testing.T, name string, pts []vec2, outer []int32, holes [][]int32, tris [][3]int32) {
	t.Helper()
	edges := make(map[[2]int32]int)
	var area float64
	for i, tr := range tris {
		a, b, c := pts[tr[0]], pts[tr[1]], pts[tr[2]]
		if h := altitude(Vec3{a.x, a.y, 0}, Vec3{b.x, b.y, 0}, Vec3{c.x, c.y, 0}); orient(a, b, c) <= 0 || h < MinAltitude {
			t.Errorf("%s: triangle %d %v is reversed or thin (altitude %g)", name, i, tr, h)
		}
		area += orient(a, b, c) / 2
		for k := range 3 {
			edges[[2]int32{tr[k], tr[(k+1)%3]}]++
		}
	}
	boundary := make(map[[2]int32]bool)
	want := 0.0
	for _, r := range append([][]int32{outer}, holes...) {
		var ra float64
		for k, i := range r {
			j := r[(k+1)%len(r)]
			boundary[[2]int32{i, j}] = true
			ra += pts[i].cross(pts[j])
		}
		want += ra / 2
	}
	for e, n := range edges {
		rev := edges[[2]int32{e[1], e[0]}]
		switch {
		case n != 1:
			t.Errorf("%s: edge %v used %d times", name, e, n)
		case boundary[e] && rev != 0:
			t.Errorf("%s: boundary edge %v also used reversed", name, e)
		case !boundary[e] && rev != 1:
			t.Errorf("%s: inner edge %v has no twin", name, e)
		}
	}
	for e := range boundary {
		if edges[e] != 1 {
			t.Errorf("%s: boundary edge %v not covered", name, e)
		}
	}
	if !near(area, want, 1e-9*math.Max(1, want)) {
		t.Errorf("%s: triangles cover %v, polygon has %v", name, area, want)
	}
}

func TestTriangulate(t *testing.T) {
	t.Parallel()
	cases := []polyCase{
		{name: "square", outer: rect(0, 0, 1, 1)},
		{name: "square with hole", outer: rect(0, 0, 10, 10), holes: [][]vec2{reversed(rect(3, 3, 7, 7))}},
		{name: "holes in a row on one line", outer: rect(0, 0, 20, 4), holes: [][]vec2{
			reversed(rect(1, 1, 3, 3)), reversed(rect(5, 1, 7, 3)), reversed(rect(9, 1, 11, 3)), reversed(rect(13, 1, 15, 3)),
		}},
		{name: "hole aligned with outer corners", outer: []vec2{{0, 0}, {10, 0}, {10, 2}, {12, 2}, {12, 5}, {10, 5}, {10, 10}, {0, 10}},
			holes: [][]vec2{reversed(rect(4, 2, 6, 5))}},
		{name: "comb", outer: comb(12)},
		{name: "star", outer: star(40, 10, 3)},
		{name: "circle with circle hole", outer: circle(vec2{0, 0}, 10, 256), holes: [][]vec2{reversed(circle(vec2{1, 0}, 3, 97))}},
		{name: "grid of holes", outer: rect(0, 0, 50, 50), holes: gridHoles(5)},
		{name: "nested square in comb", outer: comb(8), holes: [][]vec2{reversed(rect(1.2, 0.2, 1.8, 0.8))}},
	}
	rng := rand.New(rand.NewPCG(3, 9))
	for i := range 30 {
		// Random star-shaped polygons, some with a hole around the centre.
		n := 5 + rng.IntN(60)
		var outer []vec2
		for k := range n {
			a := 2 * math.Pi * (float64(k) + 0.8*rng.Float64()) / float64(n)
			r := 4 + 6*rng.Float64()
			outer = append(outer, vec2{r * math.Cos(a), r * math.Sin(a)})
		}
		c := polyCase{name: fmt.Sprintf("random %d", i), outer: outer}
		if i%2 == 1 {
			c.holes = [][]vec2{reversed(circle(vec2{0, 0}, 1+2*rng.Float64(), 3+rng.IntN(20)))}
		}
		cases = append(cases, c)
	}
	for _, c := range cases {
		pts, o, hs := c.indexed()
		tris, err := triangulate(pts, o, hs)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		verifyTriangulation(t, c.name, pts, o, hs, tris)
	}
}

func TestTriangulateRejectsBadInput(t *testing.T) {
	t.Parallel()
	for _, c := range []polyCase{
		{name: "clockwise outer", outer: reversed(rect(0, 0, 1, 1))},
		{name: "counter-clockwise hole", outer: rect(0, 0, 10, 10), holes: [][]vec2{rect(3, 3, 7, 7)}},
		{name: "hole outside", outer: rect(0, 0, 10, 10), holes: [][]vec2{reversed(rect(13, 3, 17, 7))}},
		{name: "hole crossing the edge", outer: rect(0, 0, 10, 10), holes: [][]vec2{reversed(rect(8, 3, 12, 7))}},
		{name: "overlapping holes", outer: rect(0, 0, 10, 10), holes: [][]vec2{reversed(rect(2, 2, 6, 6)), reversed(rect(4, 4, 8, 8))}},
	} {
		pts, o, hs := c.indexed()
		if _, err := triangulate(pts, o, hs); err == nil {
			t.Errorf("%s: triangulated without error", c.name)
		}
	}
}

// comb is a polygon with n narrow teeth: many reflex corners.
func comb(n int) []vec2 {
	pts := []vec2{{0, 0}, {float64(n), 0}}
	for i := n; i > 0; i-- {
		x := float64(i)
		pts = append(pts, vec2{x, 5}, vec2{x - 0.3, 5}, vec2{x - 0.3, 1}, vec2{x - 0.7, 1}, vec2{x - 0.7, 5})
	}
	return append(pts, vec2{0, 5}) // with collinear points along the top
}

func star(n int, ro, ri float64) []vec2 {
	var pts []vec2
	for k := range 2 * n {
		r := ro
		if k%2 == 1 {
			r = ri
		}
		a := math.Pi * float64(k) / float64(n)
		pts = append(pts, vec2{r * math.Cos(a), r * math.Sin(a)})
	}
	return pts
}

func gridHoles(n int) [][]vec2 {
	var hs [][]vec2
	for i := range n {
		for j := range n {
			x, y := 2+float64(i)*10, 2+float64(j)*10
			hs = append(hs, reversed(rect(x, y, x+5, y+5)))
		}
	}
	return hs
}
