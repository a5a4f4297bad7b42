package flow

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"
)

func TestReadDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      any
		want    time.Duration
		wantErr error
	}{
		{nil, 0, nil},
		{json.Number("30000"), 30 * time.Second, nil},
		{json.Number("1.5"), 1500 * time.Microsecond, nil},
		{json.Number("0.000001"), 1, nil},
		{json.Number("0.0000019"), 1, nil}, // truncated to the nanosecond
		{json.Number("3e4"), 30 * time.Second, nil},
		{json.Number("3E+4"), 30 * time.Second, nil},
		{json.Number("300000e-1"), 30 * time.Second, nil},
		{json.Number("9223372036854.775807"), math.MaxInt64, nil},
		{json.Number("9223372036854.775808"), 0, errDurationTooLarge},
		{json.Number("1e13"), 0, errDurationTooLarge},
		{json.Number("1e99999999999999999999"), 0, errDurationTooLarge},
		{json.Number("1e-99999999999999999999"), 0, errDurationTooSmall},
		{json.Number("0.0000001"), 0, errDurationTooSmall},
		{json.Number("0"), 0, errDurationNotPositive},
		{json.Number("-0"), 0, errDurationNotPositive},
		{json.Number("0.000e5"), 0, errDurationNotPositive},
		{json.Number("-5"), 0, errDurationNotPositive},
		{json.Number("1x"), 0, errDurationSyntax},
		{"30s", 30 * time.Second, nil},
		{" 1m30s ", 90 * time.Second, nil},
		{"1.5h", 90 * time.Minute, nil},
		{"250ms", 250 * time.Millisecond, nil},
		{"30 seconds", 30 * time.Second, nil},
		{"1 second", time.Second, nil},
		{"30 Seconds", 30 * time.Second, nil},
		{"30sec", 30 * time.Second, nil},
		{"2 minutes", 2 * time.Minute, nil},
		{"2 mins", 2 * time.Minute, nil},
		{"1.5 hours", 90 * time.Minute, nil},
		{"2 days", 48 * time.Hour, nil},
		{"1d", 24 * time.Hour, nil},
		{"500 milliseconds", 500 * time.Millisecond, nil},
		{"106751 days", 106751 * 24 * time.Hour, nil},
		{"106752 days", 0, errDurationTooLarge},
		{"9999999999h", 0, errDurationTooLarge},
		{"0s", 0, errDurationNotPositive},
		{"-1 minute", 0, errDurationNotPositive},
		{"30", 0, errDurationSyntax},
		{"", 0, errDurationSyntax},
		{"soon", 0, errDurationSyntax},
		{"30 fortnights", 0, errDurationSyntax},
		{"1 minute 30 seconds", 0, errDurationSyntax},
		{true, 0, errDurationSyntax},
	}
	for _, tc := range tests {
		got, err := readDuration(tc.in)
		if got != tc.want || !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
			t.Errorf("readDuration(%#v) = %v, %v; want %v, %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestFormatMillis(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0"},
		{time.Millisecond, "1"},
		{30 * time.Second, "30000"},
		{1500 * time.Microsecond, "1.5"},
		{1, "0.000001"},
		{time.Millisecond + 10, "1.00001"},
		{-1500 * time.Microsecond, "-1.5"},
		{math.MaxInt64, "9223372036854.775807"},
		{math.MinInt64, "-9223372036854.775808"},
	}
	for _, tc := range tests {
		if got := formatMillis(tc.in); got != tc.want {
			t.Errorf("formatMillis(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzFormatMillis checks that every positive duration survives the trip to
// milliseconds and back exactly, which Hash relies on.
func FuzzFormatMillis(f *testing.F) {
	for _, d := range []int64{1, 999_999, 1_000_000, 1_500_000, math.MaxInt64} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, n int64) {
		if n <= 0 {
			return
		}
		s := formatMillis(time.Duration(n))
		got, err := readDuration(json.Number(s))
		if err != nil || got != time.Duration(n) {
			t.Fatalf("readDuration(formatMillis(%d) = %s) = %d, %v", n, s, got, err)
		}
	})
}
