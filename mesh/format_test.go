package mesh

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

// sampleMeshes are small meshes of every template, for the writer tests.
func sampleMeshes(t *testing.T) map[string]*Mesh {
	t.Helper()
	out := make(map[string]*Mesh)
	for name, p := range map[string]map[string]any{
		"box":       {"length": 30, "width": 20, "height": 10},
		"ring":      nil,
		"vase":      {"height": 40, "segments": 128, "layers": 16},
		"nameplate": {"text": "Bjørn"},
	} {
		m, err := Generate(name, p, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out[name] = m
	}
	return out
}

func TestWriteRoundTrip(t *testing.T) {
	t.Parallel()
	for name, m := range sampleMeshes(t) {
		for _, f := range Formats {
			var buf bytes.Buffer
			n, err := Write(&buf, m, f)
			if err != nil {
				t.Fatalf("%s %s: %v", name, f, err)
			}
			if n != int64(buf.Len()) {
				t.Errorf("%s %s: Write returned %d, wrote %d bytes", name, f, n, buf.Len())
			}
			var got *Mesh
			if f == FormatOBJ {
				got, err = ReadOBJ(bytes.NewReader(buf.Bytes()))
			} else {
				got, err = ReadSTL(bytes.NewReader(buf.Bytes()))
			}
			if err != nil {
				t.Fatalf("%s %s: read back: %v", name, f, err)
			}
			if len(got.Triangles) != len(m.Triangles) {
				t.Fatalf("%s %s: %d triangles read back, wrote %d", name, f, len(got.Triangles), len(m.Triangles))
			}
			// STL readers weld corners by position; the result must be the
			// very mesh we checked (same vertex count, no merges).
			if len(got.Vertices) != len(m.Vertices) {
				t.Errorf("%s %s: %d vertices read back, mesh has %d", name, f, len(got.Vertices), len(m.Vertices))
			}
			// STL keeps float32 exactly; OBJ rounds to 8 decimals, which
			// only numbers below 0.1 mm have more of.
			same := func(p, q Vec3) bool { return p.float32() == q.float32() }
			if f == FormatOBJ {
				same = func(p, q Vec3) bool { return p.float32().Sub(q.float32()).Len() <= 1e-8 }
			}
			for i := range m.Triangles {
				a1, b1, c1 := m.Triangle(i)
				a2, b2, c2 := got.Triangle(i)
				if !same(a1, a2) || !same(b1, b2) || !same(c1, c2) {
					t.Fatalf("%s %s: triangle %d is %v %v %v, wrote %v %v %v", name, f, i, a2, b2, c2, a1, b1, c1)
				}
			}
			if err := Check(got); err != nil {
				t.Errorf("%s %s: file read back fails Check: %v", name, f, err)
			}
		}
	}
}

func TestBinarySTLLayout(t *testing.T) {
	t.Parallel()
	m := sampleMeshes(t)["ring"]
	var buf bytes.Buffer
	if _, err := Write(&buf, m, FormatSTL); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if want := 84 + 50*len(m.Triangles); len(b) != want {
		t.Fatalf("binary STL is %d bytes, want 84 + 50 × %d = %d", len(b), len(m.Triangles), want)
	}
	if bytes.HasPrefix(b, []byte("solid")) {
		t.Error("binary STL header starts with \"solid\", which readers take for ASCII")
	}
	if n := binary.LittleEndian.Uint32(b[80:84]); int(n) != len(m.Triangles) {
		t.Errorf("header count %d, want %d", n, len(m.Triangles))
	}
	f32 := func(off int) float64 { return float64(math.Float32frombits(binary.LittleEndian.Uint32(b[off:]))) }
	for i := range m.Triangles {
		rec := 84 + 50*i
		n := Vec3{f32(rec), f32(rec + 4), f32(rec + 8)}
		p, q, r := m.Triangle(i)
		geo := q.Sub(p).Cross(r.Sub(p)).Normalize()
		if !near(n.Len(), 1, 1e-6) || n.Dot(geo) < 0.9999 {
			t.Fatalf("triangle %d: stored normal %v, geometric %v", i, n, geo)
		}
		if attr := binary.LittleEndian.Uint16(b[rec+48:]); attr != 0 {
			t.Fatalf("triangle %d: attribute %d", i, attr)
		}
	}
	// A file cut short, or longer than its header says, is rejected.
	if _, err := ReadSTL(bytes.NewReader(b[:len(b)-10])); err == nil {
		t.Error("truncated binary STL read without error")
	}
	if _, err := ReadSTL(bytes.NewReader(append(bytes.Clone(b), 0))); err == nil {
		t.Error("binary STL with trailing data read without error")
	}
}

func TestASCIISTLAndOBJText(t *testing.T) {
	t.Parallel()
	m := cube(Vec3{0, 0, 0}, Vec3{1.5, 2, 1e-3})
	var buf bytes.Buffer
	if _, err := Write(&buf, m, FormatSTLASCII); err != nil {
		t.Fatal(err)
	}
	s := buf.String()
	if !strings.HasPrefix(s, "solid ordo\n") || !strings.HasSuffix(s, "endsolid ordo\n") ||
		strings.Count(s, "facet normal") != 12 || strings.Count(s, "vertex") != 36 {
		t.Errorf("ASCII STL:\n%s", s)
	}
	if !strings.Contains(s, "facet normal 0e+00 0e+00 -1e+00\n outer loop\n  vertex 0e+00 0e+00 0e+00\n") {
		t.Errorf("ASCII STL first facet not as expected:\n%.200s", s)
	}
	buf.Reset()
	if _, err := Write(&buf, m, FormatOBJ); err != nil {
		t.Fatal(err)
	}
	s = buf.String()
	if strings.Count(s, "\nv ") != 8 || strings.Count(s, "\nf ") != 12 || !strings.Contains(s, "\nv 1.5 2 0.001\n") || !strings.Contains(s, "\nf 1 3 4\n") {
		t.Errorf("OBJ:\n%s", s)
	}
	// Quads, negative indices and v/vt/vn references are read too.
	q, err := ReadOBJ(strings.NewReader("v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvn 0 0 1\nf -4//1 -3//1 -2//1 -1//1\n"))
	if err != nil || len(q.Triangles) != 2 || q.Triangles[1] != [3]uint32{0, 2, 3} {
		t.Errorf("ReadOBJ quad = %+v, %v", q, err)
	}
	if _, err := ReadOBJ(strings.NewReader("v 0 0 0\nf 1 2 3\n")); err == nil {
		t.Error("ReadOBJ accepted an index out of range")
	}
}

type failingWriter struct{ left int }

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.left {
		n := f.left
		f.left = 0
		return n, errDiskFull
	}
	f.left -= len(p)
	return len(p), nil
}

func TestWriteReportsWriterErrors(t *testing.T) {
	t.Parallel()
	m := sampleMeshes(t)["vase"]
	for _, f := range Formats {
		n, err := Write(&failingWriter{left: 64 << 10}, m, f)
		if !errors.Is(err, errDiskFull) || n != 64<<10 {
			t.Errorf("%s: Write = %d, %v; want %d bytes and the writer's error", f, n, err, 64<<10)
		}
	}
	if _, err := Write(io.Discard, m, Format("step")); err == nil {
		t.Error("Write accepted an unknown format")
	}
}
