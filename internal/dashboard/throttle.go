package dashboard

import (
	"sync"
	"time"
)

// Sign-in throttling: failed attempts are counted per IP and per email in
// a fixed one-minute window. Past the limit, attempts are refused without
// checking the password, so guessing costs at most a few tries a minute
// per account and per address.
const (
	throttleWindow   = time.Minute
	maxFailsPerEmail = 5
	maxFailsPerIP    = 20
)

type window struct {
	start time.Time
	fails int
}

type throttle struct {
	now func() time.Time
	mu  sync.Mutex
	w   map[string]*window
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, w: map[string]*window{}}
}

// blocked reports how long the caller must wait, or 0.
func (t *throttle) blocked(ip, email string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var wait time.Duration
	for key, limit := range map[string]int{"ip:" + ip: maxFailsPerIP, "email:" + email: maxFailsPerEmail} {
		w := t.w[key]
		if w == nil || now.Sub(w.start) >= throttleWindow {
			continue
		}
		if w.fails >= limit {
			wait = max(wait, throttleWindow-now.Sub(w.start))
		}
	}
	return wait
}

// fail records a failed attempt. Old windows are dropped as they are met,
// and the whole map when it grows large, so a flood of distinct emails
// cannot exhaust memory.
func (t *throttle) fail(ip, email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.w) > 10000 {
		for k, w := range t.w {
			if now.Sub(w.start) >= throttleWindow {
				delete(t.w, k)
			}
		}
	}
	for _, key := range []string{"ip:" + ip, "email:" + email} {
		w := t.w[key]
		if w == nil || now.Sub(w.start) >= throttleWindow {
			w = &window{start: now}
			t.w[key] = w
		}
		w.fails++
	}
}

// succeed forgets the email's failures; the IP's stay, so one known
// account cannot be used to reset the counter while guessing others.
func (t *throttle) succeed(email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.w, "email:"+email)
}
