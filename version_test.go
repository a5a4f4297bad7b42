package ordo_test

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

// versioned is a workflow whose steps return the code version of the
// engine that ran them, with a durable sleep between them: after the
// sleep the instance is claimed again, by whichever engine may.
func versioned(version string) ordo.Definition {
	return ordo.NewWorkflow("versioned", func(ctx context.Context, _ struct{}) ([]string, error) {
		ran := func(context.Context) (string, error) { return version, nil }
		a, err := ordo.Do(ctx, "a", nil, ran)
		if err != nil {
			return nil, err
		}
		if err := ordo.Sleep(ctx, "pause", 20*time.Millisecond); err != nil {
			return nil, err
		}
		b, err := ordo.Do(ctx, "b", nil, ran)
		return []string{a, b}, err
	})
}

// TestVersionsSideBySide: two engines of different code versions on one
// database, as in a rolling deploy, each run only the instances of their
// own version: every step of an instance ran on the version it records.
func TestVersionsSideBySide(t *testing.T) {
	for _, bk := range matchStores {
		t.Run(bk.name, func(t *testing.T) {
			t.Parallel()
			var open func() store.Store
			if bk.name != "postgres" {
				shared := bk.open(t)
				open = func() store.Store { return shared }
			} else {
				// Two stores, two pools, on one database: separate engines.
				url, _ := pgtest.Schema(t)
				open = func() store.Store {
					st, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 4})
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { st.Close() })
					if err := st.Migrate(t.Context()); err != nil {
						t.Fatal(err)
					}
					return st
				}
			}
			engines := map[string]*ordo.Engine{}
			for _, v := range []string{"v1", "v2"} {
				e, err := ordo.NewEngine(ordo.Config{Store: open(), Logger: quietLogger(), Version: v,
					PollInterval: 5 * time.Millisecond, WorkerID: "worker-" + v})
				if err != nil {
					t.Fatal(err)
				}
				mustRegister(t, e, versioned(v))
				startEngine(t, e)
				engines[v] = e
			}
			var ids []string
			for i := range 10 {
				for v, e := range engines {
					in, err := e.Create(t.Context(), "versioned", json.RawMessage(`{}`), &ordo.CreateOptions{ID: fmt.Sprintf("%s-%d", v, i)})
					if err != nil {
						t.Fatal(err)
					}
					ids = append(ids, in.ID)
				}
			}
			for _, id := range ids {
				in := waitDone(t, engines["v1"], id)
				if in.Status != ordo.StatusComplete {
					t.Fatalf("%s: %s %+v", id, in.Status, in.Error)
				}
				var ran []string
				if err := json.Unmarshal(in.Output, &ran); err != nil {
					t.Fatal(err)
				}
				if in.Version == "" || ran[0] != in.Version || ran[1] != in.Version {
					t.Errorf("%s of version %q: steps ran on %v", id, in.Version, ran)
				}
			}
		})
	}
}

// handedOver is versioned with an event wait for the pause: the instance
// waits until the test sends "go", so its second step cannot run before
// the test stopped the engine that ran the first.
func handedOver(version string) ordo.Definition {
	return ordo.NewWorkflow("handover", func(ctx context.Context, _ struct{}) ([]string, error) {
		ran := func(context.Context) (string, error) { return version, nil }
		a, err := ordo.Do(ctx, "a", nil, ran)
		if err != nil {
			return nil, err
		}
		if _, err := ordo.WaitForEvent[struct{}](ctx, "pause", "go", time.Hour); err != nil {
			return nil, err
		}
		b, err := ordo.Do(ctx, "b", nil, ran)
		return []string{a, b}, err
	})
}

// TestVersionCompatible: an engine that declares an older version
// compatible finishes that version's instances; AnyVersion, every one.
func TestVersionCompatible(t *testing.T) {
	for _, compat := range []string{"v1", ordo.AnyVersion} {
		t.Run(compat, func(t *testing.T) {
			t.Parallel()
			st := newMemStore()
			old, err := ordo.NewEngine(ordo.Config{Store: st, Logger: quietLogger(), Version: "v1"})
			if err != nil {
				t.Fatal(err)
			}
			mustRegister(t, old, handedOver("v1"))
			startEngine(t, old)
			in, err := old.Create(t.Context(), "handover", json.RawMessage(`{}`), nil)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, old, in.ID, "the event wait", func(i *ordo.Instance) bool { return i.Status == ordo.StatusWaiting })
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := old.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			next, err := ordo.NewEngine(ordo.Config{Store: st, Logger: quietLogger(), Version: "v2",
				CompatibleVersions: []string{compat}, PollInterval: 5 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			mustRegister(t, next, handedOver("v2"))
			startEngine(t, next)
			if err := next.SendEvent(t.Context(), in.ID, "go", struct{}{}); err != nil {
				t.Fatal(err)
			}
			got := waitDone(t, next, in.ID)
			if got.Status != ordo.StatusComplete || string(got.Output) != `["v1","v2"]` || got.Version != "v1" {
				t.Errorf("got %s %s version %q, want complete [v1 v2] of version v1", got.Status, got.Output, got.Version)
			}
		})
	}
}

// TestVersionDefault: Config.Version defaults to the build's VCS
// revision; this test binary has none (GOFLAGS=-buildvcs=false, go
// test), so the engine is unversioned and records no version.
func TestVersionDefault(t *testing.T) {
	st := newMemStore()
	e, err := ordo.NewEngine(ordo.Config{Store: st, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	mustRegister(t, e, versioned(""))
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
