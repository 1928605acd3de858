package npm

import (
	"encoding/json"
	"testing"
)

func TestLockfileHash(t *testing.T) {
	lock := func(rootSpec, resolved, integrity string) lockfile {
		b := `{"name":"x","lockfileVersion":3,"packages":{"":{"dependencies":{"is-number":"` + rootSpec + `"}},
		"node_modules/is-number":{"version":"7.0.0","resolved":"` + resolved + `","integrity":"` + integrity + `"}}}`
		l, err := parseLockfile([]byte(b))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	a := lock("7.0.0", "https://registry.npmjs.org/is-number/-/is-number-7.0.0.tgz", "sha512-A")
	// Another declaration and another mirror of the same bytes: one tree.
	if b := lock("^7.0.0", "https://mirror.example/is-number-7.0.0.tgz", "sha512-A"); b.hash() != a.hash() {
		t.Fatal("the same resolved set hashes differently")
	}
	if c := lock("7.0.0", "", "sha512-B"); c.hash() == a.hash() {
		t.Fatal("other bytes, same hash")
	}
	if len(a.hash()) != 64 || !validHash(a.hash()) {
		t.Fatalf("hash %q", a.hash())
	}
	if got := a.direct(); got["is-number"] != "7.0.0" || len(got) != 1 {
		t.Fatalf("direct %v", got)
	}
	var m map[string]any
	mb, _ := a.manifest()
	if err := json.Unmarshal(mb, &m); err != nil || m["name"] != manifestName || m["dependencies"].(map[string]any)["is-number"] != "7.0.0" {
		t.Fatalf("manifest %s", mb)
	}
	for _, bad := range []string{`{}`, `{"lockfileVersion":1,"dependencies":{}}`, `{"lockfileVersion":3,"packages":{}}`, `not json`} {
		if _, err := parseLockfile([]byte(bad)); err == nil {
			t.Errorf("parseLockfile(%s) accepted", bad)
		}
	}
}
