package e2e

import (
	"net/url"
	"strings"
	"testing"
)

// Signup through the real binary (issue 16 items 1 and 2): a
// pre-user-registration hook that adds app_metadata, visible through the
// Management API, then one that refuses with PreUserRegistrationError.
func TestSignupWithPreUserRegistration(t *testing.T) {
	in := start(t, options{args: fastBcrypt})
	_, _, public := in.passwordApps()
	signup := func(email string) response {
		return in.do("POST", "dbconnections/signup", "application/x-www-form-urlencoded", strings.NewReader(url.Values{
			"client_id": {public}, "email": {email}, "password": {"correct horse"}, "connection": {dbConn}}.Encode()), nil)
	}
	r := in.api("POST", "hooks", map[string]any{"name": "add-plan", "triggerId": "pre-user-registration", "enabled": true,
		"script": `module.exports = function (user, context, cb) {
  if (user.email.endsWith('@blocked.example')) return cb(new PreUserRegistrationError('denied ' + user.email, 'Sign ups are closed for your domain'));
  cb(null, {user: {app_metadata: {plan: 'trial'}}});
};`})
	if r.status != 201 {
		t.Fatalf("create hook: %d %s", r.status, r.body)
	}
	r = signup("ann@example.com")
	if r.status != 200 {
		t.Fatalf("signup: %d %s", r.status, r.body)
	}
	m := r.json(t)
	if m["email"] != "ann@example.com" || m["email_verified"] != false {
		t.Fatalf("signup answer %s", r.body)
	}
	u := in.api("GET", "users/"+url.PathEscape("auth0|"+m["_id"].(string)), nil)
	if u.status != 200 || u.json(t)["app_metadata"].(map[string]any)["plan"] != "trial" {
		t.Fatalf("stored user: %d %s", u.status, u.body)
	}
	// The same email again: Auth0's invalid_signup.
	if r := signup("ann@example.com"); r.status != 400 || r.json(t)["code"] != "invalid_signup" {
		t.Fatalf("second signup: %d %s", r.status, r.body)
	}
	r = signup("bob@blocked.example")
	if m := r.json(t); r.status != 400 || m["name"] != "BadRequestError" || m["code"] != "extensibility_error" ||
		m["description"] != "Sign ups are closed for your domain" || m["statusCode"] != float64(400) {
		t.Fatalf("refused signup: %d %s", r.status, r.body)
	}
	if l := in.api("GET", "users?q="+url.QueryEscape(`email:"bob@blocked.example"`), nil); l.status != 200 || len(l.list(t)) != 0 {
		t.Fatalf("refused user stored: %s", l.body)
	}
}
