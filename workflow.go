package ordo

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// Definition is a workflow that can be registered with an Engine. It is
// implemented by *Workflow; the unexported method keeps the set closed so the
// engine can rely on how definitions behave.
type Definition interface {
	// Name is the workflow's stable, stored name.
	Name() string
	execute(ctx context.Context, params json.RawMessage) (json.RawMessage, error)
	validateParams(params json.RawMessage) error
	// retentionPeriod is the workflow's own retention (WithRetention).
	retentionPeriod() (time.Duration, bool)
	// concurrencyCheck validates the workflow's Concurrency at Register,
	// on a store with named limits or not.
	concurrencyCheck(limits bool) error
	// concurrencyOf is the concurrency key and limit an instance with
	// params runs under (WithConcurrency), a nil limit for none.
	concurrencyOf(ctx context.Context, params json.RawMessage) (string, *store.Limit, error)
}

// Workflow is a named workflow with typed params In and output Out. Both must
// survive a JSON round trip. The function is replayed after a restart:
// everything it does that must happen once belongs in a step (Do), and it
// reads time and randomness only through steps.
type Workflow[In, Out any] struct {
	name     string
	fn       func(ctx context.Context, in In) (Out, error)
	triggers []*workflowTrigger // declared with On
	// retention, if set, is the workflow's own retention period
	// (WithRetention).
	retention *time.Duration
	// concurrency, if set, caps the instances that run at once per key
	// (WithConcurrency).
	concurrency *concurrencyRule[In]
}

// NewWorkflow defines a workflow. name is stored with every instance and
// must not change while instances are in flight.
func NewWorkflow[In, Out any](name string, fn func(ctx context.Context, in In) (Out, error)) *Workflow[In, Out] {
	return &Workflow[In, Out]{name: name, fn: fn}
}

// WithRetention keeps the finished instances of w for d after they
// finished, instead of the default period of the retention that deletes
// them (package retention, ordo serve --retention); 0 keeps them forever.
// A negative d makes Register fail. It returns w.
func (w *Workflow[In, Out]) WithRetention(d time.Duration) *Workflow[In, Out] {
	w.retention = &d
	return w
}

func (w *Workflow[In, Out]) retentionPeriod() (time.Duration, bool) {
	if w.retention == nil {
		return 0, false
	}
	return *w.retention, true
}

// Name returns the workflow's name.
func (w *Workflow[In, Out]) Name() string { return w.name }

// Create starts an instance of w with typed params on e.
func (w *Workflow[In, Out]) Create(ctx context.Context, e *Engine, in In, opts *CreateOptions) (*Instance, error) {
	params, err := json.Marshal(in)
	if err != nil {
		return nil, fmt.Errorf("%w: marshal params of workflow %q: %w", ErrInvalidArgument, w.name, err)
	}
	return e.Create(ctx, w.name, params, opts)
}

// Output decodes a complete instance's output.
func (w *Workflow[In, Out]) Output(inst *Instance) (Out, error) {
	var out Out
	if len(inst.Output) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(inst.Output, &out); err != nil {
		return out, fmt.Errorf("decode output of instance %q: %w", inst.ID, err)
	}
	return out, nil
}

func (w *Workflow[In, Out]) validateParams(params json.RawMessage) error {
	var in In
	if len(params) == 0 {
		return nil
	}
	if err := json.Unmarshal(params, &in); err != nil {
		return fmt.Errorf("%w: params do not match workflow %q: %w", ErrInvalidArgument, w.name, err)
	}
	return nil
}

func (w *Workflow[In, Out]) execute(ctx context.Context, params json.RawMessage) (json.RawMessage, error) {
	in, err := decodeIn[In](params)
	if err != nil {
		return nil, NonRetryable(fmt.Errorf("decode params of workflow %q: %w", w.name, err))
	}
	out, err := w.fn(ctx, in)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, NonRetryable(fmt.Errorf("encode output of workflow %q: %w", w.name, err))
	}
	return b, nil
}

// decodeIn decodes an instance's params as In; empty or null params are
// In's zero value.
func decodeIn[In any](params json.RawMessage) (In, error) {
	var in In
	if len(params) == 0 || string(params) == "null" {
		return in, nil
	}
	err := json.Unmarshal(params, &in)
	return in, err
}
