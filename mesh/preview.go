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

// Preview colours: a light grey background and a blue-grey material.
var (
	previewBackground = color.NRGBA{R: 244, G: 245, B: 247, A: 255}
	previewMaterial   = [3]float64{0.38, 0.58, 0.85}
)

// RenderPNG draws m shaded from a fixed camera (above, in front and to the
// right, like an isometric view, with an orthographic projection fitted to
// the mesh) and writes it to w as a width × height PNG. Surfaces are lit by
// a light from the upper left, a weaker one from the camera and ambient
// light (flat Lambert shading), and
// hidden surfaces are removed with a depth buffer; images up to a
// megapixel are rendered at twice the size and scaled down to smooth the
// edges. The mesh should pass Check: back faces are not drawn.
func RenderPNG(w io.Writer, m *Mesh, width, height int) error {
	if width < 1 || height < 1 || width > MaxPreviewSize || height > MaxPreviewSize {
		return fmt.Errorf("mesh: preview size %d×%d out of range 1..%d", width, height, MaxPreviewSize)
	}
	if len(m.Triangles) == 0 {
		return errors.New("mesh: preview of an empty mesh")
	}
	ss := 1
	if width*height <= 1<<20 {
		ss = 2
	}
	img := render(m, width*ss, height*ss)
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

func render(m *Mesh, w, h int) *image.NRGBA {
	cam := newCamera()
	// Fit the projected vertices into the image with a 6% border.
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	for _, t := range m.Triangles {
		for _, i := range t {
			v := m.Vertices[i]
			x, y := v.Dot(cam.right), v.Dot(cam.up)
			minX, maxX = min(minX, x), max(maxX, x)
			minY, maxY = min(minY, y), max(maxY, y)
		}
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
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = previewBackground.R, previewBackground.G, previewBackground.B, 255
	}
	depth := make([]float32, w*h)
	for i := range depth {
		depth[i] = float32(math.Inf(1))
	}
	for ti := range m.Triangles {
		a, b, c := m.Triangle(ti)
		n := b.Sub(a).Cross(c.Sub(a)).Normalize()
		if n.Dot(cam.forward) >= 0 {
			continue // facing away
		}
		shade := 0.22 + 0.6*math.Max(0, n.Dot(light)) + 0.3*math.Max(0, -n.Dot(cam.forward))
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
				p[0], p[1], p[2] = col[0], col[1], col[2]
			}
		}
	}
	return img
}

// downsample averages blocks of f × f pixels.
func downsample(src *image.NRGBA, f int) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx()/f, b.Dy()/f))
	for y := range dst.Rect.Dy() {
		for x := range dst.Rect.Dx() {
			var sum [3]int
			for dy := range f {
				row := src.Pix[(y*f+dy)*src.Stride:]
				for dx := range f {
					p := row[4*(x*f+dx):]
					sum[0] += int(p[0])
					sum[1] += int(p[1])
					sum[2] += int(p[2])
				}
			}
			q := dst.Pix[y*dst.Stride+4*x:]
			n := f * f
			q[0], q[1], q[2], q[3] = uint8((sum[0]+n/2)/n), uint8((sum[1]+n/2)/n), uint8((sum[2]+n/2)/n), 255
		}
	}
	return dst
}
