package ordo_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/store"
	"github.com/ordohq/ordo/store/sqlite"
)

// The crash test re-executes this test binary as a worker process
// (ORDO_CRASH_CHILD=1), kills it with SIGKILL mid-run and starts it again.
func TestMain(m *testing.M) {
	if os.Getenv("ORDO_CRASH_CHILD") == "1" {
		if err := crashChild(); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const crashSteps = 4

// crashWorkflow appends "instance key" to a log before each step returns:
// the side effect the test counts.
func crashWorkflow(sideEffects *os.File) *ordo.Workflow[int, int] {
	return ordo.NewWorkflow("crashy", func(ctx context.Context, n int) (int, error) {
		sum := 0
		for i := range crashSteps {
			if i == 2 {
				if err := ordo.Sleep(ctx, "nap", 30*time.Millisecond); err != nil {
					return 0, err
				}
			}
			v, err := ordo.Do(ctx, fmt.Sprintf("step-%d", i), nil, func(ctx context.Context) (int, error) {
				info, _ := ordo.StepInfoFrom(ctx)
				time.Sleep(2 * time.Millisecond) // real work takes time; lets the kill land mid-step
				if _, err := fmt.Fprintf(sideEffects, "%s %s\n", info.InstanceID, info.Key); err != nil {
					return 0, err
				}
				return n + i, nil
			})
			if err != nil {
				return 0, err
			}
			sum += v
		}
		return sum, nil
	})
}

func crashChild() error {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, os.Getenv("ORDO_CRASH_DB"), nil)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	f, err := os.OpenFile(os.Getenv("ORDO_CRASH_LOG"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	e, err := ordo.NewEngine(ordo.Config{
		Store: st, Concurrency: 16, LeaseDuration: 2 * time.Second, PollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}
	if err := e.Register(crashWorkflow(f)); err != nil {
		return err
	}
	if err := e.Start(ctx); err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return e.Stop(sctx)
}

func startCrashChild(t *testing.T, db, logPath string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ORDO_CRASH_CHILD=1", "ORDO_CRASH_DB="+db, "ORDO_CRASH_LOG="+logPath)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// completedSteps returns "instance key" for every step recorded completed.
func completedSteps(t *testing.T, st store.Store, ids []string) map[string]bool {
	t.Helper()
	done := map[string]bool{}
	for _, id := range ids {
		j, err := st.JournalLoad(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range j.Steps {
			if s.Kind == store.KindDo && s.Status == store.StepCompleted {
				done[id+" "+s.Key] = true
			}
		}
	}
	return done
}

func TestCrashRecoveryWithSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test starts worker processes")
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "ordo.db")
	logPath := filepath.Join(dir, "side-effects.log")
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Create the instances from this process (an API-only engine, not started).
	creator, err := ordo.NewEngine(ordo.Config{Store: st, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	wf := crashWorkflow(nil)
	mustRegister(t, creator, wf)
	const n = 150
	ids := make([]string, n)
	for i := range n {
		inst, err := wf.Create(ctx, creator, i, &ordo.CreateOptions{ID: fmt.Sprintf("crash-%03d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = inst.ID
	}

	child := startCrashChild(t, db, logPath)
	// Kill it once a good part of the work is recorded, but not all.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if time.Now().After(deadline) {
			_ = child.Process.Kill()
			t.Fatal("worker made no progress")
		}
		if len(completedSteps(t, st, ids)) >= n*crashSteps/3 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	before := completedSteps(t, st, ids)
	if len(before) >= n*crashSteps {
		t.Fatalf("everything finished before the kill; the test proves nothing")
	}
	t.Logf("killed with %d of %d steps recorded", len(before), n*crashSteps)

	child = startCrashChild(t, db, logPath)
	defer func() {
		_ = child.Process.Signal(syscall.SIGTERM)
		_ = child.Wait()
	}()
	deadline = time.Now().Add(90 * time.Second)
	for {
		page, err := st.InstanceList(ctx, &store.InstanceListParams{Status: store.StatusComplete, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Instances) == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d instances complete after restart", len(page.Instances), n)
		}
		time.Sleep(50 * time.Millisecond)
	}

	runs := countLines(t, logPath)
	for _, id := range ids {
		inst, err := st.InstanceGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var i int
		fmt.Sscanf(strings.TrimPrefix(id, "crash-"), "%d", &i)
		if want := fmt.Sprint(4*i + 6); string(inst.Output) != want {
			t.Errorf("%s output = %s, want %s", id, inst.Output, want)
		}
		for s := range crashSteps {
			key := fmt.Sprintf("%s step-%d#1", id, s)
			switch {
			case runs[key] == 0:
				t.Errorf("%s never ran", key)
			case before[key] && runs[key] != 1:
				t.Errorf("%s was recorded before the kill but ran %d times", key, runs[key])
			case runs[key] > 2:
				t.Errorf("%s ran %d times", key, runs[key])
			}
		}
	}
}

func countLines(t *testing.T, path string) map[string]int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if line = strings.TrimSpace(line); line != "" {
			counts[line]++
		}
		if err == io.EOF {
			return counts
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
