package storagetest

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// Run runs the conformance suite. open must return a fresh, empty store
// each time it is called and close it when t ends (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) storage.Storage) {
	areas := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) storage.Storage)
	}{
		{"Clients", testClients},
		{"ResourceServers", testResourceServers},
		{"ClientGrants", testClientGrants},
		{"SigningKeys", testSigningKeys},
		{"TenantSettings", testSettings},
		{"LogEvents", testLogEvents},
		{"Hooks", testHooks},
		{"HookStorage", testHookStorage},
		{"Actions", testActions},
		{"NPMLockfiles", testNPMLockfiles},
		{"Operators", testOperators},
		{"Users", testUsers},
		{"Outbox", testOutbox},
		{"PasswordTickets", testPasswordTickets},
		{"TenantIsolation", testTenantIsolation},
		{"LoadCatalog", testLoadCatalog},
		{"ConcurrentUpdates", testConcurrentUpdates},
		{"Subscribe", testSubscribe},
		{"CatalogChanges", testCatalogChanges},
	}
	for _, a := range areas {
		t.Run(a.name, func(t *testing.T) { a.run(t, open) })
	}
}

// t0 is the suite's clock: fixed, with microsecond detail so a backend that
// stores less than millisecond precision fails the round-trip checks.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)

func at(seconds int) time.Time { return t0.Add(time.Duration(seconds) * time.Second) }

// errBoom is what update functions return to prove the error aborts the
// update and comes back unchanged.
var errBoom = errors.New("storagetest: boom")

func mustNil(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func mustIs(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

func mustEqual[T any](t *testing.T, got, want T, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}
