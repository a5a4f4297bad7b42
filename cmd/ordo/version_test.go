package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersionOf(t *testing.T) {
	t.Parallel()
	host := runtime.GOOS + "/" + runtime.GOARCH
	rev := "037451e085812dc8974d449cb8320d61e0985893"
	for _, tc := range []struct {
		name   string
		bi     *debug.BuildInfo
		want   buildVersion
		line   string
		detail []string
	}{
		{
			name: "release",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/ordohq/ordo", Version: "v1.2.0"},
				Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
					{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2026-12-02T00:56:24Z"},
					{Key: "vcs.modified", Value: "false"}}},
			want: buildVersion{Version: "v1.2.0", Module: "github.com/ordohq/ordo", Revision: rev, Time: "2026-12-02T00:56:24Z",
				Go: "go1.26.8", Platform: "linux/arm64"},
			line:   "ordo v1.2.0, revision 037451e08581, 2026-12-02T00:56:24Z, go1.26.8, linux/arm64",
			detail: []string{"ordo v1.2.0", "  revision  " + rev, "  time      2026-12-02T00:56:24Z", "  go        go1.26.8 linux/arm64"},
		},
		{
			name: "checkout with changes",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/ordohq/ordo", Version: "v0.0.0-20261202005624-037451e08581+dirty"},
				Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: rev}, {Key: "vcs.time", Value: "2026-12-02T00:56:24Z"},
					{Key: "vcs.modified", Value: "true"}}},
			want: buildVersion{Version: "v0.0.0-20261202005624-037451e08581+dirty", Module: "github.com/ordohq/ordo", Revision: rev,
				Time: "2026-12-02T00:56:24Z", Modified: true, Go: "go1.26.8", Platform: host},
			line:   "ordo v0.0.0-20261202005624-037451e08581+dirty, revision 037451e08581 (modified), 2026-12-02T00:56:24Z, go1.26.8, " + host,
			detail: []string{"  revision  " + rev + " (modified)"},
		},
		{
			name:   "go run",
			bi:     &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/ordohq/ordo", Version: "(devel)"}},
			want:   buildVersion{Version: "(devel)", Module: "github.com/ordohq/ordo", Go: "go1.26.8", Platform: host},
			line:   "ordo (devel), go1.26.8, " + host,
			detail: []string{"  revision  unknown (built without VCS information)", "  time      unknown"},
		},
		{
			name:   "no build information",
			want:   buildVersion{Version: "unknown", Module: "github.com/ordohq/ordo", Go: runtime.Version(), Platform: host},
			line:   "ordo unknown, " + runtime.Version() + ", " + host,
			detail: []string{"ordo unknown", "  module    github.com/ordohq/ordo"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := versionOf(tc.bi)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("versionOf (-want +got):\n%s", diff)
			}
			if l := got.Line(); l != tc.line {
				t.Errorf("Line() = %q, want %q", l, tc.line)
			}
			lines := strings.Split(got.Detail(), "\n")
			for _, want := range tc.detail {
				if !contains(lines, want) {
					t.Errorf("Detail() = %q, want a line %q", got.Detail(), want)
				}
			}
		})
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// TestVersionCommand: `ordo version`, `ordo version --json` and
// `ordo --version` print the test binary's build information.
func TestVersionCommand(t *testing.T) {
	t.Parallel()
	want := readVersion()
	out, _, err := runOrdo(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	if out != want.Detail() || !strings.HasPrefix(out, "ordo ") || !strings.Contains(out, "  module    github.com/ordohq/ordo\n") ||
		!strings.Contains(out, runtime.Version()) {
		t.Errorf("ordo version printed %q", out)
	}
	out, _, err = runOrdo(t, "version", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got buildVersion
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("ordo version --json printed %q: %v", out, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ordo version --json (-want +got):\n%s", diff)
	}
	for _, flag := range []string{"--version", "-v"} {
		out, _, err = runOrdo(t, flag)
		if err != nil || out != want.Line()+"\n" {
			t.Errorf("ordo %s printed %q, %v; want %q", flag, out, err, want.Line())
		}
	}
	if _, _, err := runOrdo(t, "version", "extra"); err == nil {
		t.Error("ordo version extra: no error")
	}
}

// TestVersionOfBuiltBinary builds cmd/ordo with VCS stamping and checks
// that `ordo version --json` reports the checkout's HEAD. Go stamps only
// in a checkout whose .git is a directory (not in a git worktree), so the
// test is skipped elsewhere, and with -short.
func TestVersionOfBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(root, ".git")); err != nil || !fi.IsDir() {
		t.Skip("not a git checkout with a .git directory (Go stamps no VCS information in a worktree)")
	}
	head, err := exec.Command("git", "-C", root, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("git rev-parse HEAD: %v", err)
	}
	exe := filepath.Join(t.TempDir(), "ordo")
	build := exec.Command(goTool, "build", "-buildvcs=true", "-o", exe, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(exe, "version", "--json").Output()
	if err != nil {
		t.Fatalf("ordo version --json: %v", err)
	}
	var v buildVersion
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("ordo version --json printed %q: %v", out, err)
	}
	if v.Revision != strings.TrimSpace(string(head)) || v.Time == "" || v.Module != "github.com/ordohq/ordo" {
		t.Errorf("built binary reports %+v, want revision %s with its time", v, head)
	}
	line, err := exec.Command(exe, "--version").Output()
	if err != nil || !strings.Contains(string(line), "revision "+shortRevision(v.Revision)) {
		t.Errorf("ordo --version printed %q, %v", line, err)
	}
}
