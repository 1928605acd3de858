package signup

import (
	"sync"
	"time"
)

// maxTracked bounds the limiter's memory: past it, windows that ended are
// dropped, and if none has, everything is (a flood of distinct addresses
// then resets the counters rather than growing the map).
const maxTracked = 100000

// limiter allows n signups per address per minute (fixed windows): enough
// to stop one address creating accounts in bulk, with no state to share.
type limiter struct {
	n   int
	now func() time.Time
	mu  sync.Mutex
	by  map[string]window
}

type window struct {
	start time.Time
	count int
}

func newLimiter(n int, now func() time.Time) *limiter {
	return &limiter{n: n, now: now, by: map[string]window{}}
}

// allow counts one attempt from ip and reports whether it is within the
// limit. A limiter of 0 allows everything.
func (l *limiter) allow(ip string) bool {
	if l == nil || l.n <= 0 {
		return true
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.by[ip]
	if now.Sub(w.start) >= time.Minute || now.Before(w.start) {
		w = window{start: now}
	}
	w.count++
	if _, ok := l.by[ip]; !ok && len(l.by) >= maxTracked {
		for k, v := range l.by {
			if now.Sub(v.start) >= time.Minute {
				delete(l.by, k)
			}
		}
		if len(l.by) >= maxTracked {
			clear(l.by)
		}
	}
	l.by[ip] = w
	return w.count <= l.n
}
