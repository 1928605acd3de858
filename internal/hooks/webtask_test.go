package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// contextJSON encodes c and decodes it back, checking it is valid JSON.
func contextJSON(t *testing.T, c Context) map[string]any {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return out
}

func TestContextBodyHidesCredentials(t *testing.T) {
	got := contextJSON(t, Context{Params: map[string]string{
		"grant_type": "client_credentials", "client_id": "cid", "client_secret": "s", "password": "p",
		"client_assertion": "jwt", "client_assertion_type": "urn:x", "org_id": "org_1", "subject_token": "tok",
	}})["body"]
	want := map[string]any{"grant_type": "client_credentials", "client_id": "cid", "client_assertion_type": "urn:x", "org_id": "org_1", "subject_token": "tok"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body %v, want %v", got, want)
	}
}

func TestContextHeadersAsNodeShowsThem(t *testing.T) {
	h := http.Header{}
	h.Set("Authorization", "Basic eDp5")
	h.Set("Proxy-Authorization", "Basic eDp5")
	h.Set("Cookie", "session=1")
	h.Set("User-Agent", "ua/1")
	h.Add("X-Multi", "a")
	h.Add("X-Multi", "b")
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	h["Host"] = []string{"spoofed"} // never in a server request's Header; Host is
	c := contextJSON(t, Context{Header: h, Host: "auth.example:8443", HookName: "h", Trigger: CredentialsExchange, ID: "r-1"})
	wt := c["webtask"].(map[string]any)
	want := map[string]any{"user-agent": "ua/1", "x-multi": "a, b", "content-type": "application/x-www-form-urlencoded", "host": "auth.example:8443"}
	if !reflect.DeepEqual(wt["headers"], want) {
		t.Fatalf("headers %v, want %v", wt["headers"], want)
	}
	// webtask's ctx.data holds the secrets too.
	c = contextJSON(t, Context{Secrets: map[string]string{"API_KEY": "k"}})
	if wt := c["webtask"].(map[string]any); !reflect.DeepEqual(wt["data"], map[string]any{"API_KEY": "k"}) || !reflect.DeepEqual(wt["data"], wt["secrets"]) {
		t.Fatalf("webtask.data %v, secrets %v", wt["data"], wt["secrets"])
	}
	meta := map[string]any{"hook-name": "h", "auth0-extension": "runtime", "auth0-extension-name": CredentialsExchange}
	if !reflect.DeepEqual(wt["meta"], meta) || wt["id"] != "r-1" {
		t.Fatalf("meta %v id %v", wt["meta"], wt["id"])
	}
}

// The context is encoded by hand; every string must come out as
// encoding/json would decode what it encodes.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "nl\n cr\r tab\t", "\x00\x01\x1f\x7f", "é ü 日本 🚀",
		"\u2028\u2029", "bad \xff\xfe utf8", "<script>&", strings.Repeat("x", 1000)} {
		var got, want any
		if err := json.Unmarshal(appendJSONString(nil, s), &got); err != nil {
			t.Fatalf("%q: %s: %v", s, appendJSONString(nil, s), err)
		}
		b, _ := json.Marshal(s)
		_ = json.Unmarshal(b, &want)
		if got != want {
			t.Fatalf("%q decodes as %q, encoding/json's as %q", s, got, want)
		}
	}
}

func TestScratchStorage(t *testing.T) {
	ctx := context.Background()
	s := &scratchStorage{}
	if d, v, err := s.Get(ctx); d != nil || v != "" || err != nil {
		t.Fatalf("empty scratch: %s %q %v", d, v, err)
	}
	v1, err := s.Set(ctx, json.RawMessage(`{"n":1}`), "", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Set(ctx, json.RawMessage(`{"n":2}`), "", false); !errors.Is(err, sandbox.ErrStorageConflict) {
		t.Fatalf("write over a document from no version: %v", err)
	}
	if _, err := s.Set(ctx, json.RawMessage(`{"n":2}`), v1, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Set(ctx, json.RawMessage(`{"n":3}`), v1, true); err != nil {
		t.Fatalf("force: %v", err)
	}
	if d, _, _ := s.Get(ctx); string(d) != `{"n":3}` {
		t.Fatalf("after force: %s", d)
	}
	big := json.RawMessage(`"` + strings.Repeat("x", sandbox.MaxStorageBytes) + `"`)
	if _, err := s.Set(ctx, big, "", true); err == nil || !strings.Contains(err.Error(), "500 KB") {
		t.Fatalf("over the cap: %v", err)
	}
}
