package email

import (
	"fmt"
	"time"
)

// Defaults of Limits.
const (
	// DefaultMaxOutput is the default Limits.MaxOutput: 256 KiB, far more
	// than any order confirmation needs.
	DefaultMaxOutput = 256 << 10
	// DefaultMaxIterations is the default Limits.MaxIterations.
	DefaultMaxIterations = 100_000
	// DefaultRenderTimeout is the default Limits.Timeout.
	DefaultRenderTimeout = 5 * time.Second
)

// MaxFormatWidth is the widest width or precision a printf verb may ask
// for ("%-40s" and "%.2f" are fine, "%0999999d" is not).
const MaxFormatWidth = 100

// MaxControls is the most control actions ({{if}}, {{else}}, {{range}},
// {{with}}) one template may hold. Each nests the parser, the checks and
// the rendering one level deeper, so without a bound a template of a
// megabyte nests a hundred thousand levels, and costs a hundred megabytes
// of stack, before anything runs.
const MaxControls = 1000

// Limits bound what rendering one template may cost. The zero value takes
// every default.
type Limits struct {
	// MaxOutput is the most bytes one rendered template (a subject, a
	// message, a recipient) may produce; it also caps every string a
	// function such as print or printf builds. Default DefaultMaxOutput
	// (256 KiB).
	MaxOutput int
	// MaxIterations is the most {{range}} iterations one rendering may
	// run, all loops together. Default DefaultMaxIterations (100,000).
	MaxIterations int
	// Timeout bounds one rendering, within the context's deadline (the
	// step's timeout). Default DefaultRenderTimeout (5 s).
	Timeout time.Duration
}

// Validate reports a negative field, naming it.
func (l Limits) Validate() error {
	switch {
	case l.MaxOutput < 0:
		return fmt.Errorf("email: Limits.MaxOutput must not be negative, got %d", l.MaxOutput)
	case l.MaxIterations < 0:
		return fmt.Errorf("email: Limits.MaxIterations must not be negative, got %d", l.MaxIterations)
	case l.Timeout < 0:
		return fmt.Errorf("email: Limits.Timeout must not be negative, got %s", l.Timeout)
	}
	return nil
}

// withDefaults returns l with zero (or negative) fields set to their
// defaults; nil means all defaults.
func (l *Limits) withDefaults() Limits {
	var out Limits
	if l != nil {
		out = *l
	}
	if out.MaxOutput <= 0 {
		out.MaxOutput = DefaultMaxOutput
	}
	if out.MaxIterations <= 0 {
		out.MaxIterations = DefaultMaxIterations
	}
	if out.Timeout <= 0 {
		out.Timeout = DefaultRenderTimeout
	}
	return out
}

// Bound names what a LimitError exceeded.
type Bound string

// Bounds.
const (
	// BoundOutput: the rendered text, or a string a function built, is
	// longer than Limits.MaxOutput.
	BoundOutput Bound = "output"
	// BoundIterations: the loops ran more than Limits.MaxIterations times.
	BoundIterations Bound = "iterations"
	// BoundTime: rendering outlasted Limits.Timeout or the context's
	// deadline.
	BoundTime Bound = "time"
)

// LimitError is a template that exceeded a bound while rendering. Execute
// returns it wrapped in ordo.NonRetryable: the same template over the same
// order would exceed it again. Find it with errors.As.
type LimitError struct {
	// Template is the template's name ("subject", "message",
	// "recipients[0]").
	Template string
	// Bound is what was exceeded.
	Bound Bound
	// Limit is the bound's value as a phrase, for example
	// "262144 bytes (Limits.MaxOutput)".
	Limit string
}

// Error names the template and the bound.
func (e *LimitError) Error() string {
	return fmt.Sprintf("email: template %s exceeded its %s bound of %s", e.Template, e.Bound, e.Limit)
}
