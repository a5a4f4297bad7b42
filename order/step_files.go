package order

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/mesh"
)

// filesOutput is the output of a generate-production-files step.
type filesOutput struct {
	Files []File `json:"files"`
}

// generateFiles is the generate-production-files step: for each item with
// a product it builds the mesh, within the service's triangle budget, and
// streams it in the step's format to the artifact store under
// orders/<id>/<name> (no file is held whole in memory), and records it. A
// template that does not exist, a bad parameter or a mesh over budget
// fails the step without retry, naming the item and the parameter. Writing
// the same file again (a retry, a restart) stores the same bytes under the
// same key. If the step fails, the files it would write are removed, so a
// failed generation leaves no partial set behind.
func (s *Service) generateFiles(ctx context.Context, orderID string, p *params, sd *flow.StepDefinition) (json.RawMessage, error) {
	opts, err := sd.FilesOptions()
	if err != nil {
		return nil, ordo.NonRetryable(err)
	}
	format, err := mesh.ParseFormat(opts.FileFormat)
	if err != nil {
		return nil, ordo.NonRetryable(fmt.Errorf("step %q: %w", sd.ID, err))
	}
	out, err := s.writeFiles(ctx, orderID, p, format)
	if err == nil {
		var raw json.RawMessage
		if raw, err = json.Marshal(out); err == nil && len(raw) > s.eng.MaxPayloadBytes() {
			err = ordo.NonRetryable(fmt.Errorf("the record of %d production files is %d bytes, more than the %d-byte limit of a step's output; split the order",
				len(out.Files), len(raw), s.eng.MaxPayloadBytes()))
		}
		if err == nil {
			return raw, nil
		}
	}
	s.removeFiles(ctx, orderID, p, format)
	return nil, err
}

// writeFiles builds and stores the file of each item with a product.
func (s *Service) writeFiles(ctx context.Context, orderID string, p *params, format mesh.Format) (*filesOutput, error) {
	out := &filesOutput{Files: []File{}}
	var total int64
	for i, it := range p.Items {
		if it.Product == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		name := fileName(i, it.SKU, format)
		info, err := s.writeFile(ctx, orderID, i, it, name, format)
		if err != nil {
			return nil, err
		}
		if total += info.Size; total > s.cfg.Limits.MaxFileBytesPerOrder {
			return nil, ordo.NonRetryable(fmt.Errorf("item %d (sku %q): the order's production files reach %d bytes, more than the %d allowed per order",
				i, it.SKU, total, s.cfg.Limits.MaxFileBytesPerOrder))
		}
		out.Files = append(out.Files, File{
			Name: name, Item: i, Format: formatName(format), Size: info.Size,
			SHA256: info.SHA256, URL: fileURL(orderID, name),
		})
	}
	return out, nil
}

// writeFile builds item i's mesh and stores it as file name, in a span
// "mesh generate" (trace.go).
func (s *Service) writeFile(ctx context.Context, orderID string, i int, it Item, name string, format mesh.Format) (info *artifact.Info, err error) {
	ctx, span := s.startMeshSpan(ctx, i, it.Product.Template, format)
	var m *mesh.Mesh
	defer func() { endMeshSpan(span, m, info, err) }()
	m, err = mesh.Generate(it.Product.Template, it.Product.Parameters, &mesh.GenerateOptions{MaxTriangles: s.cfg.Limits.MaxTrianglesPerItem})
	if err != nil {
		err = fmt.Errorf("item %d (sku %q): %w", i, it.SKU, err)
		if errors.Is(err, mesh.ErrUnknownTemplate) || errors.Is(err, mesh.ErrInvalidParam) || errors.Is(err, mesh.ErrOverBudget) {
			return nil, ordo.NonRetryable(err)
		}
		if _, ok := errors.AsType[*mesh.CheckError](err); ok { // the same parameters give the same mesh
			return nil, ordo.NonRetryable(err)
		}
		return nil, err
	}
	info, err = artifact.Write(ctx, s.cfg.Artifacts, fileKey(orderID, name), func(w io.Writer) error {
		_, err := mesh.Write(w, m, format)
		return err
	})
	if err != nil {
		err = fmt.Errorf("item %d (sku %q): store %s: %w", i, it.SKU, name, err)
		if _, ok := errors.AsType[*mesh.CheckError](err); ok {
			return nil, ordo.NonRetryable(err)
		}
		return nil, err
	}
	return info, nil
}

// removeTimeout bounds the removal of a failed step's files.
const removeTimeout = time.Minute

// removeFiles deletes every file the step writes for the order, after a
// failure: the ones this attempt wrote and any an interrupted earlier
// attempt left. It runs even when ctx is done (a timeout), and logs what
// it cannot remove.
func (s *Service) removeFiles(ctx context.Context, orderID string, p *params, format mesh.Format) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), removeTimeout)
	defer cancel()
	removed := 0
	for i, it := range p.Items {
		if it.Product == nil {
			continue
		}
		key := fileKey(orderID, fileName(i, it.SKU, format))
		switch err := s.cfg.Artifacts.Delete(ctx, key); {
		case err == nil:
			removed++
		case !errors.Is(err, artifact.ErrNotFound):
			s.log.Warn("order: remove the file of a failed generation", "order", orderID, "file", key, "err", err)
		}
	}
	if removed > 0 {
		s.log.Info("order: removed the files of a failed generation", "order", orderID, "files", removed)
	}
}

// fileName names the file of item i: "<i+1>-<sku>.<ext>", the SKU reduced
// to letters, digits, "-", "_" and ".", so the name is safe in a URL, a
// file system and an e-mail attachment.
func fileName(i int, sku string, f mesh.Format) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, sku)
	clean = strings.Trim(clean, ".")
	if len(clean) > 64 {
		clean = clean[:64]
	}
	if clean == "" {
		clean = "item"
	}
	return fmt.Sprintf("%d-%s%s", i+1, clean, f.Ext())
}

// formatName is the format as File.Format shows it: "stl" or "obj".
func formatName(f mesh.Format) string { return strings.TrimPrefix(f.Ext(), ".") }

// fileKey is where an order's file lives in the artifact store.
func fileKey(orderID, name string) string { return "orders/" + orderID + "/" + name }

// fileURL is where the API serves an order's file.
func fileURL(orderID, name string) string {
	return "/v1/orders/" + url.PathEscape(orderID) + "/files/" + url.PathEscape(name)
}
