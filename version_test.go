package ordo_test

import (
	"context"
	"encoding/json"
	"runtime/debug"
	"testing"

	"github.com/ordohq/ordo"
)

// TestVersionDefault: Config.Version defaults to the build's VCS
// revision; this test binary has none (GOFLAGS=-buildvcs=false, go
// test), so the engine is unversioned and records no version.
func TestVersionDefault(t *testing.T) {
	st := newMemStore()
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	mustRegister(t, e, ordo.NewWorkflow("versioned", func(ctx context.Context, _ struct{}) (string, error) {
		return ordo.Do(ctx, "a", nil, func(context.Context) (string, error) { return "ran", nil })
	}))
	startEngine(t, e)
	in, err := e.Create(t.Context(), "versioned", json.RawMessage(`{}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := waitDone(t, e, in.ID); got.Status != ordo.StatusComplete || got.Version != ordo.BuildVersion() {
		t.Errorf("got %s version %q, want complete with version %q", got.Status, got.Version, ordo.BuildVersion())
	}
	if _, err := ordo.NewEngine(ordo.Config{Store: st, CompatibleVersions: []string{""}}); err == nil {
		t.Error("an empty compatible version was accepted")
	}
	if _, err := ordo.NewEngine(ordo.Config{Store: st, Version: "v\n1"}); err == nil {
		t.Error("a version with a newline was accepted")
	}
}

// TestBuildVersion: the revision, shortened and marked dirty; the module
// version without one; nothing for a development build without VCS.
func TestBuildVersion(t *testing.T) {
	rev := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"revision", debug.BuildInfo{Settings: rev("vcs.revision", "0123456789abcdef0123", "vcs.modified", "false")}, "0123456789ab"},
		{"dirty", debug.BuildInfo{Settings: rev("vcs.revision", "0123456789abcdef0123", "vcs.modified", "true")}, "0123456789ab-dirty"},
		{"short revision", debug.BuildInfo{Settings: rev("vcs.revision", "abc")}, "abc"},
		{"module version", debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{"devel", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev("-buildvcs", "false")}, ""},
	}
	for _, tc := range tests {
		if got := ordo.VersionOf(&tc.bi); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
