package ordotest

import (
	"sort"
	"sync"
	"time"

	"github.com/ordohq/ordo"
)

// Clock is a virtual clock for tests: time moves only when Advance or Set
// is called, and timers due by then fire in order. It implements ordo.Clock.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers []*timer
}

var _ ordo.TimerAtClock = (*Clock)(nil)

// NewClock returns a clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// NewTimer returns a timer that fires when the clock passes now+d.
func (c *Clock) NewTimer(d time.Duration) ordo.Timer {
	return c.add(d, nil)
}

// NewTimerAt returns a timer that fires when the clock reaches t.
func (c *Clock) NewTimerAt(t time.Time) ordo.Timer {
	return c.addAt(func(time.Time) time.Time { return t }, nil)
}

// AfterFunc calls f in its own goroutine when the clock passes now+d.
func (c *Clock) AfterFunc(d time.Duration, f func()) ordo.Timer {
	return c.add(d, f)
}

func (c *Clock) add(d time.Duration, f func()) *timer {
	return c.addAt(func(now time.Time) time.Time { return now.Add(d) }, f)
}

// addAt adds a timer firing at at(now), now read under the same lock.
func (c *Clock) addAt(at func(now time.Time) time.Time, f func()) *timer {
	c.mu.Lock()
	c.seq++
	t := &timer{clock: c, at: at(c.now), fn: f, seq: c.seq}
	if f == nil {
		t.ch = make(chan time.Time, 1)
	}
	c.timers = append(c.timers, t)
	due := !t.at.After(c.now)
	c.mu.Unlock()
	if due {
		c.Advance(0)
	}
	return t
}

// Advance moves the clock forward by d and fires the timers now due.
func (c *Clock) Advance(d time.Duration) {
	c.Set(c.Now().Add(d))
}

// Set moves the clock to t (never backwards) and fires the timers now due.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	now := c.now
	var due, keep []*timer
	for _, tm := range c.timers {
		if !tm.at.After(now) {
			due = append(due, tm)
		} else {
			keep = append(keep, tm)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	sort.Slice(due, func(i, j int) bool {
		if due[i].at.Equal(due[j].at) {
			return due[i].seq < due[j].seq
		}
		return due[i].at.Before(due[j].at)
	})
	for _, tm := range due {
		tm.fire(now)
	}
}

// NextTimer returns when the earliest pending timer fires.
func (c *Clock) NextTimer() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var next time.Time
	for _, tm := range c.timers {
		if next.IsZero() || tm.at.Before(next) {
			next = tm.at
		}
	}
	return next, !next.IsZero()
}

type timer struct {
	clock *Clock
	at    time.Time
	fn    func()
	ch    chan time.Time
	seq   int
}

func (t *timer) fire(now time.Time) {
	if t.fn != nil {
		go t.fn()
		return
	}
	select {
	case t.ch <- now:
	default:
	}
}

// C returns the timer's channel (nil for AfterFunc timers).
func (t *timer) C() <-chan time.Time { return t.ch }

// Stop removes the timer; it reports whether it was still pending.
func (t *timer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, tm := range c.timers {
		if tm == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}
