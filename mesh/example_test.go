package mesh_test

import (
	"bytes"
	"errors"
	"fmt"
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
