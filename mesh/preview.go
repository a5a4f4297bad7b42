package mesh

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
)

// MaxPreviewSize is the largest width or height RenderPNG accepts, in pixels.
const MaxPreviewSize = 4096

// DefaultPreviewSize is the width and height of a preview when
// RenderOptions leaves them 0, in pixels.
const DefaultPreviewSize = 512

// previewWorkPerPixel bounds the rasterizer's work: the pixels it tests
// (the bounding boxes of the triangles that face the camera) may be at most
// this many times the picture's pixels, plus previewWorkPerTriangle for
// each triangle. A closed product mesh fitted to the picture tests 2 to 4
// times its pixels; only piles of large overlapping triangles come near.
const (
	previewWorkPerPixel    = 64
	previewWorkPerTriangle = 16
)

// Preview colours: a light grey background and a blue-grey material.
var (
	previewBackground = color.NRGBA{R: 244, G: 245, B: 247, A: 255}
	previewMaterial   = [3]float64{0.38, 0.58, 0.85}
)

// RenderOptions set the picture RenderPNG and RenderFilePNG draw. A nil
// *RenderOptions means every default.
type RenderOptions struct {
	// Width and Height are the picture's size in pixels. Default
	// DefaultPreviewSize (512) each; at most MaxPreviewSize.
	Width, Height int
	// Transparent leaves the background transparent (alpha 0) instead of
	// light grey. Default false.
	Transparent bool
	// MaxTriangles is the most triangles a preview draws; a larger mesh or
	// file is refused with an error wrapping ErrOverBudget before anything
	// is drawn. Default DefaultMaxTriangles, the budget of every file
	// Generate makes by default; at most MaxTriangles.
	MaxTriangles int64
}

// settings returns o with the defaults applied, checked.
func (o *RenderOptions) settings() (RenderOptions, error) {
	var s RenderOptions
	if o != nil {
		s = *o
	}
	if s.Width == 0 {
		s.Width = DefaultPreviewSize
	}
	if s.Height == 0 {
		s.Height = DefaultPreviewSize
	}
	if s.MaxTriangles == 0 {
		s.MaxTriangles = DefaultMaxTriangles
	}
	if s.Width < 1 || s.Height < 1 || s.Width > MaxPreviewSize || s.Height > MaxPreviewSize {
		return s, fmt.Errorf("mesh: preview size %d×%d out of range 1..%d", s.Width, s.Height, MaxPreviewSize)
	}
	if s.MaxTriangles < 1 || s.MaxTriangles > MaxTriangles {
		return s, fmt.Errorf("mesh: RenderOptions.MaxTriangles %d must be between 1 and %d", s.MaxTriangles, MaxTriangles)
	}
	return s, nil
}

// RenderPNG draws m shaded from a fixed camera (above, in front and to the
// right, like an isometric view, with an orthographic projection fitted to
// the mesh) and writes it to w as a PNG of the size opts sets. Surfaces
// are lit by a light from the upper left, a weaker one from the camera and
// ambient light (flat Lambert shading), and hidden surfaces are removed
// with a depth buffer; pictures up to a megapixel are rendered at twice
// the size and scaled down to smooth the edges. The mesh should pass
// Check: back faces are not drawn.
//
// The work is bounded: a mesh with more than opts.MaxTriangles triangles,
// or whose triangles would make the rasterizer test more than 64 times the
// picture's pixels (only piles of large overlapping triangles do), is
// refused with an error wrapping ErrOverBudget. The same mesh and options
// always give the same bytes.
func RenderPNG(w io.Writer, m *Mesh, opts *RenderOptions) error {
	s, err := opts.settings()
	if err != nil {
		return err
	}
	if int64(len(m.Triangles)) > s.MaxTriangles {
		return overBudget("the mesh", s.MaxTriangles)
	}
	return renderPNG(w, m, s)
}

// triangles is what the rasterizer draws: a *Mesh, or the triangles of a
// file as they were read (soup).
type triangles interface {
	numTriangles() int
	Triangle(i int) (a, b, c Vec3)
}

func (m *Mesh) numTriangles() int { return len(m.Triangles) }

// soup holds triangles as nine float32 coordinates each, corners not
// shared: 36 bytes a triangle, the least a preview of a file needs.
type soup []float32

func (s soup) numTriangles() int { return len(s) / 9 }

func (s soup) Triangle(i int) (a, b, c Vec3) {
	p := s[9*i : 9*i+9 : 9*i+9]
	return Vec3{float64(p[0]), float64(p[1]), float64(p[2])},
		Vec3{float64(p[3]), float64(p[4]), float64(p[5])},
		Vec3{float64(p[6]), float64(p[7]), float64(p[8])}
}

func renderPNG(w io.Writer, m triangles, s RenderOptions) error {
	if m.numTriangles() == 0 {
		return errors.New("mesh: preview of an empty mesh")
	}
	ss := 1
	if s.Width*s.Height <= 1<<20 {
		ss = 2
	}
	img, err := render(m, s.Width*ss, s.Height*ss, s.Transparent)
	if err != nil {
		return err
	}
	if ss > 1 {
		img = downsample(img, ss)
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("mesh: encode preview: %w", err)
	}
	return nil
}

// camera is an orthographic view: screen X along right, screen Y along up,
// depth along forward.
type camera struct {
	right, up, forward Vec3
}

func newCamera() camera {
	const az, el = 35 * math.Pi / 180, 30 * math.Pi / 180
	eye := Vec3{math.Sin(az) * math.Cos(el), -math.Cos(az) * math.Cos(el), math.Sin(el)}
	f := eye.Scale(-1)
	r := f.Cross(Vec3{0, 0, 1}).Normalize()
	return camera{right: r, up: r.Cross(f), forward: f}
}

// render rasterizes m into a w × h picture, or fails with an error
// wrapping ErrOverBudget once it has tested more pixels than its budget.
func render(m triangles, w, h int, transparent bool) (*image.NRGBA, error) {
	cam := newCamera()
	n := m.numTriangles()
	// Fit the projected vertices into the image with a 6% border.
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for i := range n {
		a, b, c := m.Triangle(i)
		for _, v := range [3]Vec3{a, b, c} {
			x, y := v.Dot(cam.right), v.Dot(cam.up)
			minX, maxX = min(minX, x), max(maxX, x)
			minY, maxY = min(minY, y), max(maxY, y)
		}
	}
	if math.IsInf(maxX-minX, 0) || math.IsNaN(maxX-minX) || math.IsInf(maxY-minY, 0) || math.IsNaN(maxY-minY) {
		return nil, errors.New("mesh: preview of a mesh with coordinates that are not finite")
	}
	pad := 0.06 * float64(min(w, h))
	scale := math.Min((float64(w)-2*pad)/math.Max(maxX-minX, 1e-9), (float64(h)-2*pad)/math.Max(maxY-minY, 1e-9))
	ox := float64(w)/2 - scale*(minX+maxX)/2
	oy := float64(h)/2 + scale*(minY+maxY)/2
	project := func(v Vec3) (x, y, z float64) {
		return ox + scale*v.Dot(cam.right), oy - scale*v.Dot(cam.up), v.Dot(cam.forward)
	}
	light := cam.right.Scale(-0.45).Add(cam.up.Scale(0.65)).Sub(cam.forward.Scale(0.6)).Normalize()

	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	if !transparent {
		for i := 0; i < len(img.Pix); i += 4 {
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = previewBackground.R, previewBackground.G, previewBackground.B, 255
		}
	}
	depth := make([]float32, w*h)
	for i := range depth {
		depth[i] = float32(math.Inf(1))
	}
	work := previewWorkPerPixel*int64(w)*int64(h) + previewWorkPerTriangle*int64(n)
	for ti := range n {
		a, b, c := m.Triangle(ti)
		nv := b.Sub(a).Cross(c.Sub(a)).Normalize()
		if nv.Dot(cam.forward) >= 0 {
			continue // facing away
		}
		shade := 0.22 + 0.6*math.Max(0, nv.Dot(light)) + 0.3*math.Max(0, -nv.Dot(cam.forward))
		var col [3]uint8
		for k := range col {
			col[k] = uint8(math.Min(255, 255*previewMaterial[k]*shade+0.5))
		}
		x0, y0, z0 := project(a)
		x1, y1, z1 := project(b)
		x2, y2, z2 := project(c)
		area := (x1-x0)*(y2-y0) - (y1-y0)*(x2-x0)
		if area == 0 {
			continue
		}
		px0, px1 := max(0, int(math.Floor(min(x0, x1, x2)))), min(w-1, int(math.Ceil(max(x0, x1, x2))))
		py0, py1 := max(0, int(math.Floor(min(y0, y1, y2)))), min(h-1, int(math.Ceil(max(y0, y1, y2))))
		if work -= int64(px1-px0+1) * int64(py1-py0+1); work < 0 {
			return nil, fmt.Errorf("%w: the mesh's %d triangles overlap too much to preview (more than %d tests per pixel)", ErrOverBudget, n, previewWorkPerPixel)
		}
		for py := py0; py <= py1; py++ {
			fy := float64(py) + 0.5
			for px := px0; px <= px1; px++ {
				fx := float64(px) + 0.5
				w0 := ((x2-x1)*(fy-y1) - (y2-y1)*(fx-x1)) / area
				w1 := ((x0-x2)*(fy-y2) - (y0-y2)*(fx-x2)) / area
				w2 := 1 - w0 - w1
				if w0 < 0 || w1 < 0 || w2 < 0 {
					continue
				}
				z := float32(w0*z0 + w1*z1 + w2*z2)
				k := py*w + px
				if z >= depth[k] {
					continue
				}
				depth[k] = z
				p := img.Pix[4*k : 4*k+4 : 4*k+4]
				p[0], p[1], p[2], p[3] = col[0], col[1], col[2], 255
			}
		}
	}
	return img, nil
}

// downsample averages blocks of f × f pixels, weighting colours by their
// alpha so that the edges of a transparent picture do not darken.
func downsample(src *image.NRGBA, f int) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx()/f, b.Dy()/f))
	n := f * f
	for y := range dst.Rect.Dy() {
		for x := range dst.Rect.Dx() {
			var sum [3]int
			alpha := 0
			for dy := range f {
				row := src.Pix[(y*f+dy)*src.Stride:]
				for dx := range f {
					p := row[4*(x*f+dx):]
					a := int(p[3])
					sum[0] += int(p[0]) * a
					sum[1] += int(p[1]) * a
					sum[2] += int(p[2]) * a
					alpha += a
				}
			}
			q := dst.Pix[y*dst.Stride+4*x:]
			if alpha == 0 {
				continue // fully transparent: stays 0, 0, 0, 0
			}
			q[0], q[1], q[2] = uint8((sum[0]+alpha/2)/alpha), uint8((sum[1]+alpha/2)/alpha), uint8((sum[2]+alpha/2)/alpha)
			q[3] = uint8((alpha + n/2) / n)
		}
	}
	return dst
}
