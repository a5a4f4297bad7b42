package ui

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/order"
)

// maxFileNameLen bounds a production file's name in a request path.
const maxFileNameLen = 255

// orderFile serves GET {base}/orders/{id}/files/{name}: a production file
// of the order as a download, for a signed-in browser (the API's route
// wants a Bearer key).
func (h *handler) orderFile(w http.ResponseWriter, r *http.Request) {
	id, name := r.PathValue("id"), r.PathValue("name")
	if err := ordo.ValidateID("order id", id); err != nil || name == "" || len(name) > maxFileNameLen {
		h.renderNotFound(w, r, "There is no such order file.")
		return
	}
	rc, f, err := h.cfg.Orders.OpenFile(r.Context(), id, name)
	if err != nil {
		if errors.Is(err, ordo.ErrNotFound) {
			h.renderNotFound(w, r, "Order "+id+" has no file "+name+".")
			return
		}
		h.log.Error("ordo ui: open order file", "id", id, "file", name, "err", err)
		http.Error(w, "The file could not be read.", http.StatusServiceUnavailable)
		return
	}
	defer rc.Close()
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	hd.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	hd.Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, rc) // the status is sent; a failed copy shows as a short body
}

// orderFilePreview serves GET {base}/orders/{id}/files/{name}/preview.png:
// a picture of the production file (order.Service.ServePreview, with its
// ?size= and ?background=). A file too large to draw is answered 422 and
// the page's image falls back to its text; the file stays downloadable.
func (h *handler) orderFilePreview(w http.ResponseWriter, r *http.Request) {
	id, name := r.PathValue("id"), r.PathValue("name")
	if err := ordo.ValidateID("order id", id); err != nil || name == "" || len(name) > maxFileNameLen {
		http.Error(w, "There is no such order file.", http.StatusNotFound)
		return
	}
	err := h.cfg.Orders.ServePreview(w, r, id, name)
	switch {
	case err == nil:
	case errors.Is(err, ordo.ErrInvalidArgument):
		http.Error(w, err.Error(), http.StatusBadRequest)
	case errors.Is(err, ordo.ErrNotFound):
		http.Error(w, err.Error(), http.StatusNotFound)
	case errors.Is(err, order.ErrFileTooLarge):
		http.Error(w, err.Error(), http.StatusUnprocessableEntity)
	case r.Context().Err() != nil: // the browser went away
	default:
		h.log.Error("ordo ui: preview order file", "id", id, "file", name, "err", err)
		http.Error(w, "The preview could not be drawn.", http.StatusServiceUnavailable)
	}
}
