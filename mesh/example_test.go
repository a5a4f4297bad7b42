package mesh_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image/png"
	"io"
	"log"

	"github.com/ordohq/ordo/mesh"
)

func ExampleGenerate() {
	// Parameters as they arrive from an order's JSON.
	params := map[string]any{"size": 9.0, "width": 4.0, "thickness": "1.8"}
	m, err := mesh.Generate("ring", params, nil)
	if err != nil {
		log.Fatal(err)
	}
	var stl bytes.Buffer // or an *os.File, or an artifact upload
	n, err := mesh.Write(&stl, m, mesh.FormatSTL)
	if err != nil {
		log.Fatal(err)
	}
	size := m.Bounds().Size()
	fmt.Printf("%d triangles, %d bytes of binary STL\n", len(m.Triangles), n)
	fmt.Printf("%.2f × %.2f × %.2f mm\n", size.X, size.Y, size.Z)
	// Output:
	// 13440 triangles, 672084 bytes of binary STL
	// 22.55 × 22.55 × 4.00 mm
}

func ExampleGenerate_invalidParameter() {
	_, err := mesh.Generate("ring", map[string]any{"width": 50}, nil)
	fmt.Println(err)
	fmt.Println(errors.Is(err, mesh.ErrInvalidParam))
	// Output:
	// mesh: template "ring": parameter "width": 50 is out of range [1.5, 20] mm
	// true
}

func ExampleWrite_obj() {
	m, err := mesh.Generate("box", map[string]any{"length": 40, "width": 30, "height": 20, "corner_radius": 0}, nil)
	if err != nil {
		log.Fatal(err)
	}
	var obj bytes.Buffer
	if _, err := mesh.Write(&obj, m, mesh.FormatOBJ); err != nil {
		log.Fatal(err)
	}
	line, _ := obj.ReadString('\n')
	fmt.Print(line)
	fmt.Printf("volume %.0f mm³\n", m.Volume())
	// Output:
	// # Ordo mesh: 16 vertices, 28 triangles; units: millimetres
	// volume 7152 mm³
}

func ExampleRenderPNG() {
	m, err := mesh.Generate("ring", map[string]any{"size": 7}, nil)
	if err != nil {
		log.Fatal(err)
	}
	var pic bytes.Buffer // or an *os.File, or an HTTP response
	opts := &mesh.RenderOptions{Width: 256, Height: 192, Transparent: true}
	if err := mesh.RenderPNG(&pic, m, opts); err != nil {
		log.Fatal(err)
	}
	img, err := png.Decode(&pic)
	if err != nil {
		log.Fatal(err)
	}
	_, _, _, corner := img.At(0, 0).RGBA()
	_, _, _, band := img.At(128, 30).RGBA() // the top of the band
	fmt.Println(img.Bounds().Size(), "corner alpha", corner>>8, "band alpha", band>>8)
	// Output:
	// (256,192) corner alpha 0 band alpha 255
}

func ExampleRenderFilePNG() {
	m, err := mesh.Generate("box", map[string]any{"length": 40, "width": 30, "height": 20}, nil)
	if err != nil {
		log.Fatal(err)
	}
	var stl bytes.Buffer // a stored production file
	if _, err := mesh.Write(&stl, m, mesh.FormatSTL); err != nil {
		log.Fatal(err)
	}
	var pic bytes.Buffer
	if err := mesh.RenderFilePNG(&pic, &stl, mesh.FormatSTL, &mesh.RenderOptions{Width: 128, Height: 128}); err != nil {
		log.Fatal(err)
	}
	cfg, err := png.DecodeConfig(&pic)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d×%d PNG\n", cfg.Width, cfg.Height)

	// A file over the budget is refused before its triangles are read.
	err = mesh.RenderFilePNG(io.Discard, bytes.NewReader(stlHeaderOf(3_000_000)), mesh.FormatSTL, nil)
	fmt.Println(errors.Is(err, mesh.ErrOverBudget))
	// Output:
	// 128×128 PNG
	// true
}

// stlHeaderOf returns the 84 bytes that start a binary STL of n triangles.
func stlHeaderOf(n uint32) []byte {
	head := make([]byte, 84)
	binary.LittleEndian.PutUint32(head[80:], n)
	return head
}
