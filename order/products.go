package order

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ordohq/ordo/flow"
	"github.com/ordohq/ordo/mesh"
)

// maxProblems is the most problems an *InvalidOrderError lists; a last one
// says how many more were found.
const maxProblems = 100

// problems collects the FieldProblems of a request, up to maxProblems.
type problems struct {
	list []FieldProblem
	more int
}

func (ps *problems) add(field, format string, args ...any) {
	if len(ps.list) >= maxProblems {
		ps.more++
		return
	}
	ps.list = append(ps.list, FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns nil or an *InvalidOrderError listing the problems.
func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := ps.list
	if ps.more > 0 {
		list = append(list, FieldProblem{Field: "items", Message: fmt.Sprintf("%d more problems are not listed", ps.more)})
	}
	return &InvalidOrderError{Problems: list}
}

// itemCost is what the product of the item at index will make.
type itemCost struct {
	index int
	est   mesh.Estimate
}

// checkProducts adds a problem for each item whose product names an
// unknown template or parameter, gives a value of the wrong type or out of
// range, has parameters that conflict, or would make a mesh of more than
// maxTriangles triangles, and returns the estimates of the other products,
// in item order. Nothing is built: templates estimate from the parameters.
func checkProducts(items []Item, maxTriangles int64, ps *problems) []itemCost {
	var costs []itemCost
	for i, it := range items {
		if it.Product == nil || it.Product.Template == "" {
			continue // no product, or a missing template reported already
		}
		field := fmt.Sprintf("items[%d].product", i)
		est, err := mesh.EstimateParams(it.Product.Template, it.Product.Parameters)
		pe, isParam := errors.AsType[*mesh.ParamError](err)
		switch {
		case errors.Is(err, mesh.ErrUnknownTemplate):
			ps.add(field+".template", "%s", strings.TrimPrefix(err.Error(), "mesh: "))
		case isParam:
			ps.add(field+".parameters."+pe.Param, "%s", pe.Reason)
		case err != nil:
			ps.add(field, "%s", strings.TrimPrefix(err.Error(), "mesh: "))
		case est.Triangles > maxTriangles:
			msg := fmt.Sprintf("template %q with these parameters makes %d triangles, more than the %d allowed per item",
				it.Product.Template, est.Triangles, maxTriangles)
			if est.Hint != "" {
				msg += " (" + est.Hint + ")"
			}
			ps.add(field, "%s", msg)
		default:
			costs = append(costs, itemCost{index: i, est: est})
		}
	}
	return costs
}

// fileFormats returns the format of each generate-production-files step
// of def, in document order: each writes one file per product.
func fileFormats(def *flow.Definition) []mesh.Format {
	var out []mesh.Format
	for _, sd := range def.Steps {
		if sd.Type != flow.TypeGenerateProductionFiles {
			continue
		}
		opts, err := sd.FilesOptions()
		if err != nil {
			continue // validated when the flow was applied; the step fails if not
		}
		if f, err := mesh.ParseFormat(opts.FileFormat); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// placeholderID stands for an order ID not chosen yet: as long as the
// time-ordered UUIDs the engine gives.
const placeholderID = "00000000-0000-0000-0000-000000000000"

// checkFiles adds a problem when the order's production files, in every
// format the flow writes them, would take more than maxBytes (naming the
// item that crosses the limit), or when the record of one step's files
// would not fit a step output of maxOutput bytes.
func checkFiles(req *CreateRequest, formats []mesh.Format, costs []itemCost, maxBytes int64, maxOutput int, ps *problems) {
	id := req.ID
	if id == "" {
		id = placeholderID
	}
	var total int64
	for _, c := range costs {
		var item int64
		for _, f := range formats {
			item += c.est.FileSize(f)
		}
		if total += item; total > maxBytes {
			ps.add(fmt.Sprintf("items[%d].product", c.index),
				"the order's production files would reach %d bytes with this item's %d, more than the %d allowed per order; split the order or lower the products' resolution",
				total, item, maxBytes)
			break
		}
	}
	for _, f := range formats {
		size := len(`{"files":[]}`)
		for _, c := range costs {
			it := req.Items[c.index]
			name := fileName(c.index, it.SKU, f)
			rec, _ := json.Marshal(File{Name: name, Item: c.index, Format: formatName(f), Size: c.est.FileSize(f),
				SHA256: strings.Repeat("0", 64), URL: fileURL(id, name)})
			size += len(rec) + 1
		}
		if size > maxOutput {
			ps.add("items", "the record of the order's %d production files would be %d bytes, more than the %d a step's output may hold; split the order",
				len(costs), size, maxOutput)
			return
		}
	}
}
