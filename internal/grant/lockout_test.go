package grant_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/tokenhook/tokenhook/internal/grant"
)

// heldCompares holds every compare until release is closed, counting the
// compares that are running.
type heldCompares struct {
	grant.Passwords
	entered chan struct{}
	release chan struct{}
	running atomic.Int32
	most    atomic.Int32
}

func (h *heldCompares) Matches(hash, pw string) bool {
	n := h.running.Add(1)
	defer h.running.Add(-1)
	for m := h.most.Load(); n > m && !h.most.CompareAndSwap(m, n); m = h.most.Load() {
	}
	h.entered <- struct{}{}
	<-h.release
	return h.Passwords.Matches(hash, pw)
}

// TestConcurrentCorrectLoginsAreNotLockedOut: more correct logins of one
// user from one IP at once than the lockout threshold all get tokens. The
// attempt is counted before the compare, so unless the attempts of one key
// take turns, those in flight count as failures and the later ones get a
// 429 although every password is right.
func TestConcurrentCorrectLoginsAreNotLockedOut(t *testing.T) {
	held := &heldCompares{entered: make(chan struct{}, 64), release: make(chan struct{})}
	srv := newEndpointWith(t, true, func(p grant.Passwords) grant.Passwords { held.Passwords = p; return held })
	const n = 11 // past the threshold; the gate lets that many wait behind the one comparing
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _ := post(t, srv, "grant_type", "password", "client_id", "app", "client_secret", "app-secret",
				"username", "ann@example.com", "password", annPW, "audience", api)
			statuses <- status
		}()
	}
	// The first compare is under way; any attempt that was going to be
	// refused while it is held has been answered by the time all others
	// wait (with the gate) or have counted (without it).
	<-held.entered
	close(held.release)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 200 {
			t.Errorf("a correct login got %d", s)
		}
	}
	if m := held.most.Load(); m != 1 {
		t.Errorf("%d compares of one user ran at once, want 1", m)
	}
}
