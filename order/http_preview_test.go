package order_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/png"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ordohq/ordo/api"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/order"
)

// getPreview sends GET path with the given If-None-Match (if not empty)
// and returns the response with its body read.
func (f *fixture) getPreview(path, ifNoneMatch string) (*http.Response, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.api.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp, body
}

// checkPicture decodes a preview and checks its size, that its middle
// shows the product and its corner the light background.
func checkPicture(t *testing.T, what string, body []byte, size int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: not a PNG: %v", what, err)
	}
	if b := img.Bounds(); b != image.Rect(0, 0, size, size) {
		t.Fatalf("%s: picture %v, want %d×%d", what, b, size, size)
	}
	corner := img.At(0, 0)
	drawn := 0
	for y := size / 4; y < 3*size/4; y++ {
		for x := size / 4; x < 3*size/4; x++ {
			if img.At(x, y) != corner {
				drawn++
			}
		}
	}
	if drawn < size*size/4/10 {
		t.Errorf("%s: only %d of the %d middle pixels show the product", what, drawn, size*size/4)
	}
	if r, g, b, a := corner.RGBA(); a != 0xffff || r < 0xe000 || g < 0xe000 || b < 0xe000 {
		t.Errorf("%s: corner %v, want the light background", what, corner)
	}
}

// TestPreviewFile: each production file of an order in every format has a
// PNG preview of the size asked for, with an ETag from the file's SHA-256
// that a repeated request turns into 304.
func TestPreviewFile(t *testing.T) {
	t.Parallel()
	f := setup(t, &setupOptions{noMailer: true})
	for _, format := range []string{"stl", "obj"} {
		f.apply("files-"+format, filesFlow(format))
		req := sampleOrder("prev-"+format, "files-"+format)
		f.create(req)
		o := f.finish(req.ID)
		if len(o.Files) != 2 {
			t.Fatalf("%s: files %+v, want 2", format, o.Files)
		}
		for _, file := range o.Files {
			url := file.URL + "/preview.png"
			resp, body := f.getPreview(url, "")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "image/png" {
				t.Errorf("GET %s: Content-Type %q", url, ct)
			}
			etag := resp.Header.Get("ETag")
			if !strings.Contains(etag, file.SHA256) || resp.Header.Get("Cache-Control") != "private, no-cache" {
				t.Errorf("GET %s: ETag %q, Cache-Control %q; want the file's sha256 %s, private, no-cache", url, etag, resp.Header.Get("Cache-Control"), file.SHA256)
			}
			checkPicture(t, url, body, order.DefaultPreviewSize)

			cached, rest := f.getPreview(url, etag)
			if cached.StatusCode != http.StatusNotModified || len(rest) != 0 || cached.Header.Get("ETag") != etag {
				t.Errorf("GET %s with If-None-Match: %d, %d bytes, ETag %q; want 304, empty", url, cached.StatusCode, len(rest), cached.Header.Get("ETag"))
			}
			small, body := f.getPreview(url+"?size=64&background=transparent", etag)
			if small.StatusCode != http.StatusOK || small.Header.Get("ETag") == etag {
				t.Fatalf("GET %s?size=64&background=transparent with the 256 ETag: %d, ETag %q; want 200 with its own ETag", url, small.StatusCode, small.Header.Get("ETag"))
			}
			img, err := png.Decode(bytes.NewReader(body))
			if err != nil || img.Bounds().Dx() != 64 {
				t.Fatalf("size=64: %v, %v", img, err)
			}
			if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
				t.Errorf("background=transparent: corner alpha %d", a)
			}
			again, body2 := f.getPreview(url+"?size=64&background=transparent", "")
			if !bytes.Equal(body, body2) || again.Header.Get("ETag") != small.Header.Get("ETag") {
				t.Errorf("GET %s?size=64&background=transparent twice: different pictures or ETags", url)
			}
		}
	}
	if resp, body := f.getPreview("/v1/orders/prev-stl/files/nope.stl/preview.png", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("preview of an unknown file: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.getPreview("/v1/orders/missing/files/1-RING-7.stl/preview.png", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("preview of an unknown order's file: %d %s", resp.StatusCode, body)
	}
}

// TestPreviewFileBadQuery: a size outside 64..1024, not an integer, or an
// unknown background is 400 invalid_argument naming the field.
func TestPreviewFileBadQuery(t *testing.T) {
	t.Parallel()
	f := setup(t, &setupOptions{noMailer: true})
	f.apply("files", filesFlow("stl"))
	f.create(sampleOrder("ord-q", "files"))
	o := f.finish("ord-q")
	url := o.Files[1].URL + "/preview.png" // the box: 28 triangles, quick at 1024 pixels
	for query, field := range map[string]string{
		"?size=63": "size", "?size=1025": "size", "?size=0": "size", "?size=-256": "size", "?size=256.5": "size",
		"?size=abc": "size", "?size=": "size", "?size=99999999999999999999": "size", "?background=blue": "background",
	} {
		status, body := f.do("GET", url+query, nil)
		e := decode[api.ErrorResponse](t, body).Error
		details, _ := e.Details.([]any)
		if status != http.StatusBadRequest || e.Code != api.CodeInvalidArgument || !strings.HasPrefix(e.Message, field+" must") || len(details) != 1 ||
			details[0].(map[string]any)["field"] != field {
			t.Errorf("GET %s: %d %s; want 400 invalid_argument naming %s", query, status, body, field)
		}
	}
	if status, body := f.do("GET", url+"?size=64&background=light", nil); status != http.StatusOK {
		t.Errorf("GET ?size=64&background=light: %d %s", status, body)
	}
	// The bounds themselves, without drawing a megapixel picture (slow
	// under the race detector).
	for query, want := range map[string]int{"": 256, "size=64": 64, "size=1024": 1024, "size=500&background=Transparent": 500} {
		size, transparent, err := order.PreviewQuery(query)
		if err != nil || size != want || transparent != strings.Contains(query, "Transparent") {
			t.Errorf("query %q: size %d, transparent %v, %v; want %d", query, size, transparent, err, want)
		}
	}
}

// countingStore counts the bytes read from the files it opens.
type countingStore struct {
	artifact.Store
	read atomic.Int64
}

func (s *countingStore) Open(ctx context.Context, name string) (io.ReadCloser, *artifact.Info, error) {
	rc, info, err := s.Store.Open(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	return &countingReadCloser{ReadCloser: rc, n: &s.read}, info, nil
}

type countingReadCloser struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingReadCloser) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// zeros yields n zero bytes.
func zeros(n int64) io.Reader { return io.LimitReader(zeroReader{}, n) }

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestPreviewFileTooLarge: a stored binary STL of 2,500,000 triangles
// (125 MB, over PreviewMaxTriangles) is refused with 422 file_too_large
// from its header: the preview reads no more than one buffer of it.
func TestPreviewFileTooLarge(t *testing.T) {
	t.Parallel()
	files := &countingStore{}
	f := setup(t, &setupOptions{noMailer: true, wrapFiles: func(s artifact.Store) artifact.Store {
		files.Store = s
		return files
	}})
	f.apply("files", filesFlow("stl"))
	f.create(sampleOrder("ord-huge", "files"))
	o := f.finish("ord-huge")
	file := o.Files[0]
	// Replace the stored file by a huge one (the record keeps the old
	// size; the file's header decides).
	const triangles = 2_500_000
	head := make([]byte, 84)
	binary.LittleEndian.PutUint32(head[80:], triangles)
	if _, err := f.files.Put(context.Background(), "orders/ord-huge/"+file.Name, io.MultiReader(bytes.NewReader(head), zeros(50*triangles))); err != nil {
		t.Fatal(err)
	}
	before := files.read.Load()
	status, body := f.do("GET", file.URL+"/preview.png?size=1024", nil)
	e := decode[api.ErrorResponse](t, body).Error
	if status != http.StatusUnprocessableEntity || e.Code != order.CodeFileTooLarge || !strings.Contains(e.Message, "2500000 triangles") {
		t.Errorf("preview of a 2,500,000-triangle file: %d %s; want 422 file_too_large naming the count", status, body)
	}
	if read := files.read.Load() - before; read > 1<<20 {
		t.Errorf("the refused preview read %d bytes of the file", read)
	}
}
