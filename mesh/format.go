package mesh

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Format is a production file format.
type Format string

// The formats Write produces.
const (
	// FormatSTL is binary STL: an 80-byte header, a little-endian uint32
	// triangle count, then 50 bytes per triangle. The default.
	FormatSTL Format = "stl"
	// FormatSTLASCII is ASCII STL ("solid ... endsolid").
	FormatSTLASCII Format = "stl-ascii"
	// FormatOBJ is Wavefront OBJ with shared vertices ("v" and "f" lines),
	// coordinates in millimetres.
	FormatOBJ Format = "obj"
)

// Formats lists the formats Write supports, default first.
var Formats = []Format{FormatSTL, FormatSTLASCII, FormatOBJ}

// ParseFormat returns the Format named s (case-insensitive; "" means
// FormatSTL). It also accepts "stl-binary" and "ascii-stl".
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "stl", "stl-binary", "binary-stl":
		return FormatSTL, nil
	case "stl-ascii", "ascii-stl":
		return FormatSTLASCII, nil
	case "obj":
		return FormatOBJ, nil
	}
	return "", fmt.Errorf("mesh: unknown format %q; want stl, stl-ascii or obj", s)
}

// Ext returns the file name extension for f, with the dot: ".stl" or ".obj".
func (f Format) Ext() string {
	if f == FormatOBJ {
		return ".obj"
	}
	return ".stl"
}

// ContentType returns the media type of files in format f.
func (f Format) ContentType() string {
	if f == FormatOBJ {
		return "model/obj"
	}
	return "model/stl"
}

// writeBuffer is the size of the buffer between the encoders and the
// destination: large enough that a file write is one system call per
// quarter megabyte, small enough not to matter next to the mesh.
const writeBuffer = 256 << 10

// Write checks m (see Check) and, if it is valid, streams it to w in format
// f. It returns the number of bytes written. A mesh that fails Check gives
// a *CheckError and nothing is written. The output is encoded triangle by
// triangle through a fixed-size buffer, so memory does not grow with the
// mesh beyond what Check needs.
func Write(w io.Writer, m *Mesh, f Format) (int64, error) {
	var enc func(*bufio.Writer, *Mesh) error
	switch f {
	case FormatSTL:
		enc = writeSTLBinary
	case FormatSTLASCII:
		enc = writeSTLASCII
	case FormatOBJ:
		enc = writeOBJ
	default:
		return 0, fmt.Errorf("mesh: unknown format %q; want stl, stl-ascii or obj", f)
	}
	if err := Check(m); err != nil {
		return 0, fmt.Errorf("mesh: refusing to write %s: %w", f, err)
	}
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, writeBuffer)
	if err := enc(bw, m); err != nil {
		return cw.n, fmt.Errorf("mesh: write %s: %w", f, err)
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("mesh: write %s: %w", f, err)
	}
	return cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
