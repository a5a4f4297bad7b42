package flow

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Reasons a timeout or delay value is rejected.
var (
	errDurationSyntax      = errors.New("not a duration")
	errDurationNotPositive = errors.New("not positive")
	errDurationTooSmall    = errors.New("shorter than 1ns")
	errDurationTooLarge    = errors.New("too large")
)

// readDuration reads a timeout or retry delay as written in a flow: a JSON
// number of milliseconds (fractions allowed, converted exactly and truncated
// to the nanosecond) or a duration string (see parseDurationString). nil
// reads as 0 with no error. Other JSON types read as errDurationSyntax.
func readDuration(v any) (time.Duration, error) {
	switch v := v.(type) {
	case nil:
		return 0, nil
	case json.Number:
		dec, ok := parseDecimal(string(v), 6) // milliseconds to nanoseconds
		switch {
		case !ok:
			return 0, errDurationSyntax
		case dec.neg || !dec.nonzero:
			return 0, errDurationNotPositive
		case dec.overflow:
			return 0, errDurationTooLarge
		case dec.v == 0:
			return 0, errDurationTooSmall
		}
		return time.Duration(dec.v), nil
	case string:
		d, err := parseDurationString(v)
		if err != nil {
			return 0, err
		}
		if d <= 0 {
			return 0, errDurationNotPositive
		}
		return d, nil
	}
	return 0, errDurationSyntax
}

// readRetention reads a flow's retention: 0 (the number, or the string
// "0") keeps orders forever; anything else is read as readDuration reads a
// timeout.
func readRetention(v any) (time.Duration, error) {
	switch v := v.(type) {
	case json.Number:
		if dec, ok := parseDecimal(string(v), 0); ok && !dec.nonzero {
			return 0, nil
		}
	case string:
		if strings.TrimSpace(v) == "0" {
			return 0, nil
		}
	}
	return readDuration(v)
}

// durationWords maps the unit words of "30 seconds" to Go's duration units;
// "d" stands for days, which Go's syntax lacks.
var durationWords = map[string]string{
	"ns": "ns", "nanosecond": "ns", "nanoseconds": "ns",
	"us": "us", "µs": "us", "microsecond": "us", "microseconds": "us",
	"ms": "ms", "msec": "ms", "msecs": "ms", "millisecond": "ms", "milliseconds": "ms",
	"s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
	"m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
	"h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
	"d": "d", "day": "d", "days": "d",
}

var durationWordRE = regexp.MustCompile(`^([+-]?[0-9]+(?:\.[0-9]+)?)\s*(\pL+)$`)

// parseDurationString reads Go's syntax ("30s", "1m30s", "1.5h") or a number
// and a unit word ("30 seconds", "2 minutes", "1 day"; case-insensitive).
// A bare number without a unit is rejected: write milliseconds as a JSON
// number instead.
func parseDurationString(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	m := durationWordRE.FindStringSubmatch(s)
	if m == nil {
		return 0, errDurationSyntax
	}
	unit, ok := durationWords[strings.ToLower(m[2])]
	if !ok {
		return 0, errDurationSyntax
	}
	if unit != "d" {
		d, err := time.ParseDuration(m[1] + unit)
		if err != nil {
			return 0, errDurationTooLarge // the syntax is checked by the regexp
		}
		return d, nil
	}
	hours, err := time.ParseDuration(m[1] + "h")
	if err != nil || hours > math.MaxInt64/24 || hours < math.MinInt64/24 {
		return 0, errDurationTooLarge
	}
	return hours * 24, nil
}

// decimal is a JSON number scaled to an integer by parseDecimal.
type decimal struct {
	v        int64 // absolute value, truncated toward zero
	neg      bool  // written with a minus sign
	nonzero  bool  // some digit is not 0
	overflow bool  // the absolute value does not fit in an int64
}

// parseDecimal converts the JSON number s times 10^shift to an integer
// exactly (no floating point), truncating toward zero. It does work bounded
// by len(s) whatever the exponent. ok is false when s is not a JSON number.
func parseDecimal(s string, shift int) (d decimal, ok bool) {
	if strings.HasPrefix(s, "-") {
		d.neg = true
		s = s[1:]
	}
	mant, exp, hasExp := strings.Cut(s, "e")
	if !hasExp {
		mant, exp, hasExp = strings.Cut(s, "E")
	}
	intPart, frac, hasFrac := strings.Cut(mant, ".")
	if !allDigits(intPart) || intPart == "" || (hasFrac && (frac == "" || !allDigits(frac))) {
		return d, false
	}
	e := 0
	if hasExp {
		sign := 1
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			if exp[0] == '-' {
				sign = -1
			}
			exp = exp[1:]
		}
		if exp == "" || !allDigits(exp) {
			return d, false
		}
		exp = strings.TrimLeft(exp, "0")
		if len(exp) > 7 { // beyond any int64 either way
			e = sign * 10_000_000
		} else if exp != "" {
			n, _ := strconv.Atoi(exp)
			e = sign * n
		}
	}
	digits := intPart + frac
	point := len(intPart) + e + shift // digits before the decimal point
	for len(digits) > 0 && digits[0] == '0' {
		digits = digits[1:]
		point--
	}
	digits = strings.TrimRight(digits, "0")
	if digits == "" {
		return d, true
	}
	d.nonzero = true
	switch {
	case point <= 0:
		return d, true
	case point > 19:
		d.overflow = true
		return d, true
	}
	whole := digits
	if point < len(digits) {
		whole = digits[:point]
	} else {
		whole += strings.Repeat("0", point-len(digits))
	}
	u, err := strconv.ParseUint(whole, 10, 64)
	if err != nil || u > math.MaxInt64 {
		d.overflow = true
		return d, true
	}
	d.v = int64(u)
	return d, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatMillis writes d as an exact decimal number of milliseconds, the
// form parseDecimal(…, 6) reads back to the same d.
func formatMillis(d time.Duration) string {
	neg := d < 0
	u := uint64(d)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u/1e6, 10)
	if ns := u % 1e6; ns != 0 {
		s += "." + strings.TrimRight(strconv.FormatUint(1e6+ns, 10)[1:], "0")
	}
	if neg {
		s = "-" + s
	}
	return s
}
