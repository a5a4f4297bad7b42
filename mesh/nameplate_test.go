package mesh

import (
	"errors"
	"image"
	"math"
	"strings"
	"testing"

	"golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

func TestNameplateTexts(t *testing.T) {
	t.Parallel()
	for _, font := range fontNames {
		for _, text := range []string{"Hello", "ABBA", "Olé", "Straße", "Bjørn", "ÆØÅ æøå ÄÖÜ ñ ç"} {
			m, err := Generate("nameplate", map[string]any{"text": text, "font": font}, nil)
			if err != nil {
				t.Errorf("%s %q: %v", font, text, err)
				continue
			}
			if n := m.Shells(); n != 1 {
				t.Errorf("%s %q: %d shells; letters must be fused to the plate", font, text, n)
			}
			if err := CheckSelfIntersections(m); err != nil {
				t.Errorf("%s %q: %v", font, text, err)
			}
		}
	}
}

// topZ returns the height of the highest upward-facing surface above the
// point (x, y).
func topZ(m *Mesh, x, y float64) float64 {
	best := math.Inf(-1)
	p := vec2{x, y}
	for i := range m.Triangles {
		a, b, c := m.Triangle(i)
		if b.Sub(a).Cross(c.Sub(a)).Z <= 0 {
			continue
		}
		pa, pb, pc := vec2{a.X, a.Y}, vec2{b.X, b.Y}, vec2{c.X, c.Y}
		if !inTriangle(pa, pb, pc, p) {
			continue
		}
		area := orient(pa, pb, pc)
		wa, wb := orient(pb, pc, p)/area, orient(pc, pa, p)/area
		best = math.Max(best, wa*a.Z+wb*b.Z+(1-wa-wb)*c.Z)
	}
	return best
}

// The inside of an O shows the plate; the middle of an I is letter.
func TestNameplateCountersAreHoles(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]float64{"O": 2, "I": 3.2, "D": 2, "o": 2, "8": 3.2} {
		m, err := Generate("nameplate", map[string]any{"text": text, "hole_diameter": 0, "plate_thickness": 2, "letter_height": 1.2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		b := m.Bounds()
		cx, cy := (b.Min.X+b.Max.X)/2, (b.Min.Y+b.Max.Y)/2
		if text == "o" { // centred on the x-height, not the cap height
			cy = b.Min.Y + 3 + 0.5*0.73*8
		}
		if z := topZ(m, cx, cy); !near(z, want, 1e-9) {
			t.Errorf("%q: top at the centre is z = %v, want %v", text, z, want)
		}
		if z := topZ(m, b.Min.X+1, b.Min.Y+1); !near(z, 2, 1e-9) {
			t.Errorf("%q: plate corner at z = %v, want 2", text, z)
		}
	}
}

// The letters' volume divided by their height is the text's ink area, which
// is measured here independently by rasterising the font's outlines.
func TestNameplateInkArea(t *testing.T) {
	t.Parallel()
	const capHeight, plate, letters = 8.0, 2.0, 1.5
	for _, text := range []string{"Hello", "ABBA", "Olé", "Straße", "Bjørn", "%&@8"} {
		m, err := Generate("nameplate", map[string]any{"text": text, "text_height": capHeight, "plate_thickness": plate, "letter_height": letters}, nil)
		if err != nil {
			t.Fatal(err)
		}
		var bottom float64 // plate area without the keychain hole
		for i := range m.Triangles {
			a, b, c := m.Triangle(i)
			if a.Z == 0 && b.Z == 0 && c.Z == 0 {
				bottom += b.Sub(a).Cross(c.Sub(a)).Len() / 2
			}
		}
		got := (m.Volume() - bottom*plate) / letters
		want := rasterInkArea(t, "regular", text, capHeight)
		// Chords within 0.005 mm of the curves lose about 0.05%.
		if math.Abs(got-want) > 0.005*want {
			t.Errorf("%q: letters cover %.3f mm², rasterised font %.3f mm²", text, got, want)
		}
	}
}

// rasterInkArea renders each glyph with x/image/vector (non-zero fill of
// the raw outlines, anti-aliased) and returns the covered area in mm².
func rasterInkArea(t *testing.T, fontName, text string, capHeight float64) float64 {
	t.Helper()
	f, err := loadFont(fontName)
	if err != nil {
		t.Fatal(err)
	}
	var buf sfnt.Buffer
	const ppem = 512 // pixels per em
	m, err := f.Metrics(&buf, fixed.I(ppem), font.HintingNone)
	if err != nil {
		t.Fatal(err)
	}
	mmPerPixel := capHeight / (float64(m.CapHeight) / 64)
	var area float64
	for _, r := range text {
		gi, err := f.GlyphIndex(&buf, r)
		if err != nil || gi == 0 {
			t.Fatalf("glyph %q: %v", r, err)
		}
		segs, err := f.LoadGlyph(&buf, gi, fixed.I(ppem), nil)
		if err != nil {
			t.Fatal(err)
		}
		const size, ox, oy = 2 * ppem, ppem / 2, 3 * ppem / 2
		ras := vector.NewRasterizer(size, size)
		pt := func(p fixed.Point26_6) (float32, float32) {
			return ox + float32(p.X)/64, oy + float32(p.Y)/64
		}
		for _, s := range segs {
			switch s.Op {
			case sfnt.SegmentOpMoveTo:
				ras.ClosePath()
				ras.MoveTo(pt(s.Args[0]))
			case sfnt.SegmentOpLineTo:
				ras.LineTo(pt(s.Args[0]))
			case sfnt.SegmentOpQuadTo:
				x1, y1 := pt(s.Args[0])
				x2, y2 := pt(s.Args[1])
				ras.QuadTo(x1, y1, x2, y2)
			case sfnt.SegmentOpCubeTo:
				x1, y1 := pt(s.Args[0])
				x2, y2 := pt(s.Args[1])
				x3, y3 := pt(s.Args[2])
				ras.CubeTo(x1, y1, x2, y2, x3, y3)
			}
		}
		ras.ClosePath()
		dst := image.NewAlpha(image.Rect(0, 0, size, size))
		ras.Draw(dst, dst.Bounds(), image.Opaque, image.Point{})
		var cover int
		for _, a := range dst.Pix {
			cover += int(a)
		}
		area += float64(cover) / 255 * mmPerPixel * mmPerPixel
	}
	return area
}

func TestNameplateErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		params        map[string]any
		param, reason string
	}{
		{map[string]any{"text": "Hi 😀"}, "text", `font "regular" has no glyph for '😀' (U+1F600)`},
		{map[string]any{"text": "AV", "spacing": -5.0}, "spacing", `'A' and 'V' touch or overlap at spacing -5 mm`},
		{map[string]any{"text": "two\nlines"}, "text", "control character U+000A"},
		{map[string]any{"text": "   "}, "text", "no visible characters"},
		{map[string]any{"text": strings.Repeat("x", 41)}, "text", "41 characters is out of range; want 1 to 40 characters"},
		{map[string]any{"text": "x", "font": "comic"}, "font", `"comic" is not allowed; want one of regular, medium, bold, mono, mono-bold`},
		{map[string]any{}, "text", "missing"},
	} {
		_, err := Generate("nameplate", tc.params, nil)
		var pe *ParamError
		if !errors.As(err, &pe) || pe.Param != tc.param || !strings.Contains(pe.Reason, tc.reason) {
			t.Errorf("%v: got %v, want parameter %q: ...%s...", tc.params, err, tc.param, tc.reason)
		}
	}
}

// Touching outlines are found whether they belong to one glyph or two.
func TestFindCrossing(t *testing.T) {
	t.Parallel()
	sq := func(x, y, s float64) []vec2 { return rect(x, y, x+s, y+s) }
	for _, tc := range []struct {
		name     string
		contours [][]vec2
		want     bool
	}{
		{"apart", [][]vec2{sq(0, 0, 1), sq(2, 0, 1)}, false},
		{"nested", [][]vec2{sq(0, 0, 10), sq(2, 2, 1)}, false},
		{"overlapping", [][]vec2{sq(0, 0, 1), sq(0.5, 0.5, 1)}, true},
		{"sharing an edge", [][]vec2{sq(0, 0, 1), sq(1, 0, 1)}, true},
		{"corner on an edge", [][]vec2{sq(0, 0, 1), {{1, 0.5}, {2, 0}, {2, 1}}}, true},
		{"closer than the gap", [][]vec2{sq(0, 0, 1), sq(1+textGap/2, 0, 1)}, true},
		{"bow tie", [][]vec2{{{0, 0}, {1, 1}, {1, 0}, {0, 1}}}, true},
	} {
		if _, got := findCrossing(tc.contours, textGap); got != tc.want {
			t.Errorf("%s: crossing %v, want %v", tc.name, got, tc.want)
		}
	}
}
