package order_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/artifact"
	"github.com/ordohq/ordo/order"
)

// filesFlow generates the files in format, with no retries, then stops.
func filesFlow(format string) []byte {
	return []byte(`[{"stepDefinitionId": "generate", "type": "generate-production-files", "successStatus": "Files ready",
		"options": {"fileFormat": "` + format + `"}, "retries": {"limit": 0}}]`)
}

// items returns n items of the same product.
func items(n int, p *order.Product) []order.Item {
	out := make([]order.Item, n)
	for i := range out {
		out[i] = order.Item{SKU: fmt.Sprintf("SKU-%d", i), Quantity: 1, Product: p}
	}
	return out
}

var (
	ring       = &order.Product{Template: "ring", Parameters: map[string]any{"size": 7}}
	hugeVase   = &order.Product{Template: "vase", Parameters: map[string]any{"segments": 8192, "layers": 8192}}
	budgetVase = &order.Product{Template: "vase", Parameters: map[string]any{"segments": 2048, "layers": 243}} // 1,998,848 triangles
)

// TestCreateChecksProducts: every product parameter problem and every
// limit is answered at create with 400 invalid_order, naming the item and
// the parameter, and nothing is created.
func TestCreateChecksProducts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		limits order.Limits
		format string
		items  []order.Item
		fields []string // the problems' fields, in order
		msg    string   // in the first problem's message
	}{
		{"unknown template", order.Limits{}, "stl",
			[]order.Item{{SKU: "A", Quantity: 1, Product: ring}, {SKU: "T", Quantity: 1, Product: &order.Product{Template: "teapot"}}},
			[]string{"items[1].product.template"}, `unknown template "teapot"; known: box, nameplate, ring, vase`},
		{"unknown parameter", order.Limits{}, "stl",
			[]order.Item{{SKU: "B", Quantity: 1, Product: &order.Product{Template: "box", Parameters: map[string]any{"colour": "red"}}}},
			[]string{"items[0].product.parameters.colour"}, "unknown parameter; known: length"},
		{"wrong type", order.Limits{}, "stl",
			[]order.Item{{SKU: "R", Quantity: 1, Product: &order.Product{Template: "ring", Parameters: map[string]any{"size": "large"}}}},
			[]string{"items[0].product.parameters.size"}, `"large" is not a number`},
		{"out of range", order.Limits{}, "stl",
			[]order.Item{{SKU: "R", Quantity: 1, Product: &order.Product{Template: "ring", Parameters: map[string]any{"size": 99}}}},
			[]string{"items[0].product.parameters.size"}, "99 is out of range [0, 16]"},
		{"conflicting parameters", order.Limits{}, "stl",
			[]order.Item{{SKU: "B", Quantity: 1, Product: &order.Product{Template: "box", Parameters: map[string]any{"length": 30, "width": 30, "wall": 15}}}},
			[]string{"items[0].product.parameters.wall"}, "leaves less than 2 mm inside"},
		{"missing required parameter", order.Limits{}, "stl",
			[]order.Item{{SKU: "N", Quantity: 1, Product: &order.Product{Template: "nameplate"}}},
			[]string{"items[0].product.parameters.text"}, "missing; required"},
		{"vase at its documented maximum", order.Limits{}, "stl",
			[]order.Item{{SKU: "A", Quantity: 1, Product: ring}, {SKU: "V", Quantity: 1, Product: hugeVase}},
			[]string{"items[1].product"}, "makes 268468224 triangles, more than the 2000000 allowed per item"},
		{"item over a lowered triangle budget", order.Limits{MaxTrianglesPerItem: 10_000}, "stl",
			[]order.Item{{SKU: "R", Quantity: 1, Product: ring}},
			[]string{"items[0].product"}, "makes 13120 triangles, more than the 10000 allowed per item"},
		{"files over the order's byte budget", order.Limits{MaxFileBytesPerOrder: 250 << 20}, "stl",
			items(4, budgetVase), // 99,942,484 bytes each
			[]string{"items[2].product"}, "would reach 299827452 bytes with this item's 99942484, more than the 262144000 allowed"},
		{"OBJ files counted by their bound", order.Limits{MaxFileBytesPerOrder: 100 << 20}, "obj",
			items(2, budgetVase),
			[]string{"items[1].product"}, "more than the 104857600 allowed per order"},
		{"too many items", order.Limits{MaxOrderItems: 3}, "stl",
			items(4, ring), []string{"items"}, "holds 4 items, more than the 3 an order may hold"},
		{"problems listed up to 100", order.Limits{}, "stl",
			items(150, &order.Product{Template: "teapot"}), nil, `unknown template "teapot"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, &setupOptions{limits: tc.limits})
			f.apply("files", filesFlow(tc.format))
			req := sampleOrder("ord-limits", "files")
			req.Items = tc.items
			status, raw := f.do("POST", "/v1/orders", req)
			e := decode[apiError](t, raw)
			if status != http.StatusBadRequest || e.Error.Code != order.CodeInvalidOrder {
				t.Fatalf("create: %d %s; want 400 invalid_order", status, raw)
			}
			ps := decode[[]order.FieldProblem](t, e.Error.Details)
			var fields []string
			for _, p := range ps {
				fields = append(fields, p.Field)
			}
			if tc.fields == nil { // the long list
				if len(ps) != 101 || ps[100].Message != "50 more problems are not listed" {
					t.Errorf("%d problems, the last %+v; want 100 and a count of the rest", len(ps), ps[len(ps)-1])
				}
			} else if fmt.Sprint(fields) != fmt.Sprint(tc.fields) {
				t.Errorf("problems on %v, want %v: %s", fields, tc.fields, raw)
			}
			if !strings.Contains(ps[0].Message, tc.msg) {
				t.Errorf("message %q does not say %q", ps[0].Message, tc.msg)
			}
			if _, err := f.svc.GetOrder(context.Background(), "ord-limits"); !errors.Is(err, ordo.ErrNotFound) {
				t.Errorf("a refused order exists: %v", err)
			}
		})
	}
}

// TestCreateChecksStepOutput: an order whose file records would not fit a
// step's output (the engine's payload limit, 1 MiB) is refused at create,
// not after its files are written.
func TestCreateChecksStepOutput(t *testing.T) {
	t.Parallel()
	f := setup(t, &setupOptions{limits: order.Limits{MaxOrderItems: 5000}})
	f.apply("files", filesFlow("stl"))
	req := sampleOrder("ord-many", "files")
	req.Items = items(5000, &order.Product{Template: "box", Parameters: map[string]any{"corner_radius": 0}})
	for i := range req.Items { // long SKUs make long file names
		req.Items[i].SKU = fmt.Sprintf("PERSONALISED-STORAGE-BOX-%015d", i)
	}
	_, _, err := f.svc.CreateOrder(context.Background(), req)
	ie, ok := errors.AsType[*order.InvalidOrderError](err)
	if !ok || len(ie.Problems) != 1 || ie.Problems[0].Field != "items" ||
		!strings.Contains(ie.Problems[0].Message, "more than the 1048576 a step's output may hold") {
		t.Fatalf("CreateOrder of 5000 files = %v, want the step output refused", err)
	}
}

// createUnchecked stores an order as an instance of its flow directly, as
// one created before its products were checked (or under larger limits)
// would be.
func (f *fixture) createUnchecked(req *order.CreateRequest) {
	f.t.Helper()
	raw, err := json.Marshal(map[string]any{"flow": req.Flow, "version": 1, "customer": req.Customer, "items": req.Items})
	if err != nil {
		f.t.Fatal(err)
	}
	opts := &ordo.CreateOptions{ID: req.ID, Reservation: f.svc.Reservation()}
	if _, err := f.env.Engine.Create(context.Background(), order.WorkflowName(req.Flow), raw, opts); err != nil {
		f.t.Fatal(err)
	}
}

// countingFiles fails every Put after the first ok ones, like a disk that
// fills up.
type countingFiles struct {
	artifact.Store
	ok, puts atomic.Int32
}

var errDiskFull = errors.New("no space left on device")

func (c *countingFiles) Put(ctx context.Context, name string, r io.Reader) (*artifact.Info, error) {
	if c.puts.Add(1) > c.ok.Load() {
		_, _ = io.CopyN(io.Discard, r, 1<<20) // part of the file arrives, then the disk is full
		return nil, errDiskFull
	}
	return c.Store.Put(ctx, name, r)
}

// TestFailedGenerationRemovesFiles: when the files step fails midway (an
// item over the budget of the service running it, a store that fills up),
// the files it wrote for the order are removed, and the error names the
// item.
func TestFailedGenerationRemovesFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		limit order.Limits
		items []order.Item
		okPut int32
		want  string
	}{
		{"item over the budget", order.Limits{MaxTrianglesPerItem: 20_000}, []order.Item{
			{SKU: "R1", Quantity: 1, Product: ring}, {SKU: "R2", Quantity: 1, Product: ring},
			{SKU: "V", Quantity: 1, Product: &order.Product{Template: "vase", Parameters: map[string]any{"segments": 256, "layers": 64}}},
		}, 10, `item 2 (sku "V"): mesh: template "vase": the parameters make 66560 triangles, more than the 20000 allowed`},
		{"order over the byte budget", order.Limits{MaxFileBytesPerOrder: 1 << 20}, items(3, ring), 10,
			`item 1 (sku "SKU-1"): the order's production files reach 1312168 bytes, more than the 1048576 allowed per order`},
		{"store full", order.Limits{}, items(3, ring), 2, `item 2 (sku "SKU-2"): store 3-SKU-2.stl`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := &countingFiles{}
			files.ok.Store(tc.okPut)
			f := setup(t, &setupOptions{limits: tc.limit, wrapFiles: func(s artifact.Store) artifact.Store {
				files.Store = s
				return files
			}})
			f.apply("files", filesFlow("stl"))
			req := sampleOrder("ord-partial", "files")
			req.Items = tc.items
			f.createUnchecked(req)
			o := f.finish("ord-partial")
			g := step(t, o, "generate#1")
			if o.InstanceStatus != ordo.StatusErrored || g.Error == nil || !strings.Contains(g.Error.Message, tc.want) {
				t.Fatalf("order %s, generate error %+v; want it to say %q", o.InstanceStatus, g.Error, tc.want)
			}
			left, err := f.files.List(context.Background(), "orders/ord-partial/")
			if err != nil || len(left) != 0 {
				t.Errorf("files left after the failed generation: %d, %v", len(left), err)
			}
		})
	}
}
