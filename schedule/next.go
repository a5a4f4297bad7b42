package schedule

import "time"

// next returns the first fire time strictly after t, or the zero time when
// none is left (a cron expression that matches no date within five years).
//
// Intervals are aligned on the Unix epoch: "every 15m" fires at :00, :15,
// :30 and :45 UTC, "every 1s" on each whole second.
//
// Cron times are read in the schedule's time zone, with these rules for
// daylight-saving changes:
//   - a wall time that does not exist (02:30 in Europe/Berlin on the day the
//     clocks go from 02:00 to 03:00) is skipped that day: robfig/cron's
//     parser does so, and a daily job then fires once that day at its other
//     times or not at all (a daily 02:30 does not fire on 2026-03-29);
//   - a wall time that happens twice (02:30 on the day the clocks go back)
//     fires once, at its first occurrence.
func (c *compiled) next(t time.Time) time.Time {
	if c.cron == nil {
		e := int64(c.every / time.Second)
		s := t.Unix()
		k := s/e + 1
		if s < 0 && s%e != 0 {
			k = s / e
		}
		return time.Unix(k*e, 0).UTC()
	}
	n := c.cron.Next(t.In(c.loc))
	for i := 0; i < 4 && !n.IsZero() && repeated(n); i++ {
		n = c.cron.Next(n)
	}
	return n.UTC()
}

// repeated reports whether the wall time of n (in its location) already
// happened shortly before n: n is the second occurrence of a wall time in
// a change back from summer time.
func repeated(n time.Time) bool {
	for _, d := range []time.Duration{15 * time.Minute, 30 * time.Minute, 45 * time.Minute, time.Hour, 2 * time.Hour} {
		p := n.Add(-d).In(n.Location())
		if p.Hour() == n.Hour() && p.Minute() == n.Minute() && p.Second() == n.Second() && p.Day() == n.Day() {
			return true
		}
	}
	return false
}

// Next returns the next n fire times of s strictly after t (fewer when the
// schedule ends). n is at most 100.
func (s *Spec) Next(t time.Time, n int) ([]time.Time, error) {
	c, err := compile(s)
	if err != nil {
		return nil, err
	}
	return c.nextN(t, n), nil
}

func (c *compiled) nextN(t time.Time, n int) []time.Time {
	n = min(max(n, 0), 100)
	out := make([]time.Time, 0, n)
	for len(out) < n {
		t = c.next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out
}
