package noderun

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// Real-world hook patterns on real npm packages, against a loopback mock API
// and JWKS the test serves.
func TestRealPackages(t *testing.T) {
	mods := modulesDir(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	jwk := jose.JSONWebKey{Key: key.Public(), KeyID: "k1", Algorithm: "RS256", Use: "sig"}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
	})
	mux.HandleFunc("/users/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"` + r.URL.Path[len("/users/"):] + `","roles":["admin","dev"],"auth":"` + r.Header.Get("Authorization") + `"}`))
	})
	api := httptest.NewServer(mux)
	defer api.Close()
	tlsAPI := httptest.NewTLSServer(mux)
	defer tlsAPI.Close()
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsAPI.Certificate().Raw}))

	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	subjectToken, err := jwt.Signed(signer).Claims(jwt.Claims{Subject: "user-42", Issuer: "https://idp.example/", Expiry: jwt.NewNumericDate(time.Now().Add(time.Hour))}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("signed text"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(key.Public())
	pubPEM := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))

	e := newEngine(t, Options{Options: sandbox.Options{Egress: allowLoopback(t)}})
	ctx := map[string]any{
		"body":    map[string]string{"subject_token": subjectToken},
		"webtask": map[string]any{"meta": map[string]string{"hook-name": "h"}},
	}
	for _, tc := range []struct{ name, script, want string }{
		{"axios", `const axios = require('axios');
			module.exports = async (client, scope, audience, context, cb) => {
				const r = await axios.get(audience + '/users/42', {headers: {Authorization: 'Bearer x'}});
				return {roles: r.data.roles, auth: r.data.auth};
			};`, `{"roles":["admin","dev"],"auth":"Bearer x"}`},
		{"lodash inline version", `const _ = require('lodash@4.17.21');
			module.exports = (client, scope, audience, context, cb) => cb(null, {v: _.get(context, 'webtask.meta.hook-name'), u: _.uniq([1, 1, 2]), version: _.VERSION});`,
			`{"v":"h","u":[1,2],"version":"4.17.21"}`},
		{"request callbacks and util.promisify", `const request = require('request');
			const util = require('util');
			const get = util.promisify(request.get);
			module.exports = (client, scope, audience, context, cb) => {
				request.get({url: audience + '/users/7', json: true}, async (err, res, body) => {
					if (err) return cb(err);
					const r2 = await get({url: audience + '/users/8', json: true});
					cb(null, [res.statusCode, body.id, r2.body.id]);
				});
			};`, `[200,"7","8"]`},
		{"jsonwebtoken with jwks-rsa", `const jwt = require('jsonwebtoken');
			const jwksClient = require('jwks-rsa');
			module.exports = (client, scope, audience, context, cb) => {
				const jwks = jwksClient({jwksUri: audience + '/.well-known/jwks.json', cache: true});
				const getKey = (header, done) => jwks.getSigningKey(header.kid, (err, key) => done(err, key && (key.publicKey || key.rsaPublicKey)));
				jwt.verify(context.body.subject_token, getKey, {algorithms: ['RS256'], issuer: 'https://idp.example/'}, (err, claims) => {
					if (err) return cb(new InvalidRequestError(err.message));
					cb(null, {sub: claims.sub});
				});
			};`, `{"sub":"user-42"}`},
		{"https built-in", `const https = require('https');
			module.exports = (client, scope, audience, context, cb) => {
				https.get(client.tls + '/users/9', {ca: client.ca}, (res) => {
					let b = '';
					res.on('data', (c) => b += c);
					res.on('end', () => cb(null, JSON.parse(b).id));
				}).on('error', cb);
			};`, `"9"`},
		{"crypto.createVerify", `const crypto = require('crypto');
			module.exports = (client, scope, audience, context, cb) => {
				const v = crypto.createVerify('RSA-SHA256');
				v.update('signed text');
				const key = crypto.createPublicKey(client.pub);
				cb(null, [v.verify(key, client.sig, 'base64'), key.asymmetricKeyType]);
			};`, `[true,"rsa"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := mustRun(t, e, sandbox.Invocation{
				Script: tc.script, ModulesDir: mods, ContextArg: 3,
				Args: args(map[string]string{"tls": tlsAPI.URL, "ca": caPEM, "pub": pubPEM, "sig": base64.StdEncoding.EncodeToString(sig)}, []string{"read"}, api.URL, ctx),
			})
			if string(out.Response) != tc.want {
				t.Fatalf("got %s, want %s (logs %v)", out.Response, tc.want, out.Logs)
			}
		})
	}

	// A package not installed is Node's own error.
	out, err := e.Run(t.Context(), sandbox.Invocation{Script: `module.exports = (a, cb) => { try { require('left-pad'); } catch (e) { cb(null, e.code); } };`, ModulesDir: mods, Args: args(1), ContextArg: -1}, nil)
	if err != nil || string(out.Response) != `"MODULE_NOT_FOUND"` {
		t.Fatalf("missing module: %v %s", err, out.Response)
	}
}
