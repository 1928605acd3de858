package server_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image/png"
	"net/http"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/config"
	"github.com/tokenhook/tokenhook/internal/server/servertest"
)

// TestDashboardTryPassword: Try it's password grant goes through the real
// token endpoint with the application's secret read server-side (none for
// a public application): the enabled password-exchange hook runs, the
// answer is the endpoint's own, errors included, and the tenant's
// default_audience applies when no API is chosen.
func TestDashboardTryPassword(t *testing.T) {
	t.Parallel()
	const email, password = "ops@example.com", "servertest-operator-password"
	tn := newTenant(t, func(c *config.Config) { c.AdminEmail, c.AdminPassword = email, password })
	r := tn.Do("POST", "dashboard/api/login", "application/json", strings.NewReader(`{"email":"`+email+`","password":"`+password+`"}`), nil)
	if r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	h := http.Header{"X-Csrf-Token": {r.JSON(t)["csrf_token"].(string)}}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	try := func(body map[string]any) (int, map[string]any) {
		t.Helper()
		raw, _ := json.Marshal(body)
		r := tn.Do("POST", "dashboard/api/try-token", "application/json", bytes.NewReader(raw), h)
		if r.Status != 200 {
			return r.Status, r.JSON(t)
		}
		out := r.JSON(t)
		return int(out["status"].(float64)), out["response"].(map[string]any)
	}
	tn.MustAPI(201, "POST", "hooks", map[string]any{"name": "who", "triggerId": "password-exchange", "enabled": true,
		"script": `module.exports = function (user, client, scope, audience, context, cb) {
  cb(null, {accessToken: {'https://example.com/who': user.email + ' via ' + client.name}});
};`})

	for _, c := range []struct{ client, name string }{{tn.pwID, "backend"}, {tn.publicID, "mobile"}} {
		status, resp := try(map[string]any{"grant_type": "password", "client_id": c.client, "username": "ann", "password": annPassword, "audience": usersAPI})
		if status != 200 {
			t.Fatalf("%s: %d %v", c.name, status, resp)
		}
		claims := servertest.Claims(t, resp["access_token"].(string))
		if claims["https://example.com/who"] != "ann@example.com via "+c.name || claims["aud"] != usersAPI || claims["sub"] != tn.annID {
			t.Fatalf("%s: claims %v", c.name, claims)
		}
	}
	if status, resp := try(map[string]any{"grant_type": "password", "client_id": tn.pwID, "username": "ann", "password": "wrong", "audience": usersAPI}); status != 403 || resp["error"] != "invalid_grant" {
		t.Fatalf("wrong password: %d %v", status, resp)
	}
	// No API chosen: the tenant's default, else a token for /userinfo.
	status, resp := try(map[string]any{"grant_type": "password", "client_id": tn.pwID, "username": "ann", "password": annPassword, "scope": "openid email"})
	if claims := servertest.Claims(t, resp["access_token"].(string)); status != 200 || resp["id_token"] == nil || claims["aud"] == usersAPI {
		t.Fatalf("no audience: %d %v", status, resp)
	}
	tn.MustAPI(200, "PATCH", "tenants/settings", map[string]any{"default_audience": usersAPI})
	if status, resp := try(map[string]any{"grant_type": "password", "client_id": tn.pwID, "username": "ann", "password": annPassword}); status != 200 ||
		servertest.Claims(t, resp["access_token"].(string))["aud"] != usersAPI {
		t.Fatalf("default audience: %d %v", status, resp)
	}
	// The client credentials form is unchanged.
	if status, resp := try(map[string]any{"client_id": tn.ccID, "audience": "https://a.example/"}); status != 200 || resp["access_token"] == nil {
		t.Fatalf("client credentials: %d %v", status, resp)
	}
	for _, bad := range []map[string]any{
		{"grant_type": "password", "client_id": tn.pwID, "password": annPassword},
		{"grant_type": "password", "client_id": tn.pwID, "username": "ann"},
		{"grant_type": "implicit", "client_id": tn.pwID},
		{"client_id": tn.ccID},
	} {
		if status, resp := try(bad); status != 400 || resp["statusCode"] != float64(400) {
			t.Fatalf("%v: %d %v", bad, status, resp)
		}
	}
}

// TestFavicon: /favicon.ico is an icon (an ICO holding a 32×32 PNG), not
// a 404, for browsers asking on any page of the server.
func TestFavicon(t *testing.T) {
	t.Parallel()
	s := servertest.New(t)
	r := s.Do("GET", "favicon.ico", "", nil, nil)
	if r.Status != 200 || r.Header.Get("Content-Type") != "image/x-icon" || len(r.Body) < 22 {
		t.Fatalf("favicon: %d %v", r.Status, r.Header)
	}
	b := []byte(r.Body)
	var dir [3]uint16
	_ = binary.Read(bytes.NewReader(b[:6]), binary.LittleEndian, &dir)
	size := binary.LittleEndian.Uint32(b[14:18])
	offset := binary.LittleEndian.Uint32(b[18:22])
	if dir != [3]uint16{0, 1, 1} || int(offset+size) != len(b) {
		t.Fatalf("not an ICO with one image: %v, %d bytes at %d of %d", dir, size, offset, len(b))
	}
	img, err := png.Decode(bytes.NewReader(b[offset:]))
	if err != nil || img.Bounds().Dx() != 32 || img.Bounds().Dy() != 32 {
		t.Fatalf("icon image: %v", err)
	}
	if r := s.Do("HEAD", "favicon.ico", "", nil, nil); r.Status != 200 {
		t.Fatalf("HEAD favicon: %d", r.Status)
	}
}
