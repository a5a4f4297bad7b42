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
	w := newWelder()
	err := scanSTL(r, math.MaxInt64, func(n uint32) {
		w.m.Triangles = make([][3]uint32, 0, min(n, 1<<20))
	}, func(c *[3][3]float32) {
		w.m.AddTriangle(w.vertex(c[0]), w.vertex(c[1]), w.vertex(c[2]))
	})
	if err != nil {
		return nil, err
	}
	return w.m, nil
}

// scanSTL reads a binary or ASCII STL file and calls tri with the corners
// of each triangle in file order. Before the first triangle of a binary
// file it calls announce with the count the header announces. A file with
// more than limit triangles fails with an error wrapping ErrOverBudget:
// a binary file before its triangles are read, an ASCII file at the first
// triangle over the limit.
func scanSTL(r io.Reader, limit int64, announce func(uint32), tri func(*[3][3]float32)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(512)
	if isASCIISTL(head) {
		return scanSTLASCII(br, limit, tri)
	}
	return scanSTLBinary(br, limit, announce, tri)
}

// overBudget is the error of a file with more than limit triangles.
func overBudget(what string, limit int64) error {
	return fmt.Errorf("%w: %s has more than %d triangles", ErrOverBudget, what, limit)
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

func scanSTLBinary(r *bufio.Reader, limit int64, announce func(uint32), tri func(*[3][3]float32)) error {
	var head [84]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return fmt.Errorf("mesh: read binary STL header: %w", err)
	}
	n := binary.LittleEndian.Uint32(head[80:])
	if int64(n) > limit {
		return fmt.Errorf("%w: binary STL header announces %d triangles, more than the %d allowed", ErrOverBudget, n, limit)
	}
	announce(n)
	var rec [50]byte
	f := func(off int) float32 { return math.Float32frombits(binary.LittleEndian.Uint32(rec[off:])) }
	var c [3][3]float32
	for i := range n {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			return fmt.Errorf("mesh: binary STL header announces %d triangles, file ends at triangle %d: %w", n, i, err)
		}
		for j := range 3 {
			c[j] = [3]float32{f(12 + 12*j), f(16 + 12*j), f(20 + 12*j)}
		}
		tri(&c)
	}
	if extra, _ := r.Discard(1); extra > 0 {
		return fmt.Errorf("mesh: binary STL has data after the %d triangles its header announces", n)
	}
	return nil
}

func scanSTLASCII(r *bufio.Reader, limit int64, tri func(*[3][3]float32)) error {
	var count int64
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var corners [][3]float32
	var c [3][3]float32
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
				return fmt.Errorf("mesh: ASCII STL line %d: facet inside a facet", line)
			}
			inFacet, corners = true, corners[:0]
		case "vertex":
			if !inFacet || len(fields) != 4 {
				return fmt.Errorf("mesh: ASCII STL line %d: bad vertex line %q", line, sc.Text())
			}
			var p [3]float32
			for j := range 3 {
				x, err := strconv.ParseFloat(fields[1+j], 32)
				if err != nil {
					return fmt.Errorf("mesh: ASCII STL line %d: %w", line, err)
				}
				p[j] = float32(x)
			}
			corners = append(corners, p)
		case "endloop":
		case "endfacet":
			if !inFacet || len(corners) != 3 {
				return fmt.Errorf("mesh: ASCII STL line %d: facet with %d vertices, want 3", line, len(corners))
			}
			if count++; count > limit {
				return overBudget("ASCII STL", limit)
			}
			copy(c[:], corners)
			tri(&c)
			inFacet = false
		case "endsolid":
			ended = true
		default:
			return fmt.Errorf("mesh: ASCII STL line %d: unexpected %q", line, fields[0])
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("mesh: read ASCII STL: %w", err)
	}
	if !ended || inFacet {
		return errors.New("mesh: ASCII STL ends without endsolid")
	}
	return nil
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
