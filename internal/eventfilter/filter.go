// Package eventfilter compiles and evaluates the filters of event
// subscriptions: CEL expressions (cel.dev/cel-go, as Kubernetes uses them)
// over the variables type, id (strings) and payload (the event's JSON
// payload). An expression is parsed and type-checked once, by Compile,
// when its subscription is registered; Eval runs it under a cost limit.
//
// JSON numbers become CEL int when they are integers that fit in 64 bits
// and double otherwise, and numbers compare across the two types, so
// "payload.total > 100" is true for 150, 150.0 and 150.5 alike.
package eventfilter

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"cel.dev/cel-go/cel"
)

// Limits of a filter.
const (
	// MaxExprLen bounds an expression's source, in bytes.
	MaxExprLen = 2048
	// CostLimit bounds the work of one evaluation (CEL's cost units: about
	// one per operation, more for work proportional to a string or list).
	CostLimit = 100_000
	// maxDepth bounds the nesting of a payload handed to a filter.
	maxDepth = 64
)

// env is the CEL environment every filter is compiled in.
var env = func() *cel.Env {
	e, err := cel.NewEnv(
		cel.Variable("type", cel.StringType),
		cel.Variable("id", cel.StringType),
		cel.Variable("payload", cel.DynType),
		cel.CrossTypeNumericComparisons(true),
	)
	if err != nil {
		panic("eventfilter: " + err.Error())
	}
	return e
}()

// Filter is a compiled filter, safe for concurrent use.
type Filter struct {
	src string
	prg cel.Program
}

// Compile parses and type-checks expr. The error says what is wrong in the
// expression's terms (with line and column) and wraps nothing: callers add
// the field it came from.
func Compile(expr string) (*Filter, error) {
	if strings.TrimSpace(expr) == "" {
		return nil, errors.New("the filter is empty")
	}
	if len(expr) > MaxExprLen {
		return nil, fmt.Errorf("the filter is %d bytes long; at most %d are allowed", len(expr), MaxExprLen)
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("the filter does not compile: %s", oneLine(iss.Err().Error()))
	}
	if t := ast.OutputType(); !t.IsExactType(cel.BoolType) && !t.IsExactType(cel.DynType) {
		return nil, fmt.Errorf("the filter gives a %s, not a bool", t)
	}
	prg, err := env.Program(ast, cel.CostLimit(CostLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, fmt.Errorf("the filter does not compile: %s", oneLine(err.Error()))
	}
	return &Filter{src: expr, prg: prg}, nil
}

// String returns the filter's source.
func (f *Filter) String() string { return f.src }

// Eval evaluates the filter for one event. An expression that fails
// (a missing key, a type mismatch, the cost limit) or gives no bool
// returns an error saying so.
func (f *Filter) Eval(ctx context.Context, eventType, id string, payload json.RawMessage) (bool, error) {
	p, err := Decode(payload)
	if err != nil {
		return false, err
	}
	out, _, err := f.prg.ContextEval(ctx, map[string]any{"type": eventType, "id": id, "payload": p})
	if err != nil {
		return false, fmt.Errorf("filter %q: %s", f.src, oneLine(err.Error()))
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("filter %q gives %v (a %s), not a bool", f.src, out.Value(), out.Type().TypeName())
	}
	return b, nil
}

// Decode turns a JSON payload into the values a filter sees: integers that
// fit in int64 as int64, other numbers as float64, objects as
// map[string]any. An empty payload is null.
func Decode(payload json.RawMessage) (any, error) {
	if len(bytes.TrimSpace(payload)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("the payload is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("the payload is not valid JSON: data after the value")
	}
	return numbers(v, 0)
}

// numbers replaces the json.Numbers in v.
func numbers(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("the payload nests deeper than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		f, err := x.Float64()
		if err != nil && !math.IsInf(f, 0) {
			return nil, fmt.Errorf("the payload number %s is out of range", x)
		}
		return f, nil
	case map[string]any:
		for k, e := range x {
			n, err := numbers(e, depth+1)
			if err != nil {
				return nil, err
			}
			x[k] = n
		}
	case []any:
		for i, e := range x {
			n, err := numbers(e, depth+1)
			if err != nil {
				return nil, err
			}
			x[i] = n
		}
	}
	return v, nil
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
