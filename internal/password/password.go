package password

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// DefaultCost is bcrypt's work factor unless configured: Auth0's own, and
// about 50 ms of one core on current hardware.
const DefaultCost = 10

// Cost bounds of the bcrypt algorithm itself.
const (
	MinCost = bcrypt.MinCost
	MaxCost = bcrypt.MaxCost
)

// Policy limits (docs/configuration.md states them).
const (
	// MinLength is the shortest password accepted, counted in characters.
	MinLength = 8
	// MaxBytes is bcrypt's input limit: longer passwords would be
	// silently truncated by other implementations; this one refuses them.
	MaxBytes = 72
)

// ErrPolicy is wrapped by every CheckPolicy failure.
var ErrPolicy = errors.New("password does not meet the policy")

// CheckPolicy reports why pw is not acceptable, or nil.
func CheckPolicy(pw string) error {
	if utf8.RuneCountInString(pw) < MinLength {
		return fmt.Errorf("%w: at least %d characters are required", ErrPolicy, MinLength)
	}
	if len(pw) > MaxBytes {
		return fmt.Errorf("%w: at most %d bytes are allowed", ErrPolicy, MaxBytes)
	}
	return nil
}

// ValidHash reports whether h is a bcrypt hash this package can verify
// ($2a$, $2b$ or $2y$ with a cost in range), for imports.
func ValidHash(h string) bool {
	if len(h) != 60 || !(strings.HasPrefix(h, "$2a$") || strings.HasPrefix(h, "$2b$") || strings.HasPrefix(h, "$2y$")) {
		return false
	}
	_, err := bcrypt.Cost([]byte(h))
	return err == nil
}

// Hasher hashes and compares at one cost.
type Hasher struct {
	cost  int
	dummy []byte
}

// NewHasher builds a Hasher; it spends one hash computing its dummy.
func NewHasher(cost int) (*Hasher, error) {
	if cost < MinCost || cost > MaxCost {
		return nil, fmt.Errorf("password: bcrypt cost %d out of range %d..%d", cost, MinCost, MaxCost)
	}
	// The dummy's password is random, so no input can ever match it.
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	dummy, err := bcrypt.GenerateFromPassword([]byte(hex.EncodeToString(b)), cost)
	if err != nil {
		return nil, fmt.Errorf("password: dummy hash: %w", err)
	}
	return &Hasher{cost: cost, dummy: dummy}, nil
}

// Cost is the work factor new hashes get.
func (h *Hasher) Cost() int { return h.cost }

// Hash hashes pw. Callers check the policy first; Hash only refuses what
// bcrypt cannot take.
func (h *Hasher) Hash(pw string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(pw), h.cost)
	if err != nil {
		return "", fmt.Errorf("password: hash: %w", err)
	}
	return string(b), nil
}

// Matches reports whether pw matches hash. An empty or malformed hash
// (a user imported without one) is compared against the dummy instead,
// so it costs the same and never matches.
func (h *Hasher) Matches(hash, pw string) bool {
	if hash == "" {
		h.Waste(pw)
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

// Waste spends what comparing pw against a real hash would, for a login
// whose user does not exist.
func (h *Hasher) Waste(pw string) {
	_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(pw))
}

// Lockout is the brute-force rule: Threshold consecutive failures of one
// user from one IP block that pair until an administrator lifts the block,
// a success resets the count, or Window passes after the last failure.
// Threshold 0 turns the protection off.
type Lockout struct {
	Threshold int
	Window    time.Duration
}

// DefaultLockout is Auth0's threshold with a one-day expiry.
var DefaultLockout = Lockout{Threshold: 10, Window: 24 * time.Hour}

// Blocked reports whether count failures, the last at last, block now.
func (l Lockout) Blocked(count int, last, now time.Time) bool {
	return l.Threshold > 0 && count >= l.Threshold && !l.Stale(last, now)
}

// Stale reports whether a counter last touched at last has expired.
func (l Lockout) Stale(last, now time.Time) bool {
	return !last.After(now.Add(-l.Window))
}

// StaleBefore is the instant before which a counter counts as expired.
func (l Lockout) StaleBefore(now time.Time) time.Time { return now.Add(-l.Window) }

// UnknownLoginKey is the counter key of a login name that matches no user
// of connection. Unknown names are counted like users, so a 429 does not
// reveal which names exist; the key is a digest of the case-folded name
// (logins ignore case), of fixed size whatever the caller sent, and never
// a user id (those start with "auth0|").
func UnknownLoginKey(connection, login string) string {
	sum := sha256.Sum256([]byte(connection + "\x00" + strings.ToLower(login)))
	return "login:" + hex.EncodeToString(sum[:16])
}

// Attempt decides one login attempt from n, the count CountLoginAttempt
// returned for it (this attempt included): the attempt may compare its
// password only while n is within the threshold.
func (l Lockout) Attempt(n int) (compare bool) {
	return l.Threshold <= 0 || n <= l.Threshold
}
