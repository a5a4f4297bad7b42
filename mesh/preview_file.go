package mesh

import (
	"fmt"
	"io"
)

// RenderFilePNG reads a production file in format f (binary or ASCII STL,
// or OBJ, as Write makes them; FormatSTL reads both kinds of STL) from r
// and draws it as RenderPNG draws a mesh.
//
// It holds no more than opts.MaxTriangles triangles: a binary STL whose
// header announces more is refused before its triangles are read, an
// ASCII STL or OBJ at the first triangle (or OBJ vertex) past the budget,
// with an error wrapping ErrOverBudget. STL triangles are kept as they are
// read, 36 bytes each, without merging corners, so a file at
// DefaultMaxTriangles needs about 72 MB on top of the picture. A file that
// does not parse gives the reader's error; the caller bounds the bytes r
// may yield (an ASCII file could hold blank lines without end).
func RenderFilePNG(w io.Writer, r io.Reader, f Format, opts *RenderOptions) error {
	s, err := opts.settings()
	if err != nil {
		return err
	}
	switch f {
	case FormatSTL, FormatSTLASCII:
		var tris soup
		err := scanSTL(r, s.MaxTriangles, func(n uint32) {
			tris = make(soup, 0, 9*int(n)) // n is within the budget
		}, func(c *[3][3]float32) {
			tris = append(tris, c[0][0], c[0][1], c[0][2], c[1][0], c[1][1], c[1][2], c[2][0], c[2][1], c[2][2])
		})
		if err != nil {
			return err
		}
		return renderPNG(w, tris, s)
	case FormatOBJ:
		m, err := readOBJ(r, s.MaxTriangles)
		if err != nil {
			return err
		}
		return renderPNG(w, m, s)
	}
	return fmt.Errorf("mesh: unknown format %q; want stl, stl-ascii or obj", f)
}
