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
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

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
	goleak.VerifyTestMain(m)
}

const crashSteps = 4

// crashBlockAfter is how many step attempts the first worker process lets
// return (ORDO_CRASH_BLOCK_AFTER): every later attempt writes its side
// effect and then blocks until the process is killed. The kill point is
// thus fixed however fast or slow the machine: exactly this many steps are
// recorded at the kill, and the blocked ones were cut off mid-step.
const crashBlockAfter = crashInstances * crashSteps / 3

// crashInstances is how many instances the crash test runs.
const crashInstances = 150

// crashWorkflow appends "instance key" to a log before each step returns:
// the side effect the test counts. After blockAfter attempts (if > 0),
// each further attempt blocks for good once its side effect is written.
func crashWorkflow(sideEffects *os.File, blockAfter int64) *ordo.Workflow[int, int] {
	var attempts atomic.Int64
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
				if _, err := fmt.Fprintf(sideEffects, "%s %s\n", info.InstanceID, info.Key); err != nil {
					return 0, err
				}
				if blockAfter > 0 && attempts.Add(1) > blockAfter {
					select {} // mid-step until SIGKILL
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
	var blockAfter int64
	if v := os.Getenv("ORDO_CRASH_BLOCK_AFTER"); v != "" {
		if blockAfter, err = strconv.ParseInt(v, 10, 64); err != nil {
			return fmt.Errorf("ORDO_CRASH_BLOCK_AFTER: %w", err)
		}
	}
	if err := e.Register(crashWorkflow(f, blockAfter)); err != nil {
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

// startCrashChild starts a worker process; blockAfter > 0 makes its step
// attempts past that count block until it is killed.
func startCrashChild(t *testing.T, db, logPath string, blockAfter int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "ORDO_CRASH_CHILD=1", "ORDO_CRASH_DB="+db, "ORDO_CRASH_LOG="+logPath,
		"ORDO_CRASH_BLOCK_AFTER="+strconv.Itoa(blockAfter))
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
	stopOnCleanup(t, creator)
	wf := crashWorkflow(nil, 0)
	mustRegister(t, creator, wf)
	const n = crashInstances
	ids := make([]string, n)
	for i := range n {
		inst, err := wf.Create(ctx, creator, i, &ordo.CreateOptions{ID: fmt.Sprintf("crash-%03d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = inst.ID
	}

	child := startCrashChild(t, db, logPath, crashBlockAfter)
	// Kill it once the first crashBlockAfter steps are recorded and at
	// least one later step is blocked after its side effect: nothing more
	// can happen in that process, so the kill point does not depend on
	// how fast it ran.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if time.Now().After(deadline) {
			_ = child.Process.Kill()
			t.Fatalf("the worker did not reach the kill point: %d steps recorded, %d side effects, want %d and more",
				len(completedSteps(t, st, ids)), sumLines(countLines(t, logPath)), crashBlockAfter)
		}
		if len(completedSteps(t, st, ids)) >= crashBlockAfter && sumLines(countLines(t, logPath)) > crashBlockAfter {
			break
		}
		time.Sleep(20 * time.Millisecond) // polling another process's progress
	}
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = child.Wait()
	before := completedSteps(t, st, ids)
	if len(before) != crashBlockAfter {
		t.Fatalf("%d steps recorded at the kill, want exactly %d (the others block)", len(before), crashBlockAfter)
	}
	cutOff := sumLines(countLines(t, logPath)) - len(before)
	t.Logf("killed with %d of %d steps recorded and %d cut off mid-step", len(before), n*crashSteps, cutOff)

	child = startCrashChild(t, db, logPath, 0)
	defer func() {
		_ = child.Process.Signal(syscall.SIGTERM)
		_ = child.Wait()
	}()
	deadline = time.Now().Add(3 * time.Minute)
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
		time.Sleep(50 * time.Millisecond) // polling another process's progress
	}

	runs := countLines(t, logPath)
	twice := 0
	for _, id := range ids {
		inst, err := st.InstanceGet(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var i int
		if _, err := fmt.Sscanf(strings.TrimPrefix(id, "crash-"), "%d", &i); err != nil {
			t.Fatalf("instance id %q: %v", id, err)
		}
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
			case runs[key] == 2:
				twice++
			}
		}
	}
	if twice != cutOff {
		t.Errorf("%d steps ran twice, want the %d cut off mid-step by the kill", twice, cutOff)
	}
}

// sumLines returns the number of lines countLines counted.
func sumLines(counts map[string]int) int {
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
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
