package enginetest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo"
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

// testVersionsSideBySide: two engines of different code versions on one
// database, as in a rolling deploy, each run only the instances of their
// own version: every step of an instance ran on the version it records.
func testVersionsSideBySide(t *testing.T, s Suite) {
	st := s.Open(t)
	engines := map[string]*ordo.Engine{}
	for _, v := range []string{"v1", "v2"} {
		e := newEngine(t, ordo.Config{Store: st, Version: v, PollInterval: 5 * time.Millisecond, WorkerID: "worker-" + v})
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

// testVersionCompatible: an engine that declares an older version
// compatible finishes that version's instances; AnyVersion, every one.
func testVersionCompatible(t *testing.T, s Suite) {
	for _, compat := range []string{"v1", ordo.AnyVersion} {
		t.Run(compat, func(t *testing.T) {
			t.Parallel()
			st := s.Open(t)
			old := newEngine(t, ordo.Config{Store: st, Version: "v1"})
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
			next := newEngine(t, ordo.Config{Store: st, Version: "v2",
				CompatibleVersions: []string{compat}, PollInterval: 5 * time.Millisecond})
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

// testUnregisteredWorkflow: an instance whose workflow the running engine
// has not registered is reported with reason unregistered_workflow (Get
// and List), and the engine logs at start the workflows left so, with
// their counts; an engine that is not running says nothing of it.
func testUnregisteredWorkflow(t *testing.T, s Suite) {
	st := s.Open(t)
	wf := func(name string) ordo.Definition {
		return ordo.NewWorkflow(name, func(ctx context.Context, _ struct{}) (int, error) {
			return 1, ordo.Sleep(ctx, "nap", time.Hour)
		})
	}
	// The code of "gone" ran here once, before it was removed.
	old := newEngine(t, ordo.Config{Store: st})
	mustRegister(t, old, wf("gone"), wf("kept"))
	for _, id := range []string{"gone-1", "gone-2"} {
		if _, err := old.Create(t.Context(), "gone", json.RawMessage(`{}`), &ordo.CreateOptions{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if in, err := old.Get(t.Context(), "gone-1"); err != nil || in.Reason != "" {
		t.Fatalf("not running: reason %q (%v), want none", in.Reason, err)
	}

	var logs syncBuffer
	e := newEngine(t, ordo.Config{Store: st, PollInterval: 5 * time.Millisecond,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	mustRegister(t, e, wf("kept"))
	startEngine(t, e)
	kept, err := e.Create(t.Context(), "kept", json.RawMessage(`{}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, e, kept.ID, "its sleep", func(in *ordo.Instance) bool { return in.Status == ordo.StatusWaiting })
	got, err := e.Get(t.Context(), "gone-1")
	if err != nil || got.Reason != ordo.ReasonUnregisteredWorkflow {
		t.Errorf("Get gone-1: reason %q (%v), want %s", got.Reason, err, ordo.ReasonUnregisteredWorkflow)
	}
	if b, _ := json.Marshal(got); !strings.Contains(string(b), `"reason":"unregistered_workflow"`) {
		t.Errorf("JSON %s has no reason", b)
	}
	page, err := e.List(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range page.Instances {
		want := ordo.InstanceReason("")
		if in.Workflow == "gone" {
			want = ordo.ReasonUnregisteredWorkflow
		}
		if in.Reason != want {
			t.Errorf("List %s (%s): reason %q, want %q", in.ID, in.Workflow, in.Reason, want)
		}
	}
	eventually(t, "the start log line", func() bool { return strings.Contains(logs.String(), "has not registered") })
	var line string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, "has not registered") {
			line = l
		}
	}
	if !strings.Contains(line, `"workflows":[{"workflow":"gone","count":2}]`) || !strings.Contains(line, `"instances":2`) {
		t.Errorf("start log line %q does not list gone with 2 instances", line)
	}
}
