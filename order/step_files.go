package order

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/mesh"
)

// filesOutput is the output of a generate-production-files step.
type filesOutput struct {
	Files []File `json:"files"`
}

// generateFiles is the generate-production-files step: for each item with
// a product it builds the mesh, writes it in the step's format to the
// artifact store under orders/<id>/<name> and records it. A template that
// does not exist or a bad parameter fails the step without retry, naming
// the item and the parameter. Writing the same file again (a retry, a
// restart) stores the same bytes under the same key.
func (s *Service) generateFiles(ctx context.Context, orderID string, p *params, sd *flow.StepDefinition) (json.RawMessage, error) {
	opts, err := sd.FilesOptions()
	if err != nil {
		return nil, ordo.NonRetryable(err)
	}
	format, err := mesh.ParseFormat(opts.FileFormat)
	if err != nil {
		return nil, ordo.NonRetryable(fmt.Errorf("step %q: %w", sd.ID, err))
	}
	out := filesOutput{Files: []File{}}
	for i, it := range p.Items {
		if it.Product == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m, err := mesh.Generate(it.Product.Template, it.Product.Parameters)
		if err != nil {
			err = fmt.Errorf("item %d (sku %q): %w", i, it.SKU, err)
			if errors.Is(err, mesh.ErrUnknownTemplate) || errors.Is(err, mesh.ErrInvalidParam) {
				return nil, ordo.NonRetryable(err)
			}
			var ce *mesh.CheckError
			if errors.As(err, &ce) { // the same parameters give the same mesh
				return nil, ordo.NonRetryable(err)
			}
			return nil, err
		}
		var buf bytes.Buffer
		if _, err := mesh.Write(&buf, m, format); err != nil {
			return nil, ordo.NonRetryable(fmt.Errorf("item %d (sku %q): %w", i, it.SKU, err))
		}
		name := fileName(i, it.SKU, format)
		info, err := s.cfg.Artifacts.Put(ctx, fileKey(orderID, name), &buf)
		if err != nil {
			return nil, fmt.Errorf("item %d (sku %q): store %s: %w", i, it.SKU, name, err)
		}
		out.Files = append(out.Files, File{
			Name: name, Item: i, Format: formatName(format), Size: info.Size,
			SHA256: info.SHA256, URL: fileURL(orderID, name),
		})
	}
	return json.Marshal(out)
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
