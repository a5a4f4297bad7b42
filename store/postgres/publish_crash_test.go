package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store/postgres"
	"github.com/ordohq/ordo/store/postgres/pgtest"
)

const crashEvents = 1000

// TestPublishChild is one publishing process of TestPublishSurvivesKill:
// it publishes events 0..999 of order.placed, starting at
// ORDO_PUBLISH_CHILD_OFFSET, to an engine with two subscriptions. With
// ORDO_PUBLISH_CHILD_LOOP=1 it publishes them again and again (each again
// is a no-op transaction) until it is killed, so that the kill always
// lands while it publishes, however fast it ran.
func TestPublishChild(t *testing.T) {
	url := os.Getenv("ORDO_PUBLISH_CHILD_URL")
	if url == "" {
		t.Skip("a child process of TestPublishSurvivesKill")
	}
	offset, _ := strconv.Atoi(os.Getenv("ORDO_PUBLISH_CHILD_OFFSET"))
	s, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	eng, err := ordo.NewEngine(ordo.Config{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// Never started, but creating instances starts its committer: Stop ends it.
	t.Cleanup(func() { _ = eng.Stop(context.Background()) })
	noop := func(ctx context.Context, p map[string]int) (int, error) { return p["n"], nil }
	if err := eng.Register(ordo.NewWorkflow("ship", noop).On("order.placed"),
		ordo.NewWorkflow("bill", noop).On("order.placed", ordo.If("payload.n >= 0"))); err != nil {
		t.Fatal(err)
	}
	loop := os.Getenv("ORDO_PUBLISH_CHILD_LOOP") == "1"
	for pass := 0; pass == 0 || loop; pass++ {
		for k := range crashEvents {
			i := (offset + k) % crashEvents
			if _, _, err := eng.Publish(t.Context(), ordo.PublishEvent{ID: fmt.Sprintf("ev-%d", i), Type: "order.placed",
				Payload: map[string]int{"n": i}}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestPublishSurvivesKill publishes the same 1,000 events from three
// processes at once, each starting at another event, and SIGKILLs one of
// them (which never stops publishing on its own) once 300 are stored: every event is stored once with both its deliveries and
// its two instances (exactly 2,000, none twice), and no event is stored
// without them.
func TestPublishSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("three processes")
	}
	url, _ := pgtest.Schema(t)
	s, err := postgres.Open(t.Context(), url, &postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	var children []*exec.Cmd
	for c := range 3 {
		loop := "0"
		if c == 0 {
			loop = "1" // the one killed
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestPublishChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), "ORDO_PUBLISH_CHILD_URL="+url,
			"ORDO_PUBLISH_CHILD_OFFSET="+strconv.Itoa(c*crashEvents/3), "ORDO_PUBLISH_CHILD_LOOP="+loop)
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("child %d:\n%s", c, out.String())
			}
		})
		children = append(children, cmd)
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := s.Pool().QueryRow(t.Context(), q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(2 * time.Minute)
	for count(`SELECT count(*) FROM published_events`) < 300 {
		if time.Now().After(deadline) {
			t.Fatal("fewer than 300 events published after 2 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := children[0].Process.Kill(); err != nil {
		t.Fatal(err)
	}
	err = children[0].Wait()
	if ws, ok := children[0].ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
		t.Fatalf("child 0 ended by itself (%v), not by the kill", err)
	}
	for i, c := range children[1:] {
		if err := c.Wait(); err != nil {
			t.Fatalf("child %d: %v", i+1, err)
		}
	}
	checks := []struct {
		what string
		q    string
		want int
	}{
		{"events", `SELECT count(*) FROM published_events`, crashEvents},
		{"instances", `SELECT count(*) FROM instances`, 2 * crashEvents},
		{"distinct instances", `SELECT count(DISTINCT id) FROM instances`, 2 * crashEvents},
		{"started deliveries", `SELECT count(*) FROM event_deliveries WHERE outcome = 'started'`, 2 * crashEvents},
		{"events without both deliveries",
			`SELECT count(*) FROM published_events e WHERE (SELECT count(*) FROM event_deliveries d WHERE d.event_id = e.id) <> 2`, 0},
		{"instances without a delivery",
			`SELECT count(*) FROM instances i WHERE NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.instance_id = i.id)`, 0},
	}
	for _, c := range checks {
		if n := count(c.q); n != c.want {
			t.Errorf("%s: %d, want %d", c.what, n, c.want)
		}
	}
}
