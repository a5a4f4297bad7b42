package mesh

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// writeOBJ encodes m as Wavefront OBJ: one "v" line per vertex (shortest
// round-trip single-precision decimals, millimetres) and one "f" line per
// triangle with 1-based indices.
func writeOBJ(w *bufio.Writer, m *Mesh) error {
	_, err := fmt.Fprintf(w, objHeader, len(m.Vertices), len(m.Triangles))
	if err != nil {
		return err
	}
	buf := make([]byte, 0, 128)
	for _, v := range m.Vertices {
		buf = append(buf[:0], "v "...)
		buf = appendOBJNumber(buf, v.X)
		buf = append(buf, ' ')
		buf = appendOBJNumber(buf, v.Y)
		buf = append(buf, ' ')
		buf = appendOBJNumber(buf, v.Z)
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	for _, t := range m.Triangles {
		buf = append(buf[:0], "f "...)
		buf = strconv.AppendUint(buf, uint64(t[0])+1, 10)
		buf = append(buf, ' ')
		buf = strconv.AppendUint(buf, uint64(t[1])+1, 10)
		buf = append(buf, ' ')
		buf = strconv.AppendUint(buf, uint64(t[2])+1, 10)
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// objDecimals is the most decimals an OBJ coordinate has: 10 picometres,
// far below any machine's resolution, so that no coordinate is longer
// than objNumber characters.
const objDecimals = 8

// appendOBJNumber appends x as single precision in the shortest decimal
// that reads back as the same float32, rounded to objDecimals decimals if
// it has more (only numbers below 0.1 mm do).
func appendOBJNumber(buf []byte, x float64) []byte {
	start := len(buf)
	buf = strconv.AppendFloat(buf, float64(float32(x)), 'f', -1, 32)
	dot := bytes.IndexByte(buf[start:], '.')
	if dot < 0 || len(buf)-start-dot-1 <= objDecimals {
		return buf
	}
	buf = strconv.AppendFloat(buf[:start], float64(float32(x)), 'f', objDecimals, 32)
	buf = bytes.TrimRight(buf, "0")
	return bytes.TrimSuffix(buf, []byte("."))
}

// ReadOBJ parses the vertices and faces of a Wavefront OBJ file. Faces may
// use "v/vt/vn" references and negative (relative) indices; polygons with
// more than three corners are split into a fan of triangles. Other
// statements (normals, texture coordinates, groups, materials) are ignored.
// Vertices are kept as they are, not merged.
func ReadOBJ(r io.Reader) (*Mesh, error) { return readOBJ(r, math.MaxInt64) }

// readOBJ is ReadOBJ refusing, with an error wrapping ErrOverBudget, a file
// with more than limit triangles or more than limit vertices (a closed mesh
// has about half as many vertices as triangles).
func readOBJ(r io.Reader, limit int64) (*Mesh, error) {
	m := &Mesh{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	line := 0
	var face []uint32
	for sc.Scan() {
		line++
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		switch fields[0] {
		case "v":
			if len(fields) < 4 {
				return nil, fmt.Errorf("mesh: OBJ line %d: vertex needs 3 coordinates", line)
			}
			var p [3]float64
			for j := range 3 {
				x, err := strconv.ParseFloat(fields[1+j], 64)
				if err != nil {
					return nil, fmt.Errorf("mesh: OBJ line %d: %w", line, err)
				}
				p[j] = x
			}
			if int64(len(m.Vertices)) >= limit {
				return nil, fmt.Errorf("%w: OBJ has more than %d vertices", ErrOverBudget, limit)
			}
			m.AddVertex(Vec3{p[0], p[1], p[2]})
		case "f":
			face = face[:0]
			for _, ref := range fields[1:] {
				s, _, _ := strings.Cut(ref, "/")
				i, err := strconv.Atoi(s)
				if err != nil {
					return nil, fmt.Errorf("mesh: OBJ line %d: bad face index %q", line, ref)
				}
				if i < 0 {
					i = len(m.Vertices) + i + 1
				}
				if i < 1 || i > len(m.Vertices) {
					return nil, fmt.Errorf("mesh: OBJ line %d: face index %s out of range 1..%d", line, s, len(m.Vertices))
				}
				face = append(face, uint32(i-1))
			}
			if len(face) < 3 {
				return nil, fmt.Errorf("mesh: OBJ line %d: face with %d vertices", line, len(face))
			}
			if int64(len(m.Triangles)+len(face)-2) > limit {
				return nil, overBudget("OBJ", limit)
			}
			for k := 1; k+1 < len(face); k++ {
				m.AddTriangle(face[0], face[k], face[k+1])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("mesh: read OBJ: %w", err)
	}
	return m, nil
}
