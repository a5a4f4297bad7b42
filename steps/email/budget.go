package email

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// errRenderTimeout is the cause of the context of a rendering that ran
// out of Limits.Timeout.
var errRenderTimeout = errors.New("render timeout")

// budget is the state of one rendering: what it may still spend. The
// writer, every loop iteration and every function call check it, so a
// template cannot run on without being stopped: a loop that writes
// nothing still counts iterations and looks at the context.
type budget struct {
	ctx        context.Context
	name       string
	limits     Limits
	iterations int
}

// check returns the error that stops the rendering when the context is
// done: a *LimitError for a deadline (Limits.Timeout or the step's), the
// context's error wrapped for a cancellation (shutdown), which a retry
// may get past.
func (b *budget) check() error {
	err := b.ctx.Err()
	switch {
	case err == nil:
		return nil
	case errors.Is(context.Cause(b.ctx), errRenderTimeout):
		return b.exceeded(BoundTime, b.limits.Timeout.String()+" (Limits.Timeout)")
	case errors.Is(err, context.DeadlineExceeded):
		return b.exceeded(BoundTime, "the step's timeout")
	default:
		return fmt.Errorf("email: template %s: rendering stopped: %w", b.name, err)
	}
}

func (b *budget) exceeded(bound Bound, limit string) *LimitError {
	return &LimitError{Template: b.name, Bound: bound, Limit: limit}
}

func (b *budget) outputExceeded() *LimitError {
	return b.exceeded(BoundOutput, strconv.Itoa(b.limits.MaxOutput)+" bytes (Limits.MaxOutput)")
}

// iterate counts one loop iteration. It is called at the start of every
// {{range}} body (see injectIterationChecks) and writes nothing.
func (b *budget) iterate() (string, error) {
	b.iterations++
	if b.iterations > b.limits.MaxIterations {
		return "", b.exceeded(BoundIterations, strconv.Itoa(b.limits.MaxIterations)+" loop iterations (Limits.MaxIterations)")
	}
	return "", b.check()
}

// fits checks, before a function builds a string from args, that their
// text alone does not already exceed the output bound.
func (b *budget) fits(extra int, args []any) error {
	n := extra
	for _, a := range args {
		switch v := a.(type) {
		case string:
			n += len(v)
		case []byte:
			n += len(v)
		}
	}
	if n > b.limits.MaxOutput {
		return b.outputExceeded()
	}
	return b.check()
}

// built checks a string a function built.
func (b *budget) built(s string) (string, error) {
	if len(s) > b.limits.MaxOutput {
		return "", b.outputExceeded()
	}
	return s, nil
}

// cappedWriter collects the output of a rendering and fails the write that
// would take it past Limits.MaxOutput, or any write once the context is
// done.
type cappedWriter struct {
	b   *budget
	out strings.Builder
}

func (w *cappedWriter) Write(p []byte) (int, error) {
	if err := w.b.check(); err != nil {
		return 0, err
	}
	if w.out.Len()+len(p) > w.b.limits.MaxOutput {
		return 0, w.b.outputExceeded()
	}
	return w.out.Write(p)
}
