package order

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/mesh"
)

// Sizes of the pictures GET /v1/orders/{id}/files/{name}/preview.png
// draws, in pixels (square).
const (
	DefaultPreviewSize = 256
	MinPreviewSize     = 64
	MaxPreviewSize     = 1024
)

// PreviewMaxTriangles is the most triangles a preview draws: the default
// budget of an item's mesh (DefaultMaxTrianglesPerItem), so every file of a
// service with default limits has a preview. A bigger file is answered 422
// file_too_large; it can still be downloaded.
const PreviewMaxTriangles = mesh.DefaultMaxTriangles

// CodeFileTooLarge (422): a production file has more triangles (or bytes)
// than a preview draws (PreviewMaxTriangles).
const CodeFileTooLarge = "file_too_large"

// previewSlots bounds the previews drawn at once in the process: each
// holds up to 72 MB of triangles at PreviewMaxTriangles and uses a core
// for about a second. A request waits for a slot while its context lasts.
var previewSlots = make(chan struct{}, 2)

// previewVersion names the renderer in the ETag: change it when the
// pictures change, so browsers fetch them again.
const previewVersion = "r1"

// ErrFileTooLarge is wrapped by the error of a preview of a file with
// more triangles, or more bytes, than a preview draws
// (PreviewMaxTriangles). The API answers it 422 file_too_large.
var ErrFileTooLarge = errors.New("file too large to preview")

// PreviewQueryError reports a preview query parameter (size, background)
// that is not one the preview accepts. It wraps ordo.ErrInvalidArgument;
// the API answers it 400 invalid_argument with the field in details.
type PreviewQueryError struct {
	// Field is the query parameter: "size" or "background".
	Field string
	// Message says what is accepted and what was given.
	Message string
}

// Error returns the message.
func (e *PreviewQueryError) Error() string { return e.Message }

// Unwrap returns ordo.ErrInvalidArgument.
func (e *PreviewQueryError) Unwrap() error { return ordo.ErrInvalidArgument }

// previewRequest is what the query of a preview asks for.
type previewRequest struct {
	size        int
	transparent bool
}

// parsePreviewRequest reads ?size= (64..1024, default 256) and
// ?background= (light, the default, or transparent); anything else is a
// *PreviewQueryError.
func parsePreviewRequest(r *http.Request) (previewRequest, error) {
	q := r.URL.Query()
	p := previewRequest{size: DefaultPreviewSize}
	if v := q.Get("size"); v != "" || q.Has("size") {
		n, err := strconv.Atoi(v)
		if err != nil || n < MinPreviewSize || n > MaxPreviewSize {
			return p, &PreviewQueryError{Field: "size",
				Message: fmt.Sprintf("size must be an integer between %d and %d (pixels), got %.40q", MinPreviewSize, MaxPreviewSize, v)}
		}
		p.size = n
	}
	switch v := q.Get("background"); strings.ToLower(v) {
	case "", "light":
	case "transparent":
		p.transparent = true
	default:
		return p, &PreviewQueryError{Field: "background", Message: fmt.Sprintf("background must be light or transparent, got %.40q", v)}
	}
	return p, nil
}

// etag is the preview's entity tag: the file's content (its SHA-256), the
// picture asked for and the renderer.
func (p previewRequest) etag(f *File) string {
	bg := "light"
	if p.transparent {
		bg = "transparent"
	}
	return strconv.Quote(fmt.Sprintf("%s-%d-%s-%s", f.SHA256, p.size, bg, previewVersion))
}

// previewFileBytes is the largest file a preview reads in the given
// format: the size of a file of PreviewMaxTriangles triangles (and as many
// vertices) in its largest encoding, ASCII STL for "stl".
func previewFileBytes(format string) int64 {
	e := mesh.Estimate{Triangles: PreviewMaxTriangles, Vertices: PreviewMaxTriangles}
	if format == "obj" {
		return e.FileSize(mesh.FormatOBJ)
	}
	return e.FileSize(mesh.FormatSTLASCII)
}

// handlePreviewFile answers GET /v1/orders/{id}/files/{name}/preview.png
// with ServePreview, its errors as the API's.
func (s *Service) handlePreviewFile(w http.ResponseWriter, r *http.Request) error {
	err := s.ServePreview(w, r, r.PathValue("id"), r.PathValue("name"))
	if qe, ok := errors.AsType[*PreviewQueryError](err); ok {
		return api.BadRequest(api.CodeInvalidArgument, qe.Message, []FieldProblem{{Field: qe.Field, Message: qe.Message}})
	}
	if errors.Is(err, ErrFileTooLarge) {
		return api.Errorf(http.StatusUnprocessableEntity, CodeFileTooLarge, "%s", err.Error())
	}
	return err
}

// ServePreview answers r with a PNG picture of the production file name of
// order orderID, drawn from the file as stored by mesh.RenderFilePNG: the
// API's GET /v1/orders/{id}/files/{name}/preview.png, and the dashboard's
// route for a signed-in browser. The query's size (64..1024 pixels, square,
// default 256) and background (light, the default, or transparent) choose
// the picture. It writes nothing when it returns an error:
//
//   - a *PreviewQueryError (wrapping ordo.ErrInvalidArgument) for another
//     size or background;
//   - an error wrapping ordo.ErrNotFound for an unknown order or file;
//   - an error wrapping ErrFileTooLarge for a file over
//     PreviewMaxTriangles (a binary STL from its header, before its
//     triangles are read; any file larger than one of that many triangles
//     can be, without opening it);
//   - the request's context error while it waits for one of the two
//     previews drawn at once in the process, and other errors (storage, a
//     file that does not parse) as they are.
//
// The picture depends only on the file's content and the query, so the
// ETag carries the file's SHA-256 and a request with a matching
// If-None-Match is answered 304 without reading the file; Cache-Control
// asks browsers to check again each time, since a restart that changes an
// order's parameters can store other content under the same name.
func (s *Service) ServePreview(w http.ResponseWriter, r *http.Request, orderID, name string) error {
	p, err := parsePreviewRequest(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	f, err := s.fileRecord(ctx, orderID, name)
	if err != nil {
		return err
	}
	format, err := mesh.ParseFormat(f.Format)
	if err != nil {
		return fmt.Errorf("file %q of order %q: %w", name, orderID, err)
	}
	etag := p.etag(f)
	h := w.Header()
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		h.Set("ETag", etag)
		h.Set("Cache-Control", "private, no-cache")
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	if limit := previewFileBytes(f.Format); f.Size > limit {
		return fmt.Errorf("%w: file %q is %d bytes, more than the %d a preview reads (at most %d triangles); download it instead",
			ErrFileTooLarge, name, f.Size, limit, PreviewMaxTriangles)
	}
	select {
	case previewSlots <- struct{}{}:
		defer func() { <-previewSlots }()
	case <-ctx.Done():
		return ctx.Err()
	}
	rc, err := s.openFile(ctx, fileKey(orderID, name))
	if err != nil {
		return fmt.Errorf("open file %q of order %q: %w", name, orderID, err)
	}
	defer rc.Close()
	var pic bytes.Buffer
	// The record's size bounds what is read even if the stored file grew.
	src := io.LimitReader(rc, f.Size)
	opts := &mesh.RenderOptions{Width: p.size, Height: p.size, Transparent: p.transparent, MaxTriangles: PreviewMaxTriangles}
	if err := mesh.RenderFilePNG(&pic, src, format, opts); err != nil {
		if errors.Is(err, mesh.ErrOverBudget) {
			return fmt.Errorf("%w: file %q: %w; download it instead", ErrFileTooLarge, name, err)
		}
		return fmt.Errorf("preview of file %q of order %q: %w", name, orderID, err)
	}
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Content-Type", "image/png")
	h.Set("Content-Length", strconv.Itoa(pic.Len()))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = pic.WriteTo(w) // the status is sent; a failed write shows as a short body
	}
	return nil
}

// etagMatches reports whether an If-None-Match header lists etag (or is *).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}
