package mesh

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// TestAdmeshAcceptsFiles hands the written files to ADMesh, an independent
// STL checker (Debian package admesh), when it is installed: it must find
// one part, no open edges, nothing degenerate, reversed or backwards, and
// our volume.
func TestAdmeshAcceptsFiles(t *testing.T) {
	t.Parallel()
	admesh, err := exec.LookPath("admesh")
	if err != nil {
		t.Skip("admesh not installed (apt-get install admesh)")
	}
	dir := t.TempDir()
	meshes := sampleMeshes(t)
	for _, text := range []string{"ABBA", "Straße"} {
		m, err := Generate("nameplate", map[string]any{"text": text, "font": "bold"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		meshes["nameplate "+text] = m
	}
	field := func(out []byte, name string) float64 {
		t.Helper()
		re := regexp.MustCompile(regexp.QuoteMeta(name) + `\s*:\s*(-?[0-9.]+)`)
		mt := re.FindSubmatch(out)
		if mt == nil {
			t.Fatalf("admesh output lacks %q:\n%s", name, out)
		}
		x, _ := strconv.ParseFloat(string(mt[1]), 64)
		return x
	}
	for name, m := range meshes {
		for _, f := range []Format{FormatSTL, FormatSTLASCII} {
			path := filepath.Join(dir, "mesh"+f.Ext())
			file, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Write(file, m, f); err != nil {
				t.Fatal(err)
			}
			file.Close()
			out, err := exec.CommandContext(t.Context(), admesh, path).CombinedOutput()
			if err != nil {
				t.Fatalf("%s %s: admesh: %v\n%s", name, f, err, out)
			}
			for _, k := range []string{"Facets with 1 disconnected edge", "Facets with 2 disconnected edges",
				"Facets with 3 disconnected edges", "Degenerate facets", "Edges fixed", "Facets removed",
				"Facets added", "Facets reversed", "Backwards edges", "Normals fixed"} {
				if n := field(out, k); n != 0 {
					t.Errorf("%s %s: admesh: %s: %v", name, f, k, n)
				}
			}
			if n := field(out, "Number of parts"); n != 1 {
				t.Errorf("%s %s: admesh finds %v parts", name, f, n)
			}
			if v := field(out, "Volume"); !near(v, m.Volume(), 1e-4*m.Volume()) {
				t.Errorf("%s %s: admesh volume %v, ours %v", name, f, v, m.Volume())
			}
		}
	}
}
