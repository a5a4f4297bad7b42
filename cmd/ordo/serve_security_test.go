package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// testKey is a bootstrap key long enough for ORDO_API_KEY.
const testKey = "ordo_bootstrap-key-for-tests-0123456789abcdef"

func TestServeRefusesPublicAddressWithoutKeys(t *testing.T) {
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "serve", "--addr", "0.0.0.0:0", "--data-dir", t.TempDir())
	cmd.Env = append(withoutEnv("ORDO_API_KEY"), runMainEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("ordo serve --addr 0.0.0.0:0 without keys started:\n%s", out)
	}
	if ctx.Err() != nil {
		t.Fatalf("ordo serve did not exit: %s", out)
	}
	for _, want := range []string{"refusing to serve", "ordo keys create", "ORDO_API_KEY", "--insecure-no-auth"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the refusal does not mention %q:\n%s", want, out)
		}
	}
}

func TestServeInsecureNoAuthWarns(t *testing.T) {
	t.Parallel()
	p := startServe(t, "--addr", "0.0.0.0:0", "--data-dir", t.TempDir(), "--insecure-no-auth")
	if !strings.Contains(p.logs.String(), "WITHOUT authentication") {
		t.Errorf("no warning in the start log:\n%s", p.logs.String())
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(p.URL, "http://"))
	resp, err := http.Get("http://127.0.0.1:" + port + "/v1/instances")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/instances on an open server: %d", resp.StatusCode)
	}
}

func TestServeWithBootstrapKey(t *testing.T) {
	t.Setenv("ORDO_API_KEY", testKey)
	p := startServe(t, "--data-dir", t.TempDir())
	get := func(key string) int {
		req, _ := http.NewRequest(http.MethodGet, p.URL+"/v1/instances", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := get(""); got != http.StatusUnauthorized {
		t.Errorf("without a key: %d, want 401", got)
	}
	if got := get(testKey + "x"); got != http.StatusUnauthorized {
		t.Errorf("with a wrong key: %d, want 401", got)
	}
	if got := get(testKey); got != http.StatusOK {
		t.Errorf("with the bootstrap key: %d, want 200", got)
	}
	if !strings.Contains(p.logs.String(), "API keys required") {
		t.Errorf("the start log does not say keys are required:\n%s", p.logs.String())
	}
}

func TestServeCutsSlowClients(t *testing.T) {
	t.Parallel()
	p := startServe(t, "--data-dir", t.TempDir(), "--read-timeout", "1s", "--idle-timeout", "1s")
	addr := strings.TrimPrefix(p.URL, "http://")
	// A body sent one byte at a time, never finished: the server must
	// close the connection once --read-timeout has passed.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "POST /v1/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	// Whatever the server answers, the connection must end.
	if _, err := io.Copy(io.Discard, bufio.NewReader(c)); err != nil {
		if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
			t.Fatal("the server kept a connection whose body never came")
		}
	}
	// An idle keep-alive connection is closed after --idle-timeout.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if _, err := io.WriteString(c2, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := c2.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c2)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("unexpected data on an idle connection")
	} else if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		t.Fatal("the server kept an idle keep-alive connection open past --idle-timeout")
	}
}

// withoutEnv returns the environment without the named variables.
func withoutEnv(names ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || k == n
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}
