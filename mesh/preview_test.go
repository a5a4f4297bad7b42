package mesh

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestRenderPNG(t *testing.T) {
	t.Parallel()
	for name, m := range sampleMeshes(t) {
		for _, size := range [][2]int{{320, 240}, {64, 200}, {1500, 900}} {
			var buf bytes.Buffer
			if err := RenderPNG(&buf, m, &RenderOptions{Width: size[0], Height: size[1]}); err != nil {
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
	for _, size := range [][2]int{{-1, 10}, {10, -1}, {MaxPreviewSize + 1, 10}} {
		if err := RenderPNG(&bytes.Buffer{}, m, &RenderOptions{Width: size[0], Height: size[1]}); err == nil {
			t.Errorf("size %v accepted", size)
		}
	}
	if err := RenderPNG(&bytes.Buffer{}, &Mesh{}, nil); err == nil {
		t.Error("empty mesh rendered")
	}
}

// renderCube draws a 10 mm cube at size × size with opts' other settings.
func renderCube(t *testing.T, size int, transparent bool) ([]byte, *image.NRGBA) {
	t.Helper()
	var buf bytes.Buffer
	opts := &RenderOptions{Width: size, Height: size, Transparent: transparent}
	if err := RenderPNG(&buf, cube(Vec3{}, Vec3{10, 10, 10}), opts); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	nrgba := image.NewNRGBA(img.Bounds())
	draw.Draw(nrgba, nrgba.Rect, img, img.Bounds().Min, draw.Src)
	return buf.Bytes(), nrgba
}

// TestRenderPNGCube: a cube seen from above, front and right shows three
// flat-shaded faces filling the middle of the picture, leaves the
// corners as background, and renders to the same bytes every time.
func TestRenderPNGCube(t *testing.T) {
	t.Parallel()
	const size = 128
	png1, img := renderCube(t, size, false)
	isBackground := func(x, y int) bool { return img.NRGBAAt(x, y) == previewBackground }

	// The middle is object, the corners background.
	for y := size/2 - 8; y < size/2+8; y++ {
		for x := size/2 - 8; x < size/2+8; x++ {
			if isBackground(x, y) {
				t.Fatalf("pixel (%d, %d) in the middle is background", x, y)
			}
		}
	}
	for _, c := range [][2]int{{0, 0}, {size - 8, 0}, {0, size - 8}, {size - 8, size - 8}} {
		for y := c[1]; y < c[1]+8; y++ {
			for x := c[0]; x < c[0]+8; x++ {
				if !isBackground(x, y) {
					t.Fatalf("pixel (%d, %d) in a corner is %v, want background", x, y, img.NRGBAAt(x, y))
				}
			}
		}
	}
	// Fitted: the object's bounding box reaches the 6% border on one
	// axis and stays inside it on both.
	minX, minY, maxX, maxY := size, size, -1, -1
	colours := make(map[color.NRGBA]int)
	object := 0
	for y := range size {
		for x := range size {
			if isBackground(x, y) {
				continue
			}
			object++
			colours[img.NRGBAAt(x, y)]++
			minX, minY, maxX, maxY = min(minX, x), min(minY, y), max(maxX, x), max(maxY, y)
		}
	}
	pad := size * 6 / 100
	if minX < pad-1 || minY < pad-1 || maxX > size-pad || maxY > size-pad {
		t.Errorf("object spans (%d, %d)-(%d, %d), outside the %d-pixel border", minX, minY, maxX, maxY, pad)
	}
	if minX > pad+1 && minY > pad+1 {
		t.Errorf("object spans (%d, %d)-(%d, %d), not fitted to the %d-pixel border", minX, minY, maxX, maxY, pad)
	}
	// Flat shading: three faces, three colours for nearly every pixel
	// (the rest are smoothed edges), all different.
	counts := make([]int, 0, len(colours))
	for _, n := range colours {
		counts = append(counts, n)
	}
	slices.Sort(counts)
	slices.Reverse(counts)
	if len(counts) < 3 || counts[2] < object/10 || counts[0]+counts[1]+counts[2] < object*85/100 {
		t.Errorf("colour counts %v of %d object pixels: want three faces of one colour each", counts[:min(6, len(counts))], object)
	}

	png2, _ := renderCube(t, size, false)
	if !bytes.Equal(png1, png2) {
		t.Errorf("two renders of the same cube differ (sha256 %x, %x)", sha256.Sum256(png1), sha256.Sum256(png2))
	}
}

// TestRenderPNGTransparent: the background is transparent, the object
// opaque, and a smoothed edge pixel laid over the light background is the
// pixel of the opaque picture (the transparent background does not
// darken the edges).
func TestRenderPNGTransparent(t *testing.T) {
	t.Parallel()
	const size = 96
	_, img := renderCube(t, size, true)
	_, opaque := renderCube(t, size, false)
	if c := img.NRGBAAt(0, 0); c.A != 0 {
		t.Errorf("corner pixel %v, want transparent", c)
	}
	if c := img.NRGBAAt(size/2, size/2); c.A != 255 {
		t.Errorf("middle pixel %v, want opaque", c)
	}
	partial := 0
	bg := previewBackground
	for y := range size {
		for x := range size {
			c := img.NRGBAAt(x, y)
			if c.A == 0 || c.A == 255 {
				continue
			}
			partial++
			a := float64(c.A) / 255
			over := func(v, b uint8) float64 { return float64(v)*a + float64(b)*(1-a) }
			want := opaque.NRGBAAt(x, y)
			if math.Abs(over(c.R, bg.R)-float64(want.R)) > 3 || math.Abs(over(c.G, bg.G)-float64(want.G)) > 3 || math.Abs(over(c.B, bg.B)-float64(want.B)) > 3 {
				t.Fatalf("edge pixel (%d, %d) = %v over the background is not the opaque picture's %v", x, y, c, want)
			}
		}
	}
	if partial == 0 {
		t.Error("no smoothed edge pixels")
	}
}

// TestRenderPNGBudget: a mesh over the triangle budget, and a pile of
// large overlapping triangles, are refused with ErrOverBudget.
func TestRenderPNGBudget(t *testing.T) {
	t.Parallel()
	m := cube(Vec3{}, Vec3{1, 1, 1})
	err := RenderPNG(io.Discard, m, &RenderOptions{MaxTriangles: 11})
	if !errors.Is(err, ErrOverBudget) || !strings.Contains(err.Error(), "more than 11 triangles") {
		t.Errorf("12 triangles over a budget of 11: %v", err)
	}
	if err := RenderPNG(io.Discard, m, &RenderOptions{MaxTriangles: MaxTriangles + 1}); err == nil {
		t.Error("MaxTriangles above MaxTriangles accepted")
	}
	pile := &Mesh{}
	a, b, c := pile.AddVertex(Vec3{0, 0, 0}), pile.AddVertex(Vec3{10, 0, 0}), pile.AddVertex(Vec3{0, 0, 10})
	for range 400 {
		pile.AddTriangle(a, b, c) // faces the camera, covers half the picture
	}
	err = RenderPNG(io.Discard, pile, &RenderOptions{Width: 64, Height: 64})
	if !errors.Is(err, ErrOverBudget) || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("400 overlapping triangles: %v", err)
	}
	pile.Triangles = pile.Triangles[:4]
	if err := RenderPNG(io.Discard, pile, &RenderOptions{Width: 64, Height: 64}); err != nil {
		t.Errorf("4 overlapping triangles: %v", err)
	}
}

// TestRenderFilePNG: a file in every format draws the same picture as
// the mesh read back from it.
func TestRenderFilePNG(t *testing.T) {
	t.Parallel()
	m, err := Generate("vase", map[string]any{"height": 40, "segments": 64, "layers": 16}, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := &RenderOptions{Width: 160, Height: 120}
	for _, f := range Formats {
		var file bytes.Buffer
		if _, err := Write(&file, m, f); err != nil {
			t.Fatal(err)
		}
		var fromFile, fromMesh bytes.Buffer
		if err := RenderFilePNG(&fromFile, bytes.NewReader(file.Bytes()), f, opts); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		read := ReadSTL
		if f == FormatOBJ {
			read = ReadOBJ
		}
		back, err := read(bytes.NewReader(file.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if err := RenderPNG(&fromMesh, back, opts); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fromFile.Bytes(), fromMesh.Bytes()) {
			t.Errorf("%s: the file's picture differs from the picture of its mesh", f)
		}
	}
	if err := RenderFilePNG(io.Discard, strings.NewReader("solid x\nendsolid x\n"), "ply", nil); err == nil {
		t.Error("unknown format accepted")
	}
}

// TestRenderFilePNGBudget: files over the budget are refused without
// reading them whole: a binary STL by its header, ASCII STL and OBJ at the
// first triangle past it.
func TestRenderFilePNGBudget(t *testing.T) {
	t.Parallel()
	m := cube(Vec3{}, Vec3{1, 1, 1})
	small := &RenderOptions{Width: 64, Height: 64, MaxTriangles: 11}
	for _, f := range Formats {
		var file bytes.Buffer
		if _, err := Write(&file, m, f); err != nil {
			t.Fatal(err)
		}
		if err := RenderFilePNG(io.Discard, &file, f, small); !errors.Is(err, ErrOverBudget) {
			t.Errorf("%s with 12 triangles over a budget of 11: %v", f, err)
		}
	}
	// A header announcing four billion triangles, and nothing after it:
	// refused from the header, nothing allocated for the triangles.
	head := make([]byte, 84)
	binary.LittleEndian.PutUint32(head[80:], math.MaxUint32)
	r := &countingReader{r: bytes.NewReader(head)}
	err := RenderFilePNG(io.Discard, r, FormatSTL, nil)
	if !errors.Is(err, ErrOverBudget) || !strings.Contains(err.Error(), "4294967295") {
		t.Errorf("header of 2³²-1 triangles: %v", err)
	}
	if r.n > 84 {
		t.Errorf("read %d bytes of an 84-byte header", r.n)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
