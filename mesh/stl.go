package mesh

import (
	"bufio"
	"encoding/binary"
	"math"
	"strconv"
)

// stlHeader is the 80-byte header of binary STL files Write produces. It
// must not start with "solid", which readers take for ASCII STL.
const stlHeader = "Ordo binary STL; units: millimetres"

// writeSTLBinary encodes m as binary STL: 80-byte header, uint32 triangle
// count, then per triangle the normal and three corners as little-endian
// float32 and a zero uint16 attribute.
func writeSTLBinary(w *bufio.Writer, m *Mesh) error {
	var head [stlBinaryHeader]byte
	copy(head[:], stlHeader)
	binary.LittleEndian.PutUint32(head[80:], uint32(len(m.Triangles)))
	if _, err := w.Write(head[:]); err != nil {
		return err
	}
	var rec [stlBinaryFacet]byte
	put := func(off int, x float32) {
		binary.LittleEndian.PutUint32(rec[off:], math.Float32bits(x))
	}
	for _, t := range m.Triangles {
		a, b, c := m.Vertices[t[0]], m.Vertices[t[1]], m.Vertices[t[2]]
		n := facetNormal(a, b, c)
		put(0, n[0])
		put(4, n[1])
		put(8, n[2])
		for j, v := range [3]Vec3{a, b, c} {
			put(12+12*j, float32(v.X))
			put(16+12*j, float32(v.Y))
			put(20+12*j, float32(v.Z))
		}
		if _, err := w.Write(rec[:]); err != nil {
			return err
		}
	}
	return nil
}

// facetNormal returns the unit normal of the triangle as STL stores it,
// computed from the single-precision corners that the file holds.
func facetNormal(a, b, c Vec3) [3]float32 {
	a, b, c = a.float32(), b.float32(), c.float32()
	n := b.Sub(a).Cross(c.Sub(a)).Normalize()
	return [3]float32{float32(n.X), float32(n.Y), float32(n.Z)}
}

// writeSTLASCII encodes m as ASCII STL with shortest round-trip
// single-precision numbers.
func writeSTLASCII(w *bufio.Writer, m *Mesh) error {
	if _, err := w.WriteString(stlASCIIHead); err != nil {
		return err
	}
	f := func(buf []byte, x float32) []byte {
		return strconv.AppendFloat(buf, float64(x), 'e', -1, 32)
	}
	buf := make([]byte, 0, 512)
	for _, t := range m.Triangles {
		a, b, c := m.Vertices[t[0]], m.Vertices[t[1]], m.Vertices[t[2]]
		n := facetNormal(a, b, c)
		buf = append(buf[:0], "facet normal "...)
		buf = f(buf, n[0])
		buf = append(buf, ' ')
		buf = f(buf, n[1])
		buf = append(buf, ' ')
		buf = f(buf, n[2])
		buf = append(buf, "\n outer loop\n"...)
		for _, v := range [3]Vec3{a, b, c} {
			buf = append(buf, "  vertex "...)
			buf = f(buf, float32(v.X))
			buf = append(buf, ' ')
			buf = f(buf, float32(v.Y))
			buf = append(buf, ' ')
			buf = f(buf, float32(v.Z))
			buf = append(buf, '\n')
		}
		buf = append(buf, " endloop\nendfacet\n"...)
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	_, err := w.WriteString(stlASCIIFoot)
	return err
}
