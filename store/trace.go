package store

import (
	"errors"
	"fmt"
)

// TraceContext is the W3C trace context (https://www.w3.org/TR/trace-context/)
// of the request that created an instance, stored with it
// (Instance.Trace) so that its runs, however much later and on whichever
// worker, link their spans to that request's trace.
type TraceContext struct {
	// Parent is the traceparent header of version 00:
	// "00-<32 hex trace id>-<16 hex span id>-<2 hex flags>".
	Parent string `json:"traceparent"`
	// State is the tracestate header (vendors' entries); "" for none. At
	// most MaxTraceStateBytes of printable ASCII.
	State string `json:"tracestate,omitempty"`
}

// MaxTraceStateBytes bounds TraceContext.State: the length up to which
// the W3C recommendation says a tracestate must be propagated.
const MaxTraceStateBytes = 512

// ValidateTraceContext checks a trace context before it is stored: a
// traceparent of version 00 with a trace and a span ID that are not all
// zeros, and a bounded, printable tracestate. nil is valid (none).
func ValidateTraceContext(tc *TraceContext) error {
	if tc == nil {
		return nil
	}
	p := tc.Parent
	if len(p) != 55 || p[:3] != "00-" || p[35] != '-' || p[52] != '-' ||
		!lowerHex(p[3:35]) || !lowerHex(p[36:52]) || !lowerHex(p[53:]) {
		return fmt.Errorf("trace context: traceparent %.60q is not 00-<32 hex>-<16 hex>-<2 hex>", p)
	}
	if allZeros(p[3:35]) || allZeros(p[36:52]) {
		return errors.New("trace context: traceparent has a zero trace or span ID")
	}
	if len(tc.State) > MaxTraceStateBytes {
		return fmt.Errorf("trace context: tracestate is %d bytes, the limit is %d", len(tc.State), MaxTraceStateBytes)
	}
	for i := 0; i < len(tc.State); i++ {
		if c := tc.State[i]; c < 0x20 || c > 0x7e {
			return fmt.Errorf("trace context: tracestate has byte %#x at %d, want printable ASCII", c, i)
		}
	}
	return nil
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func allZeros(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}
