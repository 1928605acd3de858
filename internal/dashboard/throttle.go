package dashboard

import (
	"sync"
	"time"
)

// Sign-in throttling: attempts are counted per IP and per email in a fixed
// one-minute window. An attempt is counted when it starts, before its
// password is compared, and under the same lock as the check; so however
// many sign-ins arrive at once, at most the limit of them reach a compare.
// A successful sign-in takes its attempt back from the IP's count and
// clears the email's. Past the limit, attempts are refused without a
// compare.
//
// The counts live in this process: replicas behind one load balancer each
// allow the limit (the user-facing brute-force lockout of the password
// grant is the one kept in shared storage).
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

func throttleKeys(ip, email string) [2]string { return [2]string{"ip:" + ip, "email:" + email} }

func throttleLimit(i int) int {
	if i == 0 {
		return maxFailsPerIP
	}
	return maxFailsPerEmail
}

// take counts one attempt of ip and email and returns 0, or, when either
// is at its limit, how long the caller must wait (the attempt is then not
// counted). Old windows are dropped as they are met, and the whole map
// when it grows large, so a flood of distinct emails cannot exhaust
// memory.
func (t *throttle) take(ip, email string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	keys := throttleKeys(ip, email)
	var wait time.Duration
	for i, key := range keys {
		if w := t.w[key]; w != nil && now.Sub(w.start) < throttleWindow && w.fails >= throttleLimit(i) {
			wait = max(wait, throttleWindow-now.Sub(w.start))
		}
	}
	if wait > 0 {
		return wait
	}
	if len(t.w) > 10000 {
		for k, w := range t.w {
			if now.Sub(w.start) >= throttleWindow {
				delete(t.w, k)
			}
		}
	}
	for _, key := range keys {
		w := t.w[key]
		if w == nil || now.Sub(w.start) >= throttleWindow {
			w = &window{start: now}
			t.w[key] = w
		}
		w.fails++
	}
	return 0
}

// succeed takes a successful attempt back: the IP's count loses it and the
// email's failures are forgotten. The IP's other failures stay, so one
// known account cannot be used to reset the count while guessing others.
func (t *throttle) succeed(ip, email string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if w := t.w["ip:"+ip]; w != nil && w.fails > 0 {
		w.fails--
	}
	delete(t.w, "email:"+email)
}
