package password

import (
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestCheckPolicy(t *testing.T) {
	cases := []struct {
		pw string
		ok bool
	}{
		{"", false},
		{"1234567", false},
		{"12345678", true},
		{"pässwörd", true}, // 8 characters, 10 bytes
		{"pässwö", false},
		{strings.Repeat("a", 72), true},
		{strings.Repeat("a", 73), false},
	}
	for _, c := range cases {
		err := CheckPolicy(c.pw)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrPolicy)) {
			t.Errorf("CheckPolicy(%q) = %v, want ok=%v", c.pw, err, c.ok)
		}
	}
}

func TestHashMatchAndImport(t *testing.T) {
	h, err := NewHasher(MinCost)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Hash("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost([]byte(hash)); c != MinCost {
		t.Fatalf("cost %d, want %d", c, MinCost)
	}
	if !h.Matches(hash, "correct horse") || h.Matches(hash, "correct horsE") || h.Matches("", "") {
		t.Fatal("Matches is wrong")
	}
	// A hash made elsewhere at another cost still verifies (imports).
	other, _ := bcrypt.GenerateFromPassword([]byte("imported!"), 5)
	if !ValidHash(string(other)) || !h.Matches(string(other), "imported!") {
		t.Fatal("an imported bcrypt hash does not verify")
	}
	for _, bad := range []string{"", "plain", "$2a$10$short", "$1$" + strings.Repeat("x", 57), strings.Replace(string(other), "$05$", "$99$", 1)} {
		if ValidHash(bad) {
			t.Errorf("ValidHash(%q) = true", bad)
		}
	}
	if _, err := NewHasher(3); err == nil {
		t.Fatal("cost 3 accepted")
	}
}

// TestWasteCostsLikeACompare checks that the dummy compare is a real bcrypt
// compare at the hasher's cost: cost 12 makes one compare ~16x a cost-8
// one, so a Waste that skipped the work would stand out by far.
func TestWasteCostsLikeACompare(t *testing.T) {
	h, err := NewHasher(10)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := bcrypt.Cost(h.dummy); c != 10 {
		t.Fatalf("dummy cost %d", c)
	}
	// The comparison of wall times takes seconds of bcrypt and is at the
	// mercy of a loaded machine: the edit-test loop leaves it to make test.
	if testing.Short() {
		t.Skip("-short: the timing comparison runs in make test")
	}
	real, _ := h.Hash("some password")
	took := func(f func()) time.Duration {
		start := time.Now()
		f()
		return time.Since(start)
	}
	// Interleaved, best of each: a burst of load from elsewhere slows both
	// sides alike, or is left out by the minimum.
	known, unknown := time.Hour, time.Hour
	for range 5 {
		known = min(known, took(func() { h.Matches(real, "wrong password") }))
		unknown = min(unknown, took(func() { h.Waste("wrong password") }))
	}
	if unknown < known/3 || unknown > known*3 {
		t.Fatalf("unknown-user compare %v vs known-user compare %v", unknown, known)
	}
}

func TestLockout(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	l := Lockout{Threshold: 10, Window: time.Hour}
	cases := []struct {
		count int
		last  time.Time
		want  bool
	}{
		{9, now, false},
		{10, now, true},
		{11, now.Add(-59 * time.Minute), true},
		{10, now.Add(-time.Hour), false},
		{0, now, false},
	}
	for _, c := range cases {
		if got := l.Blocked(c.count, c.last, now); got != c.want {
			t.Errorf("Blocked(%d, %v) = %v", c.count, now.Sub(c.last), got)
		}
	}
	if (Lockout{Threshold: 0, Window: time.Hour}).Blocked(100, now, now) {
		t.Error("threshold 0 must disable the lockout")
	}
}

func TestUnknownLoginKeyAndAttempt(t *testing.T) {
	a := UnknownLoginKey("Username-Password-Authentication", "Ann@Example.com")
	if a != UnknownLoginKey("Username-Password-Authentication", "ann@example.com") || !strings.HasPrefix(a, "login:") || len(a) != 38 {
		t.Fatalf("key %q must ignore case and have a fixed size", a)
	}
	if a == UnknownLoginKey("other", "ann@example.com") || a == UnknownLoginKey("Username-Password-Authentication", "bob@example.com") {
		t.Fatal("keys of different names or connections collide")
	}
	if long := UnknownLoginKey("c", strings.Repeat("x", 60000)); len(long) != 38 {
		t.Fatalf("a long name gives a %d-byte key", len(long))
	}
	l := Lockout{Threshold: 3}
	for n, want := range map[int]bool{1: true, 3: true, 4: false, 200: false} {
		if l.Attempt(n) != want {
			t.Errorf("Attempt(%d) = %v", n, !want)
		}
	}
	if !(Lockout{}).Attempt(1000) {
		t.Error("threshold 0 must never refuse")
	}
}
