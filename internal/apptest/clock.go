package apptest

import (
	"sync/atomic"
	"time"
)

// Clock is the sessions' time in a running test server: the wall clock
// moved by an offset the test sets while requests are in flight (a
// browser refreshes its token in the background, so swapping the
// service's Now func under it would be a data race).
type Clock struct{ off atomic.Int64 }

// Now is the wall clock plus the offset.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.off.Load())) }

// Set moves the clock to d after the wall clock (0 puts it back).
func (c *Clock) Set(d time.Duration) { c.off.Store(int64(d)) }
