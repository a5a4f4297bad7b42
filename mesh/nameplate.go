package mesh

import (
	"errors"
	"fmt"
	"math"
)

// textGap is the closest, in millimetres, that two outlines (letters, the
// keychain hole, the plate's edge) may come before they count as touching,
// which would make the mesh non-manifold.
const textGap = 0.001

// nameplateTemplate is the customer's text standing on a rounded plate,
// with an optional keychain hole, as one closed solid: the letters' outlines
// are cut into the plate's top face and their walls rise from there.
type nameplateTemplate struct{}

func (nameplateTemplate) Name() string { return "nameplate" }

func (nameplateTemplate) Description() string {
	return "Raised text on a rounded plate sized to fit it, with an optional keychain hole (a name tag, door sign or keyring)."
}

func (nameplateTemplate) Params() []Param {
	return []Param{
		{Name: "text", Type: TypeString, Min: Limit(1), Max: Limit(40), Description: "The text, on one line. Required."},
		{Name: "font", Type: TypeString, Default: "regular", Choices: fontNames, Description: "Typeface: the Go fonts."},
		{Name: "text_height", Unit: "mm", Type: TypeNumber, Default: 8.0, Min: Limit(3), Max: Limit(60), Description: "Height of capital letters."},
		{Name: "letter_height", Unit: "mm", Type: TypeNumber, Default: 1.2, Min: Limit(0.4), Max: Limit(10), Description: "How far the letters stand above the plate."},
		{Name: "plate_thickness", Unit: "mm", Type: TypeNumber, Default: 2.0, Min: Limit(0.8), Max: Limit(10), Description: "Thickness of the plate."},
		{Name: "margin", Unit: "mm", Type: TypeNumber, Default: 3.0, Min: Limit(1), Max: Limit(20), Description: "Plate border around the text and the hole."},
		{Name: "corner_radius", Unit: "mm", Type: TypeNumber, Default: 2.0, Min: Limit(0), Max: Limit(100), Description: "Radius of the plate's corners; limited to half the plate's height and to 3.2 × margin so that the corners stay clear of the text."},
		{Name: "hole_diameter", Unit: "mm", Type: TypeNumber, Default: 4.0, Min: Limit(0), Max: Limit(12), Description: "Keychain hole left of the text, at least 1 mm; 0 for none."},
		{Name: "spacing", Unit: "mm", Type: TypeNumber, Default: 0.0, Min: Limit(-5), Max: Limit(20), Description: "Extra space between letters; negative tightens, but letters must not touch."},
	}
}

// plateLayout is the nameplate in plan view, centred on the origin.
type plateLayout struct {
	w, h     float64    // plate size
	outline  []vec2     // plate edge, counter-clockwise
	hole     []vec2     // keychain hole, clockwise, or nil
	contours [][]vec2   // glyph outlines, as the font draws them
	shape    *textShape // the text the contours come from
	letters  *region    // the contours nested and oriented, set by layout
}

// layout places the text, the plate and the hole, and checks that no two
// outlines touch.
func (t nameplateTemplate) layout(v Values) (*plateLayout, error) {
	l, err := t.plan(v)
	if err != nil {
		return nil, err
	}
	if err := l.checkClear(v); err != nil {
		return nil, err
	}
	l.letters = nest(l.contours)
	return l, nil
}

// plan places the text, the plate and the hole, without checking that the
// outlines stay apart: what Estimate needs, at a fraction of the cost.
func (nameplateTemplate) plan(v Values) (*plateLayout, error) {
	bad := func(p, reason string) error {
		return &ParamError{Template: "nameplate", Param: p, Reason: reason}
	}
	shape, err := shapeText(v.String("font"), v.String("text"), v.Float("text_height"), v.Float("spacing"), chordTolerance)
	if te, ok := errors.AsType[*textError](err); ok {
		return nil, bad(te.param, te.reason)
	} else if err != nil {
		return nil, err
	}
	m, hd := v.Float("margin"), v.Float("hole_diameter")
	if hd > 0 && hd < 1 {
		return nil, bad("hole_diameter", fmt.Sprintf("%s mm is too small to print; want 0 (no hole) or [1, 12] mm", num(hd)))
	}
	y0, y1 := min(shape.ink[0].y, 0), max(shape.ink[1].y, v.Float("text_height"))
	x0, x1 := shape.ink[0].x-m, shape.ink[1].x+m
	if hd > 0 {
		x0 -= hd + m
	}
	h := max(y1-y0, hd) + 2*m
	cx, cy := (x0+x1)/2, (y0+y1)/2
	l := &plateLayout{w: x1 - x0, h: h, shape: shape}
	r := min(v.Float("corner_radius"), l.w/2, h/2, 3.2*m)
	l.outline = roundedRect(-l.w/2, -h/2, l.w/2, h/2, r, chordTolerance)
	l.contours = make([][]vec2, len(shape.contours))
	for i, c := range shape.contours {
		l.contours[i] = make([]vec2, len(c.pts))
		for k, p := range c.pts {
			l.contours[i][k] = vec2{p.x - cx, p.y - cy}
		}
	}
	if hd > 0 {
		centre := vec2{-l.w/2 + m + hd/2, 0}
		l.hole = reversed(circle(centre, hd/2, (arcSegments(hd/2, 2*math.Pi, chordTolerance)+3)/4*4))
	}
	return l, nil
}

// checkClear returns an error naming the two outlines (letters, the
// plate's edge, the hole) that come closer than textGap, if any do.
func (l *plateLayout) checkClear(v Values) error {
	bad := func(p, reason string) error {
		return &ParamError{Template: "nameplate", Param: p, Reason: reason}
	}
	shape, contours := l.shape, l.contours
	all := append([][]vec2{l.outline}, contours...)
	if l.hole != nil {
		all = append(all, l.hole)
	}
	if c, ok := findCrossing(all, textGap); ok {
		name := func(i int) string {
			switch {
			case i == 0:
				return "the plate's edge"
			case i > len(contours):
				return "the keychain hole"
			}
			return fmt.Sprintf("%q", shape.runes[shape.contours[i-1].glyph])
		}
		isGlyph := func(i int) bool { return i > 0 && i <= len(contours) }
		if !isGlyph(c.a) && !isGlyph(c.b) {
			return fmt.Errorf("%s and %s touch (plate %.3f × %.3f mm)", name(c.a), name(c.b), l.w, l.h)
		}
		if c.a == c.b || (isGlyph(c.a) && isGlyph(c.b) && shape.contours[c.a-1].glyph == shape.contours[c.b-1].glyph) {
			return bad("text", fmt.Sprintf("the outline of %s in font %q crosses itself; choose another font", name(c.a), v.String("font")))
		}
		return bad("spacing", fmt.Sprintf("%s and %s touch or overlap at spacing %s mm (closer than %g mm); increase spacing",
			name(c.a), name(c.b), num(v.Float("spacing")), textGap))
	}
	return nil
}

// Estimate counts the mesh Build makes from the plan (the text set in its
// font, at most 40 characters; the check that letters stay apart is left
// to Build, being most of the layout's cost): two rings and a wall per
// outline (plate edge, hole, each letter contour), the bottom and the
// plate top around the hole, and for the letters' caps twice their points,
// since every contour bounds one cap and is a hole in another (the plate
// top or its parent's cap).
func (t nameplateTemplate) Estimate(v Values) (Estimate, error) {
	l, err := t.plan(v)
	if err != nil {
		return Estimate{}, err
	}
	outline, points := int64(len(l.outline)), int64(len(l.outline)+len(l.hole))
	var plateHoles []int64
	if l.hole != nil {
		plateHoles = []int64{int64(len(l.hole))}
	}
	var letters int64
	for _, c := range l.contours {
		letters += int64(len(c))
	}
	points += letters
	faces := 2*capTriangles(outline, plateHoles...) + 2*letters
	return Estimate{Triangles: 2*points + faces, Vertices: 2 * points}, nil
}

// Build makes the plate's bottom, edge and keychain hole wall, the plate's
// top with the letters' outlines cut out of it (the counters of letters
// such as o, A and B are islands of plate top), and each letter's walls and
// top with its counters as holes. Walls and faces share the outline
// vertices, so the result is one closed shell.
func (t nameplateTemplate) Build(v Values) (*Mesh, error) {
	l, err := t.layout(v)
	if err != nil {
		return nil, err
	}
	top, lh := v.Float("plate_thickness"), v.Float("letter_height")
	b := &builder{m: &Mesh{}}
	o0, o1 := b.ring(l.outline, 0), b.ring(l.outline, top)
	b.wall(o0, o1)
	var bottomHoles, topHoles [][]uint32
	if l.hole != nil {
		h0, h1 := b.ring(l.hole, 0), b.ring(l.hole, top)
		b.wall(h0, h1)
		bottomHoles, topHoles = [][]uint32{h0}, [][]uint32{h1}
	}
	if err := b.cap(o0, bottomHoles, false); err != nil {
		return nil, fmt.Errorf("nameplate bottom: %w", err)
	}
	g := l.letters
	lo, hi := make([][]uint32, len(g.contours)), make([][]uint32, len(g.contours))
	for i, c := range g.contours {
		lo[i], hi[i] = b.ring(c, top), b.ring(c, top+lh)
		b.wall(lo[i], hi[i])
	}
	for i := range g.contours {
		if g.parent[i] < 0 {
			topHoles = append(topHoles, reversed(lo[i]))
		}
	}
	if err := b.cap(o1, topHoles, true); err != nil {
		return nil, fmt.Errorf("nameplate top: %w", err)
	}
	for i := range g.contours {
		var holes [][]uint32
		if g.depth[i]%2 == 1 { // a counter: plate top shows through
			for _, c := range g.children(i) {
				holes = append(holes, reversed(lo[c]))
			}
			if err := b.cap(reversed(lo[i]), holes, true); err != nil {
				return nil, fmt.Errorf("nameplate top inside a letter: %w", err)
			}
			continue
		}
		for _, c := range g.children(i) {
			holes = append(holes, hi[c])
		}
		if err := b.cap(hi[i], holes, true); err != nil {
			return nil, fmt.Errorf("nameplate letter top: %w", err)
		}
	}
	return b.m, nil
}

// ExpectedBounds is the plate's rectangle, from z = 0 to the top of the
// letters.
func (t nameplateTemplate) ExpectedBounds(v Values) (Box, float64, error) {
	l, err := t.layout(v)
	if err != nil {
		return Box{}, 0, err
	}
	z := v.Float("plate_thickness") + v.Float("letter_height")
	return Box{Min: Vec3{-l.w / 2, -l.h / 2, 0}, Max: Vec3{l.w / 2, l.h / 2, z}}, 1e-6, nil
}
