package ui

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"time"
)

// static holds the dashboard's CSS, icons and the vendored htmx 2.0.11
// (static/htmx.min.js, from the htmx.org npm package, BSD-0 licensed:
// static/htmx-LICENSE.txt).
//
//go:embed static
var static embed.FS

// asset is one embedded file with its content hash.
type asset struct {
	data        []byte
	contentType string
	etag        string
	version     string // first hex digits of the hash, appended as ?v=
}

// assets are the embedded static files by name.
type assets struct {
	files map[string]*asset
}

func loadAssets() (*assets, error) {
	entries, err := fs.ReadDir(static, "static")
	if err != nil {
		return nil, fmt.Errorf("ui: read embedded assets: %w", err)
	}
	as := &assets{files: map[string]*asset{}}
	for _, e := range entries {
		data, err := static.ReadFile("static/" + e.Name())
		if err != nil {
			return nil, fmt.Errorf("ui: read embedded asset %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(data)
		hash := hex.EncodeToString(sum[:])
		ct := mime.TypeByExtension(path.Ext(e.Name()))
		if ct == "" {
			ct = "application/octet-stream"
		}
		as.files[e.Name()] = &asset{data: data, contentType: ct, etag: `"` + hash[:32] + `"`, version: hash[:12]}
	}
	return as, nil
}

// url returns the versioned URL of an asset under base, or "" if there is
// no such asset (a template bug that the tests catch).
func (as *assets) url(base, name string) string {
	a, ok := as.files[name]
	if !ok {
		return ""
	}
	return base + "/static/" + name + "?v=" + a.version
}

// serve answers GET {base}/static/{name}. A request for the current
// version (?v=hash) may be cached for a year; others revalidate by ETag.
func (as *assets) serve(w http.ResponseWriter, r *http.Request) {
	a, ok := as.files[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", a.contentType)
	h.Set("ETag", a.etag)
	if r.URL.Query().Get("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}
