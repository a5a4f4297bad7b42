package artifact

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

var (
	// ErrNotFound is returned by Open, Stat and Delete when no artifact
	// has the name.
	ErrNotFound = errors.New("artifact: not found")
	// ErrInvalidName is wrapped by the error every Store method returns
	// for a name that ValidateName rejects.
	ErrInvalidName = errors.New("artifact: invalid name")
)

// Info describes a stored artifact.
type Info struct {
	// Name is the artifact's name, with "/" between path elements.
	Name string `json:"name"`
	// Size is the length of the content in bytes.
	Size int64 `json:"size"`
	// SHA256 is the hex-encoded SHA-256 of the content.
	SHA256 string `json:"sha256"`
	// ContentType is the media type, from the name's extension (see
	// ContentType).
	ContentType string `json:"content_type"`
	// CreatedAt is when the content was stored.
	CreatedAt time.Time `json:"created_at"`
}

// Store keeps artifacts by name. Implementations are safe for concurrent
// use. Put replaces an existing artifact of the same name as a whole:
// readers see the old or the new content, never a mix or a partial file.
type Store interface {
	// Put stores the content read from r under name and returns its Info.
	Put(ctx context.Context, name string, r io.Reader) (*Info, error)
	// Open returns the content and Info of the named artifact, or an
	// error wrapping ErrNotFound. The caller closes the reader.
	Open(ctx context.Context, name string) (io.ReadCloser, *Info, error)
	// Stat returns the Info of the named artifact, or an error wrapping
	// ErrNotFound.
	Stat(ctx context.Context, name string) (*Info, error)
	// List returns the artifacts whose names start with prefix, sorted by
	// name. An empty prefix lists everything.
	List(ctx context.Context, prefix string) ([]*Info, error)
	// Delete removes the named artifact, or returns an error wrapping
	// ErrNotFound.
	Delete(ctx context.Context, name string) error
}

// MaxNameLen is the longest name, in bytes, that ValidateName accepts.
const MaxNameLen = 1024

// ValidateName checks that name can be stored in every Store: a relative
// slash-separated path such as "orders/ord-1/item-0.stl" of printable
// characters, without empty, "." or ".." elements, without elements that
// start with "." (reserved for the stores' own files) and without
// backslashes. The error wraps ErrInvalidName.
func ValidateName(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w %q: %s", ErrInvalidName, name, why) }
	switch {
	case name == "":
		return bad("empty")
	case len(name) > MaxNameLen:
		return bad(fmt.Sprintf("longer than %d bytes", MaxNameLen))
	case !utf8.ValidString(name):
		return bad("not valid UTF-8")
	case strings.ContainsRune(name, '\\'):
		return bad("contains a backslash; use / between elements")
	case strings.HasPrefix(name, "/"):
		return bad("absolute; names are relative to the store")
	}
	for _, r := range name {
		if !unicode.IsPrint(r) && r != ' ' {
			return bad(fmt.Sprintf("contains the unprintable character U+%04X", r))
		}
	}
	for _, el := range strings.Split(name, "/") {
		switch {
		case el == "":
			return bad("has an empty path element")
		case el == "." || el == "..":
			return bad("has a . or .. element")
		case strings.HasPrefix(el, "."):
			return bad("has an element starting with a dot")
		}
	}
	if !fs.ValidPath(name) {
		return bad("not a valid path")
	}
	return nil
}

// ContentType returns the media type for name's extension: model/stl,
// model/obj and image/png for production files and previews, otherwise
// what the mime package knows, or application/octet-stream.
func ContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	switch ext {
	case ".stl":
		return "model/stl"
	case ".obj":
		return "model/obj"
	case ".png":
		return "image/png"
	case ".json":
		return "application/json"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}
