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

func TestRequestBodyHidesCredentials(t *testing.T) {
	got := RequestBody(map[string]string{
		"grant_type": "client_credentials", "client_id": "cid", "client_secret": "s", "password": "p",
		"client_assertion": "jwt", "client_assertion_type": "urn:x", "org_id": "org_1", "subject_token": "tok",
	})
	want := map[string]string{"grant_type": "client_credentials", "client_id": "cid", "client_assertion_type": "urn:x", "org_id": "org_1", "subject_token": "tok"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body %v, want %v", got, want)
	}
}

func TestRequestHeadersAsNodeShowsThem(t *testing.T) {
	h := http.Header{}
	h.Set("Authorization", "Basic eDp5")
	h.Set("Proxy-Authorization", "Basic eDp5")
	h.Set("Cookie", "session=1")
	h.Set("User-Agent", "ua/1")
	h.Add("X-Multi", "a")
	h.Add("X-Multi", "b")
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	got := RequestHeaders(h, "auth.example:8443")
	want := map[string]string{"user-agent": "ua/1", "x-multi": "a, b", "content-type": "application/x-www-form-urlencoded", "host": "auth.example:8443"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("headers %v, want %v", got, want)
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
