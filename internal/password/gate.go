package password

import (
	"context"
	"sync"
)

// AttemptGate lets the login attempts of one key (a user or unknown name,
// from one IP) compare their passwords one at a time in this process. An
// attempt is counted in storage before its compare and a success resets
// the count, so correct attempts running side by side would count as
// failures while in flight and trip the lockout; one at a time, each sees
// only real failures. A key exists only while attempts hold or wait for
// it, and the waiters per key are bounded, so the gate holds little
// whatever callers send. The zero value is ready to use.
type AttemptGate struct {
	mu   sync.Mutex
	keys map[string]*gateKey
}

type gateKey struct {
	turn  chan struct{} // 1-buffered: held by the attempt comparing
	users int           // attempts holding or waiting
}

// Enter waits for key's turn. It fails without waiting when maxWaiting
// attempts already wait for key, and fails when ctx ends first; leave
// must be called once the attempt's count is settled.
func (g *AttemptGate) Enter(ctx context.Context, key string, maxWaiting int) (leave func(), ok bool) {
	g.mu.Lock()
	if g.keys == nil {
		g.keys = map[string]*gateKey{}
	}
	k := g.keys[key]
	if k == nil {
		k = &gateKey{turn: make(chan struct{}, 1)}
		g.keys[key] = k
	}
	if k.users > maxWaiting {
		g.mu.Unlock()
		return nil, false
	}
	k.users++
	g.mu.Unlock()
	select {
	case k.turn <- struct{}{}:
		return func() {
			<-k.turn
			g.done(key, k)
		}, true
	case <-ctx.Done():
		g.done(key, k)
		return nil, false
	}
}

func (g *AttemptGate) done(key string, k *gateKey) {
	g.mu.Lock()
	if k.users--; k.users == 0 {
		delete(g.keys, key)
	}
	g.mu.Unlock()
}
