package npm

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
)

func TestRequiresAndPins(t *testing.T) {
	script := `
const _ = require('lodash@4.17.21');
const fp = require("lodash@4.17.21/fp");
const jwt = require('@auth0/jwt@1.2.3');
const https = require('https'), c = require ( "node:crypto" );
const local = require('./x');
const tpl = require(` + "`axios`" + `);
const dyn = require(name);
`
	if got, want := Requires(script), []string{"lodash@4.17.21", "lodash@4.17.21/fp", "@auth0/jwt@1.2.3", "https", "node:crypto", "./x", "axios"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Requires = %q, want %q", got, want)
	}
	if got, want := InlinePins(script), map[string]string{"lodash": "4.17.21", "@auth0/jwt": "1.2.3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("InlinePins = %v, want %v", got, want)
	}
	for spec, want := range map[string]string{
		"lodash@4.17.21/fp": "lodash", "@a/b@1": "@a/b", "@a/b/c": "@a/b", "node:crypto": "crypto",
		"util/types": "util", "./x": "", "/abs": "", "axios": "axios",
	} {
		if got := ModuleName(spec); got != want {
			t.Errorf("ModuleName(%q) = %q, want %q", spec, got, want)
		}
	}
}

func TestWanted(t *testing.T) {
	got, err := Wanted(`require('lodash@4.17.21')`, map[string]string{"is-number": "7.0.0"})
	if err != nil || !reflect.DeepEqual(got, map[string]string{"lodash": "4.17.21", "is-number": "7.0.0"}) {
		t.Fatalf("Wanted = %v, %v", got, err)
	}
	for _, tc := range []struct {
		script   string
		declared map[string]string
		word     string
	}{
		{`require('lodash@4.17.21')`, map[string]string{"lodash": "4.17.20"}, "declares lodash 4.17.20"},
		{`require('lodash@4.17.21'); require('lodash@4.17.20')`, nil, "two versions"},
		{``, map[string]string{"Bad Name": "1"}, "not a valid npm package name"},
		{``, map[string]string{"x": ""}, "has no version"},
		{``, map[string]string{"x": "file:../x"}, "only packages from the npm registry"},
		{``, map[string]string{"x": "github:a/b"}, "only packages from the npm registry"},
		{``, map[string]string{"x": "a/b"}, "only packages from the npm registry"},
		{``, map[string]string{"x": "https://example.com/x.tgz"}, "only packages from the npm registry"},
	} {
		_, err := Wanted(tc.script, tc.declared)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Message, tc.word) {
			t.Errorf("Wanted(%q, %v) = %v, want an *Error saying %q", tc.script, tc.declared, err, tc.word)
		}
	}
	if _, err := Wanted(``, map[string]string{"JSONStream": "1.3.5", "@types/node": ">=18 <20", "alias": "npm:lodash@4", "x": "latest"}); err != nil {
		t.Fatalf("valid specs refused: %v", err)
	}
}

func TestChooseRuntime(t *testing.T) {
	embedded := func(m string) bool {
		return m == "crypto" || m == "util" || m == "crypto#createHmac" || m == "crypto#randomBytes"
	}
	for _, tc := range []struct {
		script string
		wanted map[string]string
		want   string
		reason string
	}{
		{`module.exports = function (a, b, c, d, cb) { cb(null, {}) }`, nil, storage.RuntimeEmbedded, ""},
		{`const c = require('crypto'); const u = require('node:util')`, nil, storage.RuntimeEmbedded, ""},
		{`const h = require('https')`, nil, storage.RuntimeNode, "requires 'https'"},
		{`const t = require('util/types')`, nil, storage.RuntimeNode, "requires 'util/types'"},
		{`const t = require('./local')`, nil, storage.RuntimeEmbedded, ""},
		{`const a = require('axios')`, nil, storage.RuntimeNode, "requires 'axios'"},
		{`const crypto = require('crypto'); const sig = crypto.createHmac('sha256', k).update(s).digest('hex'); jwt.sign(x)`, nil, storage.RuntimeEmbedded, ""},
		{"const crypto = require('crypto');\nconst s = crypto.createSign('RSA-SHA256'); s.update(x); s.sign(key, 'base64')", nil, storage.RuntimeNode, "calls crypto.createSign"},
		{`const { pbkdf2Sync, randomBytes } = require('node:crypto')`, nil, storage.RuntimeNode, "calls crypto.pbkdf2Sync"},
		{`x`, map[string]string{"lodash": "4.17.21"}, storage.RuntimeNode, "declares npm dependencies (lodash)"},
	} {
		got := ChooseRuntime(tc.script, tc.wanted, embedded)
		if got.Runtime != tc.want || !strings.Contains(got.Reason, tc.reason) {
			t.Errorf("ChooseRuntime(%q, %v) = %+v, want %s (%s)", tc.script, tc.wanted, got, tc.want, tc.reason)
		}
	}
}

func TestParseFailure(t *testing.T) {
	for _, tc := range []struct {
		stderr, code, msg string
		unavailable       bool
	}{
		{`npm error code E404
npm error 404 Not Found - GET https://registry.npmjs.org/nope-xyz
npm error 404
npm error 404  'nope-xyz@1.0.0' is not in this registry.
npm error 404
npm error 404 Note that you can also install from a
npm error 404 tarball, folder, http url, or git url.
npm error A complete log of this run can be found in: /root/.npm/_logs/x-debug-0.log
`, "E404", "Not Found - GET https://registry.npmjs.org/nope-xyz 'nope-xyz@1.0.0' is not in this registry.", false},
		{`npm error code ETARGET
npm error notarget No matching version found for is-number@99.0.0.
npm error notarget In most cases you or one of your dependencies are requesting
npm error A complete log of this run can be found in: /root/.npm/_logs/x.log
`, "ETARGET", "No matching version found for is-number@99.0.0.", false},
		{`npm error code ECONNREFUSED
npm error syscall connect
npm error errno ECONNREFUSED
npm error FetchError: request to http://user:hunter2@127.0.0.1:1/is-number failed, reason: connect ECONNREFUSED 127.0.0.1:1 {
npm error     at ClientRequest.<anonymous> (/usr/lib/node_modules/npm/x.js:130:14)
npm error   code: 'ECONNREFUSED',
`, "ECONNREFUSED", "FetchError: request to http://***@127.0.0.1:1/is-number failed, reason: connect ECONNREFUSED 127.0.0.1:1", true},
		{`npm ERR! code E401
npm ERR! Unable to authenticate, need: Basic realm="x", your auth token _authToken=npm_abcdef123 is wrong
`, "E401", `Unable to authenticate, need: Basic realm="x", your auth token _authToken=*** is wrong`, false},
	} {
		e := parseFailure(tc.stderr)
		if e.Code != tc.code || e.Message != tc.msg || e.Unavailable != tc.unavailable {
			t.Errorf("parseFailure:\n got  %q %q %v\n want %q %q %v", e.Code, e.Message, e.Unavailable, tc.code, tc.msg, tc.unavailable)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://me:pw@registry.example/x":          "https://***@registry.example/x",
		"//registry.example/:_authToken=npm_SECRET": "//registry.example/:_authToken=***",
		"Authorization: Bearer abc.def.ghi":         "Authorization: Bearer ***",
		"no secret here":                            "no secret here",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNodeGlobal: the globals of current Node that published Actions use
// without a require are found in code, not in comments, and a crypto the
// script binds itself is not the Web Crypto global.
func TestNodeGlobal(t *testing.T) {
	for _, tc := range []struct{ script, want string }{
		{"/**\n * @param {Event} event - Details\n * @param {PostLoginAPI} api\n */\nexports.onExecutePostLogin = async (event, api) => {};", ""},
		{`exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('https://x/sid', crypto.randomUUID()); };`, "crypto"},
		{`const crypto = require('crypto'); const id = crypto.randomUUID();`, ""},
		{`const crypto = require('node:crypto'); const b = crypto.getRandomValues(new Uint8Array(8));`, "crypto"},
		{`const key = await crypto.subtle.importKey('raw', k, {name: 'HMAC', hash: 'SHA-256'}, false, ['sign']);`, "crypto"},
		{`const copy = structuredClone(event.user.app_metadata);`, "structuredClone"},
		{`const d = new Intl.DateTimeFormat('en-US').format(new Date());`, "Intl"},
		{`const t0 = performance.now();`, ""},
		{`performance.mark('start');`, "performance"},
		{`const byRole = Object.groupBy(users, (u) => u.role);`, "Object.groupBy"},
		{"// structuredClone(x) is not used here\nconst url = 'https://example.com/Intl.x'; /* new Event('x') */", ""},
		{"const url = 'https://example.com/'; // Intl.x\nconst x = structuredClone(y);", "structuredClone"},
		{`const a = foo.structuredClone(x); const b = my.crypto.randomUUID(); const c = event.Intl.x;`, ""},
		{`const s = new WeakRef(obj);`, "WeakRef"},
		{`if (!/^[\p{L} '-]+$/u.test(event.user.name)) api.access.deny('bad name');`, `\p{...}`},
		{`const re = new RegExp('\\p{Lu}', 'u');`, `\p{...}`},
	} {
		if got := NodeGlobal(tc.script); got != tc.want {
			t.Errorf("NodeGlobal(%q) = %q, want %q", tc.script, got, tc.want)
		}
	}
}
