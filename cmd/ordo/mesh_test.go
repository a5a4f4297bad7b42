package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ordohq/ordo/mesh"
)

func runOrdo(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	root := newRootCmd()
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err = root.Execute()
	return out.String(), errb.String(), err
}

func TestMeshCommandWritesCheckedFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tc := range []struct {
		args   []string
		format mesh.Format
	}{
		{[]string{"mesh", "ring", "--param", "size=9", "--param", "width=4"}, mesh.FormatSTL},
		{[]string{"mesh", "nameplate", "-p", "text=Bjørn", "--format", "obj"}, mesh.FormatOBJ},
		{[]string{"mesh", "box", "-p", "length=30", "-p", "width=20", "-p", "height=10", "-f", "stl-ascii"}, mesh.FormatSTLASCII},
	} {
		out := filepath.Join(dir, tc.args[1]+tc.format.Ext())
		pic := filepath.Join(dir, tc.args[1]+".png")
		args := slices.Concat(tc.args, []string{"-o", out, "--preview", pic, "--preview-size", "160x120"})
		_, stderr, err := runOrdo(t, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.Contains(stderr, "wrote "+out) {
			t.Errorf("%v: stderr %q does not report the file", args, stderr)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		var m *mesh.Mesh
		if tc.format == mesh.FormatOBJ {
			m, err = mesh.ReadOBJ(f)
		} else {
			m, err = mesh.ReadSTL(f)
		}
		f.Close()
		if err != nil {
			t.Fatalf("%v: read back: %v", args, err)
		}
		if err := mesh.Check(m); err != nil {
			t.Errorf("%v: written file fails the checks: %v", args, err)
		}
		if tc.args[1] == "ring" {
			// Size 9: inner diameter 11.63 + 0.8128*9, thickness 2 each side; width 4.
			want := 11.63 + 0.8128*9 + 4
			if s := m.Bounds().Size(); !near(s.X, want, 1e-3) || !near(s.Z, 4, 1e-4) {
				t.Errorf("ring size %v, want %.3f wide and 4 high", s, want)
			}
		}
		pf, err := os.Open(pic)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(pf)
		pf.Close()
		if err != nil || img.Bounds().Dx() != 160 || img.Bounds().Dy() != 120 {
			t.Errorf("%v: preview %v, %v", args, img, err)
		}
	}
}

func near(a, b, tol float64) bool { return a-b <= tol && b-a <= tol }

func TestMeshCommandErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "x.stl")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"mesh", "ring", "-p", "width=50", "-o", out}, `parameter "width": 50 is out of range [1.5, 20] mm`},
		{[]string{"mesh", "nameplate", "-o", out}, `parameter "text": missing`},
		{[]string{"mesh", "nameplate", "-p", "text=Hi 😀", "-o", out}, `no glyph for '😀'`},
		{[]string{"mesh", "teapot", "-o", out}, `unknown template "teapot"; known: box, nameplate, ring, vase`},
		{[]string{"mesh", "ring", "-p", "width", "-o", out}, `want key=value`},
		{[]string{"mesh", "ring", "-f", "step", "-o", out}, `unknown format "step"`},
		{[]string{"mesh", "ring"}, `--output (-o) is required`},
		// The vase at its documented maximum is refused before anything is
		// built, saying why and how to allow more.
		{[]string{"mesh", "vase", "-p", "segments=8192", "-p", "layers=8192", "-o", out},
			`the parameters make 268468224 triangles, more than the 2000000 allowed (4 × 8192 segments × 8193 rings; reduce segments or layers`},
		{[]string{"mesh", "vase", "-p", "segments=8192", "-p", "layers=8192", "--max-triangles", "10000000", "-o", out},
			`raise --max-triangles, at most 10000000`},
		{[]string{"mesh", "ring", "--max-triangles", "1000", "-o", out}, `13120 triangles, more than the 1000 allowed`},
		{[]string{"mesh", "ring", "--max-triangles", "0", "-o", out}, `--max-triangles 0: want 1 to 10000000`},
	} {
		_, _, err := runOrdo(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
			continue
		}
		var ee *exitError
		if !errors.As(err, &ee) || ee.ExitCode() != 2 {
			t.Errorf("%v: want exit code 2 for bad input, got %v", tc.args, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed runs left files: %v", entries)
	}
}

func TestMeshStdout(t *testing.T) {
	t.Parallel()
	stdout, _, err := runOrdo(t, "mesh", "box", "-f", "obj", "-o", "-")
	if err != nil {
		t.Fatal(err)
	}
	m, err := mesh.ReadOBJ(strings.NewReader(stdout))
	if err != nil {
		t.Fatal(err)
	}
	if err := mesh.Check(m); err != nil {
		t.Error(err)
	}
}

func TestMeshTemplatesCommand(t *testing.T) {
	t.Parallel()
	stdout, _, err := runOrdo(t, "mesh", "templates")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"box:", "nameplate:", "ring:", "vase:", "inner_diameter", "(required)", "[1.5, 20] mm"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("templates output lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _, err = runOrdo(t, "mesh", "templates", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var list []struct {
		Name   string
		Params []mesh.Param
	}
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 4 || list[2].Name != "ring" || list[2].Params[0].Name != "size" {
		t.Errorf("templates --json = %+v", list)
	}
}
