package store

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Cursors are opaque to callers. An instance-list cursor is the base64url
// form of "<created at, unix microseconds>/<instance ID>" (the position
// after the last instance of a page); an event-list cursor is that of
// "event/<event ID>". Every backend encodes and decodes them here, so a
// cursor one backend made means the same to another, and a forged one is
// refused the same way everywhere: with an *Error matching
// ErrInvalidArgument.

// maxCursorLen bounds a cursor before it is decoded: real ones are far
// shorter (an ID is at most a few hundred bytes).
const maxCursorLen = 1024

// cursor time bounds: what every backend can compare against (PostgreSQL's
// timestamptz ends in year 294276; year 9999 is far enough).
var (
	minCursorMicros = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	maxCursorMicros = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC).UnixMicro()
)

const eventCursorPrefix = "event/"

// EncodeInstanceCursor returns the InstanceList cursor for the position
// after the instance created at createdAt with ID id.
func EncodeInstanceCursor(createdAt time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(createdAt.UnixMicro(), 10) + "/" + id))
}

// DecodeInstanceCursor reverses EncodeInstanceCursor. A cursor that no
// listing returned returns an *Error matching ErrInvalidArgument.
func DecodeInstanceCursor(c string) (createdAt time.Time, id string, err error) {
	s, err := decodeCursor(c)
	if err != nil {
		return time.Time{}, "", err
	}
	ts, id, ok := strings.Cut(s, "/")
	if !ok {
		return time.Time{}, "", invalidCursor(c)
	}
	us, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || us < minCursorMicros || us > maxCursorMicros || id == "" {
		return time.Time{}, "", invalidCursor(c)
	}
	return time.UnixMicro(us).UTC(), id, nil
}

// EncodeEventCursor returns the EventList cursor for the position after
// the event with ID id.
func EncodeEventCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(eventCursorPrefix + strconv.FormatInt(id, 10)))
}

// DecodeEventCursor reverses EncodeEventCursor. A cursor that no listing
// returned returns an *Error matching ErrInvalidArgument.
func DecodeEventCursor(c string) (int64, error) {
	s, err := decodeCursor(c)
	if err != nil {
		return 0, err
	}
	n, ok := strings.CutPrefix(s, eventCursorPrefix)
	if !ok {
		return 0, invalidCursor(c)
	}
	id, err := strconv.ParseInt(n, 10, 64)
	if err != nil || id < 0 {
		return 0, invalidCursor(c)
	}
	return id, nil
}

// decodeCursor checks a cursor's size and decodes its base64url form into
// text every backend can bind as a parameter (valid UTF-8, no NUL).
func decodeCursor(c string) (string, error) {
	if len(c) > maxCursorLen {
		return "", invalidCursor(c)
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !utf8.Valid(b) || strings.IndexByte(string(b), 0) >= 0 {
		return "", invalidCursor(c)
	}
	return string(b), nil
}

func invalidCursor(c string) *Error {
	if len(c) > 64 {
		c = c[:64] + "..."
	}
	return &Error{Err: ErrInvalidArgument, Field: "cursor",
		Message: "cursor " + strconv.Quote(c) + " is not valid: pass the nextCursor of a previous page unchanged"}
}
