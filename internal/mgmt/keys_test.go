package mgmt_test

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"
)

func TestSigningKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	list := func() []map[string]any {
		r := e.req("GET", "/keys/signing", "read:signing_keys", nil)
		expect(t, r, 200, "", "")
		return r.list(t)
	}
	byState := func(keys []map[string]any, state string) map[string]any {
		for _, k := range keys {
			if k[state] == true {
				return k
			}
		}
		return nil
	}
	keys := list()
	if len(keys) != 2 {
		t.Fatalf("%d keys", len(keys))
	}
	cur, next := byState(keys, "current"), byState(keys, "next")
	if cur == nil || next == nil {
		t.Fatalf("no current/next: %v", keys)
	}
	t.Run("shape", func(t *testing.T) {
		block, _ := pem.Decode([]byte(cur["cert"].(string)))
		if block == nil || block.Type != "CERTIFICATE" {
			t.Fatalf("cert not PEM: %v", cur["cert"])
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			t.Fatal(err)
		}
		sum := sha1.Sum(block.Bytes)
		thumb := strings.ToUpper(hex.EncodeToString(sum[:]))
		if cur["thumbprint"] != thumb {
			t.Errorf("thumbprint %v, want %s", cur["thumbprint"], thumb)
		}
		fp := cur["fingerprint"].(string)
		if strings.ReplaceAll(fp, ":", "") != thumb || len(fp) != 59 {
			t.Errorf("fingerprint %s", fp)
		}
		p7, _ := pem.Decode([]byte(cur["pkcs7"].(string)))
		if p7 == nil || p7.Type != "PKCS7" || !strings.Contains(string(p7.Bytes), string(block.Bytes)) {
			t.Errorf("pkcs7 does not carry the certificate")
		}
		if cur["current_since"] != "2026-11-20T12:00:00.000Z" || cur["revoked"] != false || cur["previous"] != false {
			t.Errorf("got %v", cur)
		}
		if _, ok := next["current_since"]; ok {
			t.Errorf("next key has current_since")
		}
		for _, k := range keys {
			for name := range k {
				if strings.Contains(strings.ToLower(name), "private") {
					t.Errorf("private material exposed: %s", name)
				}
			}
		}
	})
	t.Run("get one", func(t *testing.T) {
		r := e.req("GET", "/keys/signing/"+cur["kid"].(string), "read:signing_keys", nil)
		expect(t, r, 200, "", "")
		if r.json(t)["kid"] != cur["kid"] {
			t.Errorf("got %s", r.body)
		}
		expect(t, e.req("GET", "/keys/signing/nope", all, nil), 404, "inexistent_signing_key", "The signing key does not exist")
	})
	t.Run("revoke refuses the current key", func(t *testing.T) {
		expect(t, e.req("PUT", "/keys/signing/"+cur["kid"].(string)+"/revoke", all, nil), 400, "operation_not_supported", "")
		expect(t, e.req("PUT", "/keys/signing/nope/revoke", all, nil), 404, "inexistent_signing_key", "")
	})
	t.Run("rotate", func(t *testing.T) {
		r := e.req("POST", "/keys/signing/rotate", "create:signing_keys", nil)
		expect(t, r, 201, "", "")
		got := r.json(t)
		if got["kid"] != next["kid"] || got["cert"] != next["cert"] || len(got) != 2 {
			t.Errorf("rotate answered %s, want the former next key %v", r.body, next["kid"])
		}
		keys := list()
		if len(keys) != 3 || byState(keys, "previous")["kid"] != cur["kid"] || byState(keys, "current")["kid"] != next["kid"] {
			t.Errorf("after rotation: %v", keys)
		}
		if byState(keys, "previous")["current_until"] != "2026-11-20T12:00:00.000Z" {
			t.Errorf("previous key has no current_until")
		}
	})
	t.Run("revoke the previous key", func(t *testing.T) {
		r := e.req("PUT", "/keys/signing/"+cur["kid"].(string)+"/revoke", "update:signing_keys", nil)
		expect(t, r, 200, "", "")
		if r.json(t)["kid"] != cur["kid"] {
			t.Errorf("got %s", r.body)
		}
		k := e.req("GET", "/keys/signing/"+cur["kid"].(string), all, nil).json(t)
		if k["revoked"] != true || k["revoked_at"] != "2026-11-20T12:00:00.000Z" || k["previous"] != false {
			t.Errorf("got %v", k)
		}
	})
}
