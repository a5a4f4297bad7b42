package retention_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ordohq/ordo"
	"github.com/ordohq/ordo/retention"
)

func TestParsePeriod(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "0", want: 0},
		{in: "30d", want: 30 * day},
		{in: " 7d ", want: 7 * day},
		{in: "12h", want: 12 * time.Hour},
		{in: "90m", want: 90 * time.Minute},
		{in: "1d12h", want: 36 * time.Hour},
		{in: "0d", want: 0},
		{in: "", bad: true},
		{in: "d", bad: true},
		{in: "-1d", bad: true},
		{in: "-5h", bad: true},
		{in: "30", bad: true},
		{in: "thirty days", bad: true},
		{in: "1d-1h", bad: true},
		{in: "999999999999d", bad: true},
	} {
		got, err := retention.ParsePeriod(tc.in)
		if tc.bad {
			if !errors.Is(err, ordo.ErrInvalidArgument) {
				t.Errorf("ParsePeriod(%q) = %v, %v; want ErrInvalidArgument", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}
