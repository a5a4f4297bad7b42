package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ordohq/ordo/store"
)

// Conversions between the store types and their column encodings: times
// as INTEGER unix microseconds, JSON as TEXT, ErrorInfo as JSON TEXT.

// now returns t, or the wall clock when the caller gave no time.
func now(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// nullMicros encodes an optional time; nil becomes NULL.
func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// timePtr decodes an optional time column.
func timePtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// rawArg encodes a JSON payload byte for byte as TEXT; nil becomes NULL.
func rawArg(r json.RawMessage) any {
	if r == nil {
		return nil
	}
	return string(r)
}

// rawValue decodes a JSON payload column; NULL becomes nil.
func rawValue(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}

// errorArg encodes an ErrorInfo as JSON TEXT; nil becomes NULL.
func errorArg(e *store.ErrorInfo) (any, error) {
	if e == nil {
		return nil, nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode error info: %w", err)
	}
	return string(b), nil
}

// errorValue decodes an ErrorInfo column; NULL becomes nil.
func errorValue(b []byte) (*store.ErrorInfo, error) {
	if b == nil {
		return nil, nil
	}
	var e store.ErrorInfo
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("decode error info %q: %w", b, err)
	}
	return &e, nil
}

func boolArg(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// rollbackArg encodes a Rollback as JSON TEXT; nil becomes NULL.
func rollbackArg(rb *store.Rollback) (any, error) {
	if rb == nil {
		return nil, nil
	}
	b, err := json.Marshal(rb)
	if err != nil {
		return nil, fmt.Errorf("encode rollback: %w", err)
	}
	return string(b), nil
}

// rollbackValue decodes a Rollback column; NULL becomes nil.
func rollbackValue(b []byte) (*store.Rollback, error) {
	if b == nil {
		return nil, nil
	}
	var rb store.Rollback
	if err := json.Unmarshal(b, &rb); err != nil {
		return nil, fmt.Errorf("decode rollback %q: %w", b, err)
	}
	return &rb, nil
}

// awaitArg encodes a Step.Await as JSON TEXT; nil becomes NULL.
func awaitArg(a *store.EventAwait) (any, error) {
	if a == nil {
		return nil, nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode await: %w", err)
	}
	return string(b), nil
}

// awaitValue decodes a Step.Await column; NULL becomes nil.
func awaitValue(b []byte) (*store.EventAwait, error) {
	if b == nil {
		return nil, nil
	}
	var a store.EventAwait
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("decode await %q: %w", b, err)
	}
	return &a, nil
}
