package mesh

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// ReadSTL parses a binary or ASCII STL file. Corners with the same
// coordinates are merged into one vertex, so the result can be passed to
// Check. Triangles keep the file's order and winding. A binary file must
// hold exactly the number of triangles its header announces.
func ReadSTL(r io.Reader) (*Mesh, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(512)
	if isASCIISTL(head) {
		return readSTLASCII(br)
	}
	return readSTLBinary(br)
}

// isASCIISTL tells ASCII STL from binary STL, whose 80-byte header may
// also start with "solid": ASCII has only text and a "facet" or "endsolid"
// keyword near the start.
func isASCIISTL(head []byte) bool {
	t := bytes.TrimLeft(head, " \t\r\n")
	if !bytes.HasPrefix(t, []byte("solid")) {
		return false
	}
	for _, c := range head {
		if c != '\n' && c != '\r' && c != '\t' && (c < 32 || c > 126) {
			return false
		}
	}
	return bytes.Contains(head, []byte("facet")) || bytes.Contains(head, []byte("endsolid"))
}

type welder struct {
	m   *Mesh
	idx map[[3]float32]uint32
}

func newWelder() *welder { return &welder{m: &Mesh{}, idx: make(map[[3]float32]uint32)} }

func (w *welder) vertex(p [3]float32) uint32 {
	if i, ok := w.idx[p]; ok {
		return i
	}
	i := w.m.AddVertex(Vec3{float64(p[0]), float64(p[1]), float64(p[2])})
	w.idx[p] = i
	return i
}

func readSTLBinary(r *bufio.Reader) (*Mesh, error) {
	var head [84]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("mesh: read binary STL header: %w", err)
	}
	n := binary.LittleEndian.Uint32(head[80:])
	w := newWelder()
	w.m.Triangles = make([][3]uint32, 0, min(n, 1<<20))
	var rec [50]byte
	f := func(off int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(rec[off:])) }
	for i := range n {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			return nil, fmt.Errorf("mesh: binary STL header announces %d triangles, file ends at triangle %d: %w", n, i, err)
		}
		var t [3]uint32
		for j := range 3 {
			t[j] = w.vertex([3]float32{f(12 + 12*j), f(16 + 12*j), f(20 + 12*j)})
		}
		w.m.Triangles = append(w.m.Triangles, t)
	}
	if extra, _ := r.Discard(1); extra > 0 {
		return nil, fmt.Errorf("mesh: binary STL has data after the %d triangles its header announces", n)
	}
	return w.m, nil
}

func readSTLASCII(r *bufio.Reader) (*Mesh, error) {
	w := newWelder()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var corners [][3]float32
	line := 0
	inFacet, ended := false, false
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "solid", "outer":
		case "facet":
			if inFacet {
				return nil, fmt.Errorf("mesh: ASCII STL line %d: facet inside a facet", line)
			}
			inFacet, corners = true, corners[:0]
		case "vertex":
			if !inFacet || len(fields) != 4 {
				return nil, fmt.Errorf("mesh: ASCII STL line %d: bad vertex line %q", line, sc.Text())
			}
			var p [3]float32
			for j := range 3 {
				x, err := strconv.ParseFloat(fields[1+j], 32)
				if err != nil {
					return nil, fmt.Errorf("mesh: ASCII STL line %d: %w", line, err)
				}
				p[j] = float32(x)
			}
			corners = append(corners, p)
		case "endloop":
		case "endfacet":
			if !inFacet || len(corners) != 3 {
				return nil, fmt.Errorf("mesh: ASCII STL line %d: facet with %d vertices, want 3", line, len(corners))
			}
			w.m.AddTriangle(w.vertex(corners[0]), w.vertex(corners[1]), w.vertex(corners[2]))
			inFacet = false
		case "endsolid":
			ended = true
		default:
			return nil, fmt.Errorf("mesh: ASCII STL line %d: unexpected %q", line, fields[0])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mesh: read ASCII STL: %w", err)
	}
	if !ended || inFacet {
		return nil, errors.New("mesh: ASCII STL ends without endsolid")
	}
	return w.m, nil
}
