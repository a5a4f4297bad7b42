package postgres

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/ordohq/ordo/store"
)

// Conversions between the store types and their column encodings:
// timestamptz (microseconds, read back in UTC), JSON payloads as bytea,
// ErrorInfo as JSON text.

// now returns t, or the wall clock when the caller gave no time.
func now(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// ts is t as stored: truncated to the microsecond, in UTC.
func ts(t time.Time) time.Time { return t.Truncate(time.Microsecond).UTC() }

// tsPtr encodes an optional time; nil becomes NULL.
func tsPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

// utc returns a scanned optional time in UTC.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// rawArg encodes a JSON payload byte for byte; nil becomes NULL.
func rawArg(r json.RawMessage) []byte {
	if r == nil {
		return nil
	}
	return []byte(r)
}

// rawValue decodes a JSON payload column; NULL becomes nil.
func rawValue(b []byte) json.RawMessage {
	if b == nil {
		return nil
	}
	return json.RawMessage(b)
}

// errorArg encodes an ErrorInfo as JSON text; nil becomes NULL.
func errorArg(e *store.ErrorInfo) (*string, error) {
	if e == nil {
		return nil, nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode error info: %w", err)
	}
	s := string(b)
	return &s, nil
}

// errorValue decodes an ErrorInfo column; NULL becomes nil.
func errorValue(s *string) (*store.ErrorInfo, error) {
	if s == nil {
		return nil, nil
	}
	var e store.ErrorInfo
	if err := json.Unmarshal([]byte(*s), &e); err != nil {
		return nil, fmt.Errorf("decode error info %q: %w", *s, err)
	}
	return &e, nil
}

// noRows reports whether err means a query returned no row.
func noRows(err error) bool { return errors.Is(err, pgx.ErrNoRows) }

// pgCode returns the SQLSTATE of a server error, or "".
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// SQLSTATEs the store translates or retries.
const (
	codeUniqueViolation = "23505"
	codeUndefinedTable  = "42P01"
)

// rollbackArg encodes a Rollback as JSON text; nil becomes NULL.
func rollbackArg(rb *store.Rollback) (*string, error) {
	if rb == nil {
		return nil, nil
	}
	b, err := json.Marshal(rb)
	if err != nil {
		return nil, fmt.Errorf("encode rollback: %w", err)
	}
	v := string(b)
	return &v, nil
}

// rollbackValue decodes a Rollback column; NULL becomes nil.
func rollbackValue(s *string) (*store.Rollback, error) {
	if s == nil {
		return nil, nil
	}
	var rb store.Rollback
	if err := json.Unmarshal([]byte(*s), &rb); err != nil {
		return nil, fmt.Errorf("decode rollback %q: %w", *s, err)
	}
	return &rb, nil
}

// awaitArg encodes a Step.Await as JSON text; nil becomes NULL.
func awaitArg(a *store.EventAwait) (*string, error) {
	if a == nil {
		return nil, nil
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, fmt.Errorf("encode await: %w", err)
	}
	v := string(b)
	return &v, nil
}

// awaitValue decodes a Step.Await column; NULL becomes nil.
func awaitValue(s *string) (*store.EventAwait, error) {
	if s == nil {
		return nil, nil
	}
	var a store.EventAwait
	if err := json.Unmarshal([]byte(*s), &a); err != nil {
		return nil, fmt.Errorf("decode await %q: %w", *s, err)
	}
	return &a, nil
}
