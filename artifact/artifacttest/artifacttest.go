// Package artifacttest is the conformance suite for artifact.Store
// implementations: every store runs it, so they all behave alike.
package artifacttest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/ordohq/ordo/artifact"
)

// Run tests the Store that newStore returns; each subtest gets a new, empty
// store.
func Run(t *testing.T, newStore func(t *testing.T) artifact.Store) {
	ctx := context.Background()
	sum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

	t.Run("PutOpenStat", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		data := []byte("solid x\nendsolid x\n")
		inf, err := s.Put(ctx, "orders/ord-1/item-0.stl", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		want := artifact.Info{Name: "orders/ord-1/item-0.stl", Size: int64(len(data)), SHA256: sum(data), ContentType: "model/stl"}
		check := func(what string, got *artifact.Info) {
			t.Helper()
			if got.Name != want.Name || got.Size != want.Size || got.SHA256 != want.SHA256 || got.ContentType != want.ContentType {
				t.Errorf("%s: got %+v, want %+v", what, *got, want)
			}
			if got.CreatedAt.IsZero() {
				t.Errorf("%s: zero CreatedAt", what)
			}
		}
		check("Put", inf)
		st, err := s.Stat(ctx, want.Name)
		if err != nil {
			t.Fatal(err)
		}
		check("Stat", st)
		if !st.CreatedAt.Equal(inf.CreatedAt) {
			t.Errorf("Stat CreatedAt %v, Put said %v", st.CreatedAt, inf.CreatedAt)
		}
		rc, oi, err := s.Open(ctx, want.Name)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		check("Open", oi)
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("Open content %q, %v; want %q", got, err, data)
		}
	})

	t.Run("Replace", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, c := range []string{"first version, longer", "second"} {
			if _, err := s.Put(ctx, "a/b.obj", strings.NewReader(c)); err != nil {
				t.Fatal(err)
			}
		}
		inf, err := s.Stat(ctx, "a/b.obj")
		if err != nil || inf.Size != 6 || inf.SHA256 != sum([]byte("second")) {
			t.Fatalf("after replace: %+v, %v", inf, err)
		}
		list, err := s.List(ctx, "")
		if err != nil || len(list) != 1 {
			t.Fatalf("List after replace: %d items, %v", len(list), err)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if _, err := s.Put(ctx, "dir/x.png", strings.NewReader("p")); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"missing.stl", "dir", "dir/y.png"} {
			if _, err := s.Stat(ctx, name); !errors.Is(err, artifact.ErrNotFound) {
				t.Errorf("Stat(%q) = %v, want ErrNotFound", name, err)
			}
			if _, _, err := s.Open(ctx, name); !errors.Is(err, artifact.ErrNotFound) {
				t.Errorf("Open(%q) = %v, want ErrNotFound", name, err)
			}
			if err := s.Delete(ctx, name); !errors.Is(err, artifact.ErrNotFound) {
				t.Errorf("Delete(%q) = %v, want ErrNotFound", name, err)
			}
		}
	})

	t.Run("InvalidNames", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, name := range []string{"", "/etc/passwd", "../escape.stl", "a/../../b", "a//b", "./a", "a/./b",
			`a\b`, ".hidden", "a/.meta/x", "a/", "nul\x00.stl", "line\nbreak"} {
			if _, err := s.Put(ctx, name, strings.NewReader("x")); !errors.Is(err, artifact.ErrInvalidName) {
				t.Errorf("Put(%q) = %v, want ErrInvalidName", name, err)
			}
			if _, err := s.Stat(ctx, name); !errors.Is(err, artifact.ErrInvalidName) {
				t.Errorf("Stat(%q) = %v, want ErrInvalidName", name, err)
			}
		}
		if list, err := s.List(ctx, ""); err != nil || len(list) != 0 {
			t.Errorf("List after rejected puts: %d items, %v", len(list), err)
		}
	})

	t.Run("ListPrefixSorted", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		names := []string{"orders/ord-2/item-0.stl", "orders/ord-1/item-1.png", "orders/ord-1/item-0.stl", "orders/ord-10/a.obj", "other.txt"}
		for _, n := range names {
			if _, err := s.Put(ctx, n, strings.NewReader(n)); err != nil {
				t.Fatal(err)
			}
		}
		for prefix, want := range map[string][]string{
			"":              {"orders/ord-1/item-0.stl", "orders/ord-1/item-1.png", "orders/ord-10/a.obj", "orders/ord-2/item-0.stl", "other.txt"},
			"orders/ord-1/": {"orders/ord-1/item-0.stl", "orders/ord-1/item-1.png"},
			"orders/ord-1":  {"orders/ord-1/item-0.stl", "orders/ord-1/item-1.png", "orders/ord-10/a.obj"},
			"o":             {"orders/ord-1/item-0.stl", "orders/ord-1/item-1.png", "orders/ord-10/a.obj", "orders/ord-2/item-0.stl", "other.txt"},
			"nothing/":      nil,
		} {
			list, err := s.List(ctx, prefix)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, inf := range list {
				got = append(got, inf.Name)
				if inf.SHA256 != sum([]byte(inf.Name)) {
					t.Errorf("List(%q): %s has sha256 %s", prefix, inf.Name, inf.SHA256)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("List(%q) = %v, want %v", prefix, got, want)
			}
		}
	})

	t.Run("DeleteAll", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, n := range []string{"orders/ord-1/a.stl", "orders/ord-1/b/c.png", "orders/ord-10/a.stl", "orders/ord-2/a.stl"} {
			if _, err := s.Put(ctx, n, strings.NewReader(n)); err != nil {
				t.Fatal(err)
			}
		}
		n, err := artifact.DeleteAll(ctx, s, "orders/ord-1/")
		if err != nil || n != 2 {
			t.Fatalf("DeleteAll = %d, %v; want 2", n, err)
		}
		list, err := s.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, inf := range list {
			got = append(got, inf.Name)
		}
		if want := []string{"orders/ord-10/a.stl", "orders/ord-2/a.stl"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after DeleteAll: %v, want %v", got, want)
		}
		if n, err := artifact.DeleteAll(ctx, s, "orders/ord-1/"); err != nil || n != 0 {
			t.Errorf("DeleteAll again = %d, %v; want 0", n, err)
		}
		if _, err := artifact.DeleteAll(ctx, s, ""); !errors.Is(err, artifact.ErrInvalidName) {
			t.Errorf("DeleteAll of everything: %v; want ErrInvalidName", err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		for _, n := range []string{"o/1/a.stl", "o/1/b.stl"} {
			if _, err := s.Put(ctx, n, strings.NewReader(n)); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Delete(ctx, "o/1/a.stl"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, "o/1/a.stl"); !errors.Is(err, artifact.ErrNotFound) {
			t.Errorf("Stat after Delete = %v", err)
		}
		if _, err := s.Stat(ctx, "o/1/b.stl"); err != nil {
			t.Errorf("sibling gone after Delete: %v", err)
		}
		if err := s.Delete(ctx, "o/1/b.stl"); err != nil {
			t.Fatal(err)
		}
		// The name can be reused, even as a prefix of a former directory.
		if _, err := s.Put(ctx, "o/1", strings.NewReader("now a file")); err != nil {
			t.Errorf("Put where an emptied directory was: %v", err)
		}
	})

	t.Run("FailedPutLeavesNothing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if _, err := s.Put(ctx, "keep.stl", strings.NewReader("old")); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		if _, err := s.Put(ctx, "keep.stl", io.MultiReader(strings.NewReader("partial new"), errReader{boom})); !errors.Is(err, boom) {
			t.Fatalf("Put with failing reader = %v, want %v", err, boom)
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := s.Put(cctx, "new.stl", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put with cancelled context = %v", err)
		}
		rc, _, err := s.Open(ctx, "keep.stl")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if b, _ := io.ReadAll(rc); string(b) != "old" {
			t.Errorf("content after failed Put = %q, want the old one", b)
		}
		list, _ := s.List(ctx, "")
		if len(list) != 1 {
			t.Errorf("List after failed Puts has %d items, want 1", len(list))
		}
	})

	t.Run("StreamLarge", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		// Longer than the stores' chunks and buffers, and not a multiple of
		// them, written in odd pieces.
		data := make([]byte, 3<<20+17)
		for i := range data {
			data[i] = byte(i*7 + i>>11)
		}
		inf, err := artifact.Write(ctx, s, "big/part.stl", func(w io.Writer) error {
			for rest := data; len(rest) > 0; {
				n := min(len(rest), 100_003)
				if _, err := w.Write(rest[:n]); err != nil {
					return err
				}
				rest = rest[n:]
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if inf.Size != int64(len(data)) || inf.SHA256 != sum(data) {
			t.Errorf("Write: %+v, want %d bytes with sha256 %s", inf, len(data), sum(data))
		}
		rc, oi, err := s.Open(ctx, "big/part.stl")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		got, err := io.ReadAll(rc)
		if err != nil || !bytes.Equal(got, data) || oi.Size != inf.Size {
			t.Errorf("read back %d bytes (%v), Open says %d; want %d", len(got), err, oi.Size, len(data))
		}
		if _, err := s.Put(ctx, "empty.obj", strings.NewReader("")); err != nil {
			t.Fatal(err)
		}
		rc, oi, err = s.Open(ctx, "empty.obj")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if b, err := io.ReadAll(rc); err != nil || len(b) != 0 || oi.Size != 0 || oi.SHA256 != sum(nil) {
			t.Errorf("empty artifact: %q, %v, %+v", b, err, oi)
		}
	})

	t.Run("WriteFailureStoresNothing", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		if _, err := s.Put(ctx, "o/keep.stl", strings.NewReader("old")); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("mesh check failed")
		for _, name := range []string{"o/keep.stl", "o/new.stl"} {
			_, err := artifact.Write(ctx, s, name, func(w io.Writer) error {
				if _, err := w.Write(bytes.Repeat([]byte("x"), 2<<20)); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Errorf("Write(%s) with a failing writer = %v, want %v", name, err, boom)
			}
		}
		if _, err := s.Stat(ctx, "o/new.stl"); !errors.Is(err, artifact.ErrNotFound) {
			t.Errorf("Stat after a failed Write = %v, want ErrNotFound", err)
		}
		if inf, err := s.Stat(ctx, "o/keep.stl"); err != nil || inf.Size != 3 {
			t.Errorf("the replaced artifact after a failed Write: %+v, %v; want the old 3 bytes", inf, err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				data := bytes.Repeat([]byte{byte('a' + i)}, 1<<16)
				if _, err := s.Put(ctx, "same.stl", bytes.NewReader(data)); err != nil {
					t.Error(err)
				}
				if _, err := s.Put(ctx, fmt.Sprintf("own/%d.stl", i), bytes.NewReader(data)); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		rc, inf, err := s.Open(ctx, "same.stl")
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		if len(b) != 1<<16 || bytes.Count(b, b[:1]) != len(b) || inf.SHA256 != sum(b) {
			t.Errorf("concurrent Puts left mixed content or a stale hash (%d bytes)", len(b))
		}
		if list, _ := s.List(ctx, "own/"); len(list) != 8 {
			t.Errorf("List(own/) has %d items, want 8", len(list))
		}
	})
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
