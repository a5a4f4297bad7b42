package pgtest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BinDir is where Debian's postgresql-15 package installs the server
// programs (initdb, pg_ctl, postgres).
const BinDir = "/usr/lib/postgresql/15/bin"

// Cluster is a throwaway PostgreSQL server a test starts for itself, on a
// free loopback port, with its data under a temporary directory: a test
// may stop and restart it without disturbing the shared server.
type Cluster struct {
	t    testing.TB
	dir  string // owned by the server's user
	port int
	// URL connects to the cluster's postgres database as user postgres.
	URL string
}

// StartCluster initialises and starts a cluster (initdb, pg_ctl start),
// stopped and removed when the test ends. It skips the test when the
// server programs are missing (CI installs them). Running as root, the
// programs run as the postgres OS user (initdb refuses root).
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	for _, prog := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(BinDir, prog)); err != nil {
			t.Skipf("PostgreSQL server programs not found in %s (install postgresql-15): %v", BinDir, err)
		}
	}
	// Not t.TempDir: the server runs as the postgres user, who cannot enter the
	// test's private (0700, root-owned) temporary directory.
	dir, err := os.MkdirTemp("", "ordo-pgcluster-") //nolint:usetesting // see above
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("running as root without a postgres OS user to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	c := &Cluster{t: t, dir: dir, port: freePort(t)}
	c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.port)
	c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8")
	c.Start()
	t.Cleanup(func() { c.Stop("immediate") })
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c max_connections=60", c.port, c.dir)
	c.run("pg_ctl", "-D", c.data(), "-o", opts, "-l", filepath.Join(c.dir, "server.log"), "-w", "-t", "60", "start")
}

// Stop stops the server with the given shutdown mode: "fast" (clean) or
// "immediate" (like a crash: recovery runs at the next start). Stopping a
// stopped server does nothing.
func (c *Cluster) Stop(mode string) {
	c.t.Helper()
	cmd := c.command("pg_ctl", "-D", c.data(), "-m", mode, "-w", "stop")
	_ = cmd.Run() // "no server running" is fine
}

// Log returns the server's log so far.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	return string(b)
}

func (c *Cluster) command(prog string, args ...string) *exec.Cmd {
	path := filepath.Join(BinDir, prog)
	if os.Geteuid() == 0 {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (c *Cluster) run(prog string, args ...string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := c.command(prog, args...)
	cmd = exec.CommandContext(ctx, cmd.Path, cmd.Args[1:]...)
	cmd.Dir = c.dir
	if out, err := cmd.CombinedOutput(); err != nil {
		c.t.Fatalf("pgtest: %s %s: %v\n%s\n%s", prog, strings.Join(args, " "), err, out, c.Log())
	}
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
