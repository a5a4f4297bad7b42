package mesh

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomedium"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/gomonobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// fontFiles are the fonts text can be set in: the Go fonts, which cover
// Latin, Greek and Cyrillic (WGL4).
var fontFiles = map[string][]byte{
	"regular":   goregular.TTF,
	"medium":    gomedium.TTF,
	"bold":      gobold.TTF,
	"mono":      gomono.TTF,
	"mono-bold": gomonobold.TTF,
}

// fontNames lists fontFiles' keys in the order they are offered.
var fontNames = []string{"regular", "medium", "bold", "mono", "mono-bold"}

var parsedFonts sync.Map // name → *sfnt.Font

func loadFont(name string) (*sfnt.Font, error) {
	if f, ok := parsedFonts.Load(name); ok {
		return f.(*sfnt.Font), nil
	}
	data, ok := fontFiles[name]
	if !ok {
		return nil, fmt.Errorf("unknown font %q", name)
	}
	f, err := sfnt.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse font %q: %w", name, err)
	}
	parsedFonts.Store(name, f)
	return f, nil
}

// textContour is one closed outline of a glyph, in millimetres.
type textContour struct {
	pts   []vec2
	glyph int // index of the rune in the text
}

// textShape is a line of text as flattened outlines.
type textShape struct {
	runes    []rune
	contours []textContour
	// ink is the bounding box of the outlines: min and max corners.
	ink [2]vec2
}

// textError is a problem with the text or font that the caller reports as
// a *ParamError on param.
type textError struct {
	param, reason string
}

func (e *textError) Error() string { return e.reason }

// shapeText lays out s on one line in the named font with capital letters
// capHeight millimetres tall, spacing millimetres of extra space between
// letters, and curves flattened to within tol millimetres. The baseline
// is y = 0 and the text starts at x = 0.
func shapeText(fontName, s string, capHeight, spacing, tol float64) (*textShape, error) {
	f, err := loadFont(fontName)
	if err != nil {
		return nil, &textError{"font", err.Error()}
	}
	var buf sfnt.Buffer
	upem := fixed.I(int(f.UnitsPerEm()))
	m, err := f.Metrics(&buf, upem, font.HintingNone)
	if err != nil {
		return nil, fmt.Errorf("font %q metrics: %w", fontName, err)
	}
	capUnits := float64(m.CapHeight) / 64
	if capUnits <= 0 {
		return nil, fmt.Errorf("font %q has no cap height", fontName)
	}
	scale := capHeight / capUnits // millimetres per font unit
	shape := &textShape{runes: []rune(s)}
	var x float64 // pen position in millimetres
	prev := sfnt.GlyphIndex(0)
	for i, r := range shape.runes {
		if unicode.IsControl(r) {
			return nil, &textError{"text", fmt.Sprintf("contains the control character U+%04X; text is one line of printable characters", r)}
		}
		gi, err := f.GlyphIndex(&buf, r)
		if err != nil {
			return nil, fmt.Errorf("font %q glyph for %q: %w", fontName, r, err)
		}
		if gi == 0 {
			return nil, &textError{"text", fmt.Sprintf("font %q has no glyph for %q (U+%04X)", fontName, r, r)}
		}
		if prev != 0 {
			if k, err := f.Kern(&buf, prev, gi, upem, font.HintingNone); err == nil {
				x += float64(k) / 64 * scale
			}
		}
		outline, err := glyphOutline(f, &buf, glyphKey{fontName, gi, scale, tol})
		if err != nil {
			return nil, fmt.Errorf("font %q load glyph %q: %w", fontName, r, err)
		}
		for _, c := range outline {
			pts := make([]vec2, len(c))
			for k, p := range c {
				pts[k] = vec2{p.x + x, p.y}
			}
			shape.contours = append(shape.contours, textContour{pts: pts, glyph: i})
		}
		adv, err := f.GlyphAdvance(&buf, gi, upem, font.HintingNone)
		if err != nil {
			return nil, fmt.Errorf("font %q advance of %q: %w", fontName, r, err)
		}
		x += float64(adv)/64*scale + spacing
		prev = gi
	}
	if len(shape.contours) == 0 {
		return nil, &textError{"text", fmt.Sprintf("%q has no visible characters", s)}
	}
	inf := math.Inf(1)
	shape.ink = [2]vec2{{inf, inf}, {-inf, -inf}}
	for _, c := range shape.contours {
		for _, p := range c.pts {
			shape.ink[0] = vec2{min(shape.ink[0].x, p.x), min(shape.ink[0].y, p.y)}
			shape.ink[1] = vec2{max(shape.ink[1].x, p.x), max(shape.ink[1].y, p.y)}
		}
	}
	return shape, nil
}

// glyphKey identifies a glyph flattened at a scale and tolerance.
type glyphKey struct {
	font       string
	glyph      sfnt.GlyphIndex
	scale, tol float64
}

// glyphCache keeps flattened glyphs (at the origin, never modified), so
// that the letters an order's nameplates share are flattened once: the
// estimate at create and the build both use them. It holds at most
// maxCachedPoints points (4 MiB) and starts over when full.
var glyphCache = struct {
	sync.Mutex
	m      map[glyphKey][][]vec2
	points int
}{m: make(map[glyphKey][][]vec2)}

const maxCachedPoints = 256 << 10

// glyphOutline returns the glyph's contours flattened at the origin.
func glyphOutline(f *sfnt.Font, buf *sfnt.Buffer, k glyphKey) ([][]vec2, error) {
	glyphCache.Lock()
	c, ok := glyphCache.m[k]
	glyphCache.Unlock()
	if ok {
		return c, nil
	}
	segs, err := f.LoadGlyph(buf, k.glyph, fixed.I(int(f.UnitsPerEm())), nil)
	if err != nil {
		return nil, err
	}
	c = flattenGlyph(segs, k.scale, vec2{}, k.tol)
	n := 0
	for _, pts := range c {
		n += len(pts)
	}
	glyphCache.Lock()
	defer glyphCache.Unlock()
	if glyphCache.points+n > maxCachedPoints {
		clear(glyphCache.m)
		glyphCache.points = 0
	}
	if n <= maxCachedPoints {
		glyphCache.m[k] = c
		glyphCache.points += n
	}
	return c, nil
}

// flattenGlyph turns a glyph's segments (font units × 64, y down) into
// closed polygons in millimetres (y up), offset by origin, with curves
// replaced by chords within tol. Tiny edges and collinear points are
// removed; polygons that vanish are dropped.
func flattenGlyph(segs sfnt.Segments, scale float64, origin vec2, tol float64) [][]vec2 {
	pt := func(p fixed.Point26_6) vec2 {
		return vec2{origin.x + float64(p.X)/64*scale, origin.y - float64(p.Y)/64*scale}
	}
	var out [][]vec2
	var cur []vec2
	flush := func() {
		if len(cur) > 1 && cur[0] == cur[len(cur)-1] {
			cur = cur[:len(cur)-1]
		}
		if c := simplify(cur, tol/4, tol/20); c != nil && math.Abs(signedArea(c)) > tol*tol {
			out = append(out, c)
		}
		cur = nil
	}
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			flush()
			cur = append(cur, pt(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			cur = append(cur, pt(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			p0, c, p := cur[len(cur)-1], pt(s.Args[0]), pt(s.Args[1])
			n := int(math.Ceil(math.Sqrt(p0.sub(c.scale(2)).add(p).len() / (4 * tol))))
			for i := 1; i <= n; i++ {
				t := float64(i) / float64(n)
				u := 1 - t
				cur = append(cur, p0.scale(u*u).add(c.scale(2*u*t)).add(p.scale(t*t)))
			}
		case sfnt.SegmentOpCubeTo:
			p0, c1, c2, p := cur[len(cur)-1], pt(s.Args[0]), pt(s.Args[1]), pt(s.Args[2])
			d := max(p0.sub(c1.scale(2)).add(c2).len(), c1.sub(c2.scale(2)).add(p).len())
			n := int(math.Ceil(math.Sqrt(6 * d / (8 * tol))))
			for i := 1; i <= n; i++ {
				t := float64(i) / float64(n)
				u := 1 - t
				cur = append(cur, p0.scale(u*u*u).add(c1.scale(3*u*u*t)).add(c2.scale(3*u*t*t)).add(p.scale(t*t*t)))
			}
		}
	}
	flush()
	return out
}

// region is a set of closed, pairwise disjoint contours with their nesting:
// depth 0 contours bound material, depth 1 bound holes in it, depth 2
// islands in those holes, and so on.
type region struct {
	contours [][]vec2 // oriented: counter-clockwise at even depth, clockwise at odd
	depth    []int
	parent   []int // index of the innermost contour around it, or -1
}

// nest orients contours by their nesting depth (even-odd rule) and records
// which contour each lies in. The contours must not cross or touch.
func nest(contours [][]vec2) *region {
	n := len(contours)
	g := &region{contours: make([][]vec2, n), depth: make([]int, n), parent: make([]int, n)}
	areas := make([]float64, n)
	for i, c := range contours {
		areas[i] = math.Abs(signedArea(c))
	}
	for i, c := range contours {
		g.parent[i] = -1
		for j, d := range contours {
			if i == j || areas[j] <= areas[i] || !pointInPolygon(c[0], d) {
				continue
			}
			g.depth[i]++
			if p := g.parent[i]; p < 0 || areas[j] < areas[p] {
				g.parent[i] = j
			}
		}
		ccw := signedArea(c) > 0
		if ccw != (g.depth[i]%2 == 0) {
			c = reversed(c)
		}
		g.contours[i] = c
	}
	return g
}

// children returns the contours directly inside contour i.
func (g *region) children(i int) []int {
	var out []int
	for j, p := range g.parent {
		if p == i {
			out = append(out, j)
		}
	}
	return out
}

// crossing is a pair of contours that cross or come closer than allowed.
type crossing struct{ a, b int }

// findCrossing returns a pair of contours (possibly the same one twice)
// with non-adjacent edges closer than gap, if there is one. It sweeps the
// edges in order of their left end, so text lines cost O(n log n).
func findCrossing(contours [][]vec2, gap float64) (crossing, bool) {
	type edge struct {
		c, i           int
		a, b           vec2
		x0, x1, y0, y1 float64
	}
	var edges []edge
	for ci, c := range contours {
		for i, a := range c {
			b := c[(i+1)%len(c)]
			edges = append(edges, edge{ci, i, a, b, min(a.x, b.x), max(a.x, b.x), min(a.y, b.y), max(a.y, b.y)})
		}
	}
	slices.SortFunc(edges, func(p, q edge) int {
		switch {
		case p.x0 < q.x0:
			return -1
		case p.x0 > q.x0:
			return 1
		}
		return 0
	})
	for k, e := range edges {
		for _, f := range edges[k+1:] {
			if f.x0 > e.x1+gap {
				break
			}
			if f.y0 > e.y1+gap || e.y0 > f.y1+gap {
				continue
			}
			if e.c == f.c {
				n := len(contours[e.c])
				if d := (e.i - f.i + n) % n; d <= 1 || d == n-1 {
					continue // neighbours share a corner
				}
			}
			if segDist(e.a, e.b, f.a, f.b) < gap {
				return crossing{e.c, f.c}, true
			}
		}
	}
	return crossing{}, false
}
