package dashboard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// Sign-in throttling: attempts are counted per email and per IP address
// within a one-minute window, in the same storage counters as the password
// grant's brute-force lockout (storage.CountLoginAttempt). An attempt is
// counted when it starts, before its password is compared, by one atomic
// statement; so however many sign-ins arrive at once, on this replica or
// any other sharing the database, at most the limit of them reach a
// compare. A successful sign-in clears its email's count (its IP's keeps
// it, so one known account cannot reset the count while guessing others).
// Past a limit, attempts are refused without a compare until a minute
// after the attempt that reached it.
const (
	throttleWindow   = time.Minute
	maxFailsPerEmail = 5
	maxFailsPerIP    = 20
)

type throttle struct {
	store  storage.Storage
	tenant string
	now    func() time.Time
}

// The counters share the failed_logins table with users' (whose keys are
// user ids, "auth0|..."), under keys of their own. The email is hashed so
// a key has a fixed size whatever was typed.
func throttleEmailKey(email string) string {
	sum := sha256.Sum256([]byte(email))
	return "operator-email:" + hex.EncodeToString(sum[:16])
}

const throttleIPKey = "operator-ip"

// take counts one attempt of ip and email and returns 0, or how long the
// caller must wait when either is past its limit.
func (t *throttle) take(ctx context.Context, ip, email string) (time.Duration, error) {
	now := t.now()
	stale := now.Add(-throttleWindow)
	byEmail, err := t.store.CountLoginAttempt(ctx, t.tenant, throttleEmailKey(email), "", now, stale, maxFailsPerEmail)
	if err != nil {
		return 0, err
	}
	byIP, err := t.store.CountLoginAttempt(ctx, t.tenant, throttleIPKey, ip, now, stale, maxFailsPerIP)
	if err != nil {
		return 0, err
	}
	if byEmail > maxFailsPerEmail || byIP > maxFailsPerIP {
		// At most this long: the block ends a window after the attempt
		// that reached the limit, which storage does not hand back.
		return throttleWindow, nil
	}
	return 0, nil
}

// succeed clears the email's count after a successful sign-in.
func (t *throttle) succeed(ctx context.Context, email string) error {
	return t.store.ResetFailedLogins(ctx, t.tenant, throttleEmailKey(email), "")
}
