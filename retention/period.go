package retention

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/ordohq/ordo"
)

// ParsePeriod reads a retention period as ordo serve --retention and
// ordo instances purge --older-than take it: "0" (keep forever), a number
// of days ("30d"), Go's duration syntax with hours, minutes and seconds
// ("12h", "90m"), or days followed by it ("1d12h"). A negative, empty or
// unreadable period wraps ordo.ErrInvalidArgument.
func ParsePeriod(s string) (time.Duration, error) {
	bad := func(why string) error {
		return fmt.Errorf("%w: period %q %s; write days, hours or minutes such as 30d, 12h, 90m or 1d12h, or 0", ordo.ErrInvalidArgument, s, why)
	}
	t := strings.TrimSpace(s)
	if t == "0" {
		return 0, nil
	}
	if t == "" {
		return 0, bad("is empty")
	}
	var days int64
	rest := t
	if i := strings.IndexByte(t, 'd'); i >= 0 {
		n, err := strconv.ParseInt(t[:i], 10, 64)
		if err != nil || n < 0 {
			return 0, bad("is not a duration")
		}
		if n > math.MaxInt64/int64(24*time.Hour) {
			return 0, bad("is too long")
		}
		days, rest = n, t[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, bad("is not a duration")
		}
	}
	total := time.Duration(days) * 24 * time.Hour
	if d < 0 || total > math.MaxInt64-d {
		return 0, bad("is negative or too long")
	}
	return total + d, nil
}
