package artifact

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// Directories inside the store's directory that hold the FS's own files.
// Artifact names cannot start with a dot, so they never collide.
const (
	metaDir = ".meta" // one JSON sidecar per artifact
	tmpDir  = ".tmp"  // files being written
)

// FSConfig configures an FS.
type FSConfig struct {
	// Dir is the directory that holds the artifacts; it is created if
	// missing. Required.
	Dir string
	// Now returns the time recorded as CreatedAt. Default time.Now.
	Now func() time.Time
}

// FS is a Store that keeps each artifact as a file under a directory, named
// as the artifact ("orders/ord-1/item-0.stl" is Dir/orders/ord-1/item-0.stl),
// with its SHA-256 and creation time in a sidecar under Dir/.meta.
//
// Put writes to a temporary file, fsyncs it, renames it into place and
// fsyncs the directory, so a crash leaves the old content or the new one.
// All access goes through an os.Root, so no name or symbolic link can reach
// outside Dir. A sidecar that does not match its file (lost in a crash, or
// from a concurrent writer in another process) is rebuilt by hashing the
// file.
type FS struct {
	root *os.Root
	now  func() time.Time
	mu   sync.Mutex // orders the rename of content and sidecar within this process
}

var _ Store = (*FS)(nil)

// NewFS returns an FS storing artifacts under dir, creating it if needed.
func NewFS(dir string) (*FS, error) { return NewFSConfig(FSConfig{Dir: dir}) }

// NewFSConfig returns an FS configured by cfg.
func NewFSConfig(cfg FSConfig) (*FS, error) {
	if cfg.Dir == "" {
		return nil, errors.New("artifact: FSConfig.Dir is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("artifact: create store directory: %w", err)
	}
	root, err := os.OpenRoot(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("artifact: open store directory: %w", err)
	}
	for _, d := range []string{metaDir, tmpDir} {
		if err := root.MkdirAll(d, 0o755); err != nil {
			root.Close()
			return nil, fmt.Errorf("artifact: create %s: %w", d, err)
		}
	}
	return &FS{root: root, now: cfg.Now}, nil
}

// Close releases the store's directory handle. The FS must not be used after.
func (s *FS) Close() error { return s.root.Close() }

// sidecar is the JSON kept in .meta for each artifact.
type sidecar struct {
	Size      int64     `json:"size"`
	SHA256    string    `json:"sha256"`
	CreatedAt time.Time `json:"created_at"`
	// ModTime is the content file's modification time when the sidecar
	// was written; a different one means the sidecar is stale.
	ModTime int64 `json:"mod_time_ns"`
}

func metaName(name string) string { return path.Join(metaDir, name+".json") }

// Put implements Store.
func (s *FS) Put(ctx context.Context, name string, r io.Reader) (*Info, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	tmp, f, err := s.createTemp()
	if err != nil {
		return nil, fmt.Errorf("artifact: put %q: %w", name, err)
	}
	defer func() { _ = s.root.Remove(tmp) }() // fails (not found) once renamed, as it should
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), &ctxReader{ctx: ctx, r: r})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("artifact: put %q: %w", name, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.root.MkdirAll(path.Dir(name), 0o755); err != nil {
		return nil, fmt.Errorf("artifact: put %q: %w", name, err)
	}
	if err := s.root.Rename(tmp, name); err != nil {
		return nil, fmt.Errorf("artifact: put %q: %w", name, err)
	}
	if err := s.syncDir(path.Dir(name)); err != nil {
		return nil, fmt.Errorf("artifact: put %q: %w", name, err)
	}
	fi, err := s.root.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("artifact: put %q: %w", name, err)
	}
	meta := sidecar{Size: n, SHA256: sum, CreatedAt: s.now().UTC(), ModTime: fi.ModTime().UnixNano()}
	if err := s.writeSidecar(name, meta); err != nil {
		return nil, fmt.Errorf("artifact: put %q: %w", name, err)
	}
	return info(name, meta), nil
}

func info(name string, m sidecar) *Info {
	return &Info{Name: name, Size: m.Size, SHA256: m.SHA256, ContentType: ContentType(name), CreatedAt: m.CreatedAt}
}

// createTemp creates a new file under .tmp with a random name.
func (s *FS) createTemp() (string, *os.File, error) {
	for range 10 {
		var b [12]byte
		rand.Read(b[:])
		name := path.Join(tmpDir, hex.EncodeToString(b[:]))
		f, err := s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, f, err
	}
	return "", nil, errors.New("cannot create a temporary file")
}

func (s *FS) writeSidecar(name string, m sidecar) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	tmp, f, err := s.createTemp()
	if err != nil {
		return err
	}
	defer func() { _ = s.root.Remove(tmp) }() // fails (not found) once renamed, as it should
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	mn := metaName(name)
	if err := s.root.MkdirAll(path.Dir(mn), 0o755); err != nil {
		return err
	}
	if err := s.root.Rename(tmp, mn); err != nil {
		return err
	}
	return s.syncDir(path.Dir(mn))
}

// syncDir fsyncs a directory so that a rename into it survives a crash.
func (s *FS) syncDir(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// Open implements Store.
func (s *FS) Open(ctx context.Context, name string) (io.ReadCloser, *Info, error) {
	if err := ValidateName(name); err != nil {
		return nil, nil, err
	}
	f, err := s.root.Open(name)
	if err != nil {
		return nil, nil, s.notFound(name, err)
	}
	fi, err := f.Stat()
	if err == nil && fi.IsDir() {
		err = fs.ErrNotExist
	}
	if err != nil {
		f.Close()
		return nil, nil, s.notFound(name, err)
	}
	inf, err := s.describe(name, fi, f)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, inf, nil
}

// Stat implements Store.
func (s *FS) Stat(ctx context.Context, name string) (*Info, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	fi, err := s.root.Stat(name)
	if err == nil && fi.IsDir() {
		err = fs.ErrNotExist
	}
	if err != nil {
		return nil, s.notFound(name, err)
	}
	return s.describe(name, fi, nil)
}

func (s *FS) notFound(name string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return fmt.Errorf("artifact: %q: %w", name, err)
}

// describe returns the Info of the artifact whose file has info fi, from its
// sidecar if that matches the file, otherwise by hashing the content (from
// open, rewound afterwards, or from a fresh handle) and rewriting the
// sidecar.
func (s *FS) describe(name string, fi fs.FileInfo, open *os.File) (*Info, error) {
	var m sidecar
	if data, err := s.root.ReadFile(metaName(name)); err == nil && json.Unmarshal(data, &m) == nil &&
		m.Size == fi.Size() && m.ModTime == fi.ModTime().UnixNano() {
		return info(name, m), nil
	}
	f := open
	if f == nil {
		var err error
		if f, err = s.root.Open(name); err != nil {
			return nil, s.notFound(name, err)
		}
		defer f.Close()
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil && open != nil {
		_, err = open.Seek(0, io.SeekStart)
	}
	if err != nil {
		return nil, fmt.Errorf("artifact: hash %q: %w", name, err)
	}
	m = sidecar{Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), CreatedAt: fi.ModTime().UTC(), ModTime: fi.ModTime().UnixNano()}
	s.mu.Lock()
	err = s.writeSidecar(name, m)
	s.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("artifact: rebuild sidecar of %q: %w", name, err)
	}
	return info(name, m), nil
}

// List implements Store.
func (s *FS) List(ctx context.Context, prefix string) ([]*Info, error) {
	var names []string
	// Start at the deepest directory the prefix names, so that listing one
	// order's files does not read the directory of every order.
	start := "."
	if i := strings.LastIndex(prefix, "/"); i > 0 && fs.ValidPath(prefix[:i]) {
		start = prefix[:i]
	}
	err := fs.WalkDir(s.root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if p == start && errors.Is(err, fs.ErrNotExist) {
			return fs.SkipAll // nothing under the prefix
		}
		if err != nil {
			return err
		}
		if p != "." && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			// Skip directories that cannot hold a match.
			if p != "." && !strings.HasPrefix(p+"/", prefix) && !strings.HasPrefix(prefix, p+"/") {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && strings.HasPrefix(p, prefix) {
			names = append(names, p)
		}
		return ctx.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("artifact: list %q: %w", prefix, err)
	}
	slices.Sort(names)
	out := make([]*Info, 0, len(names))
	for _, n := range names {
		inf, err := s.Stat(ctx, n)
		if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, inf)
	}
	return out, nil
}

// Delete implements Store. Directories left empty are removed.
func (s *FS) Delete(ctx context.Context, name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fi, err := s.root.Lstat(name)
	if err == nil && fi.IsDir() {
		err = fs.ErrNotExist
	}
	if err == nil {
		err = s.root.Remove(name)
	}
	if err != nil {
		return s.notFound(name, err)
	}
	if err := s.root.Remove(metaName(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("artifact: delete sidecar of %q: %w", name, err)
	}
	for _, base := range []string{name, metaName(name)} {
		for dir := path.Dir(base); dir != "." && dir != metaDir; dir = path.Dir(dir) {
			if s.root.Remove(dir) != nil { // fails when not empty
				break
			}
		}
	}
	// Make the removal durable in the deepest directory still there.
	for dir := path.Dir(name); ; dir = path.Dir(dir) {
		err := s.syncDir(dir)
		if err == nil || dir == "." || !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
}

// ctxReader stops a copy when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
