package artifact_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/artifact/artifacttest"
)

func newFS(t *testing.T) *artifact.FS {
	t.Helper()
	s, err := artifact.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestFSConformance(t *testing.T) {
	artifacttest.Run(t, func(t *testing.T) artifact.Store { return newFS(t) })
}

func TestFSLayoutAndClock(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	at := time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC)
	s, err := artifact.NewFSConfig(artifact.FSConfig{Dir: dir, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	inf, err := s.Put(context.Background(), "orders/ord-1/item-0.obj", strings.NewReader("v 0 0 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !inf.CreatedAt.Equal(at) {
		t.Errorf("CreatedAt = %v, want %v from the clock", inf.CreatedAt, at)
	}
	b, err := os.ReadFile(filepath.Join(dir, "orders", "ord-1", "item-0.obj"))
	if err != nil || string(b) != "v 0 0 0\n" {
		t.Errorf("file on disk: %q, %v", b, err)
	}
	tmp, _ := os.ReadDir(filepath.Join(dir, ".tmp"))
	if len(tmp) != 0 {
		t.Errorf("%d temporary files left", len(tmp))
	}
}

// A sidecar that does not match its file (lost in a crash, or the file
// replaced behind the store's back) is rebuilt from the content.
func TestFSStaleSidecar(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := artifact.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if _, err := s.Put(ctx, "x.stl", strings.NewReader("one")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x.stl"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	inf, err := s.Stat(ctx, "x.stl")
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256([]byte("changed"))
	if inf.Size != 7 || inf.SHA256 != hex.EncodeToString(want[:]) {
		t.Errorf("Stat after external change = %+v", inf)
	}
	if err := os.Remove(filepath.Join(dir, ".meta", "x.stl.json")); err != nil {
		t.Fatal(err)
	}
	again, err := s.Stat(ctx, "x.stl")
	if err != nil || again.SHA256 != inf.SHA256 {
		t.Errorf("Stat without sidecar = %+v, %v", again, err)
	}
}

// Symbolic links cannot lead out of the store's directory.
func TestFSSymlinkEscape(t *testing.T) {
	t.Parallel()
	dir, outside := t.TempDir(), t.TempDir()
	s, err := artifact.NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := os.Symlink(outside, filepath.Join(dir, "link")); err != nil {
		t.Skip("no symlinks:", err)
	}
	if _, err := s.Put(context.Background(), "link/evil.stl", strings.NewReader("x")); err == nil {
		t.Error("Put through a symlink out of the store succeeded")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("file written outside the store: %v", entries)
	}
}
