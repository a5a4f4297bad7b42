package mesh

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

func TestRenderPNG(t *testing.T) {
	t.Parallel()
	for name, m := range sampleMeshes(t) {
		for _, size := range [][2]int{{320, 240}, {64, 200}, {1500, 900}} {
			var buf bytes.Buffer
			if err := RenderPNG(&buf, m, size[0], size[1]); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			img, err := png.Decode(&buf)
			if err != nil {
				t.Fatalf("%s: not a PNG: %v", name, err)
			}
			if b := img.Bounds(); b.Dx() != size[0] || b.Dy() != size[1] {
				t.Errorf("%s: image %v, want %v", name, b, size)
			}
			object, shades, border := coverage(img)
			// The mesh is fitted to the frame: it fills a good part of it,
			// shows several shades (it is lit, not a silhouette), and
			// leaves the border clear.
			if object < 0.05 {
				t.Errorf("%s %v: object covers %.1f%% of the picture", name, size, 100*object)
			}
			if shades < 8 {
				t.Errorf("%s %v: only %d distinct colours on the object", name, size, shades)
			}
			if border > 0 {
				t.Errorf("%s %v: %d non-background pixels on the picture's edge", name, size, border)
			}
		}
	}
}

// coverage returns the fraction of pixels that differ from the background,
// how many distinct colours they have, and how many of them lie on the
// outermost row or column.
func coverage(img image.Image) (object float64, shades, border int) {
	b := img.Bounds()
	colours := make(map[[3]uint32]bool)
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			br, bg, bb, _ := previewBackground.RGBA()
			if r == br && g == bg && bl == bb {
				continue
			}
			n++
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if x == b.Min.X || y == b.Min.Y || x == b.Max.X-1 || y == b.Max.Y-1 {
				border++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy()), len(colours), border
}

func TestRenderPNGRejects(t *testing.T) {
	t.Parallel()
	m := cube(Vec3{}, Vec3{1, 1, 1})
	for _, size := range [][2]int{{0, 10}, {10, -1}, {MaxPreviewSize + 1, 10}} {
		if err := RenderPNG(&bytes.Buffer{}, m, size[0], size[1]); err == nil {
			t.Errorf("size %v accepted", size)
		}
	}
	if err := RenderPNG(&bytes.Buffer{}, &Mesh{}, 10, 10); err == nil {
		t.Error("empty mesh rendered")
	}
}
