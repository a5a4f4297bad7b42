package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// runMainEnv makes the test binary run the ordo command instead of the
// tests, so a test can start `ordo serve` as a real process (and kill it)
// without building the binary separately.
const runMainEnv = "ORDO_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		installBulkHold()
		installStepLog()
		main()
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// serveProcess is `ordo serve` running as a child process.
type serveProcess struct {
	t    *testing.T
	cmd  *exec.Cmd
	URL  string
	logs *lockedBuffer
	done chan struct{}
	err  error
}

// lockedBuffer is a bytes.Buffer safe for one writer and many readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var servingAddr = regexp.MustCompile(`msg="ordo: serving" addr=(\S+)|"msg":"ordo: serving","addr":"([^"]+)"`)

// startServe starts `ordo serve --addr 127.0.0.1:0 args...` and waits until
// it answers /healthz. The process is killed when the test ends if it still
// runs; its log is printed when the test failed.
func startServe(t *testing.T, args ...string) *serveProcess {
	t.Helper()
	return startServeEnv(t, nil, args...)
}

// startServeEnv is startServe with env (KEY=value) added to the process's
// environment.
func startServeEnv(t *testing.T, env []string, args ...string) *serveProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "info"}, args...)...)
	cmd.Env = append(append(os.Environ(), runMainEnv+"=1"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{t: t, cmd: cmd, logs: &lockedBuffer{}, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			_, _ = p.logs.Write([]byte(line + "\n")) // a buffer in memory: never fails
			if m := servingAddr.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1] + m[2]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("ordo serve log (pid %d):\n%s", cmd.Process.Pid, p.logs.String())
		}
	})
	select {
	case a := <-addr:
		p.URL = "http://" + a
	case <-p.done:
		t.Fatalf("ordo serve exited at start: %v\n%s", p.err, p.logs.String())
	case <-time.After(60 * time.Second):
		t.Fatalf("ordo serve did not report its address within 60s:\n%s", p.logs.String())
	}
	waitUntil(t, 30*time.Second, "the server answers /healthz", func() bool {
		resp, err := http.Get(p.URL + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

// kill sends SIGKILL and waits for the process to end.
func (p *serveProcess) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits for a graceful exit.
func (p *serveProcess) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(60 * time.Second):
		p.kill()
		return context.DeadlineExceeded
	}
}

// waitUntil polls cond until it holds, failing the test after timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for poll := 5 * time.Millisecond; !cond(); poll = min(2*poll, 200*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", timeout, what)
		}
		time.Sleep(poll) // polling interval, not a wait for work
	}
}
