package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestREADMEShowsThisProgram: the README's "Five minutes in Go" is this
// file, so what a newcomer copies is what TestRun runs.
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	program, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Five minutes in Go\n")
	if !ok {
		t.Fatal(`README has no "## Five minutes in Go" section`)
	}
	_, block, ok := strings.Cut(section, "```go\n")
	block, _, closed := strings.Cut(block, "\n```\n")
	if !ok || !closed {
		t.Fatal("the section has no ```go block")
	}
	if block+"\n" != string(program) {
		t.Errorf("README's Five minutes in Go differs from examples/fiveminutes/main.go; copy the file into the README")
	}
}

// TestRun runs the program on a database in a temporary directory and
// reads what it prints: the instance is created, charged, refunded when
// the ship step fails, and ends errored.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := captureStdout(t, func() {
		if err := run(ctx, filepath.Join(t.TempDir(), "ordo.db")); err != nil {
			t.Error(err)
		}
	})
	want := []string{
		`^created instance \S+ of checkout$`,
		`^sent order.packed$`,
		`^charged cart 123 as ch_\S+/charge#1$`,
		`^refunded ch_\S+/charge#1$`,
		`^instance \S+ ended errored$`,
		`^error: step "ship" failed after 1 attempt\(s\): no carrier$`,
		`^  step grace period +completed$`,
		`^  step charge +completed, compensation completed$`,
		`^  step packed +completed$`,
		`^  step ship +failed$`,
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("the program printed %d lines, want %d:\n%s", len(lines), len(want), out)
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d = %q, want %s\n%s", i+1, lines[i], re, out)
		}
	}
}

// captureStdout runs f with os.Stdout writing to a pipe and returns what
// was written.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	done := make(chan []byte)
	go func() {
		var buf bytes.Buffer
		_, _ = io.Copy(&buf, r)
		done <- buf.Bytes()
	}()
	defer func() { os.Stdout = saved }()
	f()
	os.Stdout = saved
	w.Close()
	out := <-done
	r.Close()
	return string(out)
}
