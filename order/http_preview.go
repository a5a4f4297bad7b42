package order

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

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

// previewRequest is what the query of a preview asks for.
type previewRequest struct {
	size        int
	transparent bool
}

// parsePreviewRequest reads ?size= (64..1024, default 256) and
// ?background= (light, the default, or transparent), answering 400
// invalid_argument naming the field otherwise.
func parsePreviewRequest(r *http.Request) (previewRequest, error) {
	q := r.URL.Query()
	p := previewRequest{size: DefaultPreviewSize}
	if v := q.Get("size"); v != "" || q.Has("size") {
		n, err := strconv.Atoi(v)
		if err != nil || n < MinPreviewSize || n > MaxPreviewSize {
			msg := fmt.Sprintf("size must be an integer between %d and %d (pixels), got %.40q", MinPreviewSize, MaxPreviewSize, v)
			return p, api.BadRequest(api.CodeInvalidArgument, msg, []FieldProblem{{Field: "size", Message: msg}})
		}
		p.size = n
	}
	switch v := q.Get("background"); strings.ToLower(v) {
	case "", "light":
	case "transparent":
		p.transparent = true
	default:
		msg := fmt.Sprintf("background must be light or transparent, got %.40q", v)
		return p, api.BadRequest(api.CodeInvalidArgument, msg, []FieldProblem{{Field: "background", Message: msg}})
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

// handlePreviewFile draws a production file as a PNG from the file stored
// (GET /v1/orders/{id}/files/{name}/preview.png). The picture depends only
// on the file's content and the query, so the ETag carries the file's
// SHA-256 and a request with a matching If-None-Match is answered 304
// without reading the file; Cache-Control asks browsers to check again
// each time, since a restart that changes an order's parameters can store
// other content under the same name.
func (s *Service) handlePreviewFile(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePreviewRequest(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	orderID, name := r.PathValue("id"), r.PathValue("name")
	f, err := s.fileRecord(ctx, orderID, name)
	if err != nil {
		return err
	}
	format, err := mesh.ParseFormat(f.Format)
	if err != nil {
		return api.Errorf(http.StatusUnprocessableEntity, api.CodeInvalidArgument, "file %q has format %q, which has no preview", name, f.Format)
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
		return api.Errorf(http.StatusUnprocessableEntity, CodeFileTooLarge,
			"file %q is %d bytes, more than the %d a preview reads (at most %d triangles); download it instead", name, f.Size, limit, PreviewMaxTriangles)
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
			return api.Errorf(http.StatusUnprocessableEntity, CodeFileTooLarge, "file %q: %v; download it instead", name, err)
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
