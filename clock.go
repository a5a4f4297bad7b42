package ordo

import "time"

// Clock is the engine's source of time. The default is the wall clock;
// tests inject a virtual clock (see package ordotest) so that hours of
// sleeps and retry delays pass at once.
//
// A virtual clock should also implement TimerAtClock: where the engine
// waits for a time rather than for a duration (its idle loop, until the
// next due wake-up), a timer of a duration made just after another
// goroutine set the clock ahead would fire late, at a time the clock may
// never be set to.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// NewTimer returns a timer that fires once after d.
	NewTimer(d time.Duration) Timer
	// AfterFunc calls f in its own goroutine after d.
	AfterFunc(d time.Duration, f func()) Timer
}

// TimerAtClock is a Clock that makes timers for a time.
type TimerAtClock interface {
	Clock
	// NewTimerAt returns a timer that fires once the clock reaches t (at
	// once if it has).
	NewTimerAt(t time.Time) Timer
}

// newTimerAt returns a timer of c that fires at t: c's own if c is a
// TimerAtClock, else one of the time left until t (at least 0).
func newTimerAt(c Clock, t time.Time) Timer {
	if tc, ok := c.(TimerAtClock); ok {
		return tc.NewTimerAt(t)
	}
	return c.NewTimer(max(t.Sub(c.Now()), 0))
}

// Timer is a one-shot timer created by a Clock.
type Timer interface {
	// C delivers the time when the timer fires (nil for AfterFunc timers).
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it did.
	Stop() bool
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (SystemClock) NewTimer(d time.Duration) Timer { return sysTimer{t: time.NewTimer(d)} }

// AfterFunc wraps time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer {
	return sysTimer{t: time.AfterFunc(d, f)}
}

type sysTimer struct{ t *time.Timer }

func (s sysTimer) C() <-chan time.Time { return s.t.C }
func (s sysTimer) Stop() bool          { return s.t.Stop() }
