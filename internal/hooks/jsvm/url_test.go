package jsvm

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// TestURLPathLikeNode: the WHATWG URL's path keeps trailing slashes, empty
// segments and escapes as written and resolves dot segments, as Node does
// (goja_nodejs alone cleans it like a file path). Each want is what Node 20
// printed for [href, pathname, String(u), u.toJSON(), JSON.stringify({u})].
func TestURLPathLikeNode(t *testing.T) {
	cases := []struct{ expr, want string }{
		{`new URL("https://a/v2/")`, `["https://a/v2/","/v2/","https://a/v2/","https://a/v2/","{\"u\":\"https://a/v2/\"}"]`},
		{`new URL("https://a/v2")`, `["https://a/v2","/v2","https://a/v2","https://a/v2","{\"u\":\"https://a/v2\"}"]`},
		{`new URL("https://a")`, `["https://a/","/","https://a/","https://a/","{\"u\":\"https://a/\"}"]`},
		{`new URL("https://a/v2//users//")`, `["https://a/v2//users//","/v2//users//","https://a/v2//users//","https://a/v2//users//","{\"u\":\"https://a/v2//users//\"}"]`},
		{`new URL("https://a//")`, `["https://a//","//","https://a//","https://a//","{\"u\":\"https://a//\"}"]`},
		{`new URL("https://a/a/./b/../c")`, `["https://a/a/c","/a/c","https://a/a/c","https://a/a/c","{\"u\":\"https://a/a/c\"}"]`},
		{`new URL("https://a/a/b/..")`, `["https://a/a/","/a/","https://a/a/","https://a/a/","{\"u\":\"https://a/a/\"}"]`},
		{`new URL("https://a/a/b/.")`, `["https://a/a/b/","/a/b/","https://a/a/b/","https://a/a/b/","{\"u\":\"https://a/a/b/\"}"]`},
		{`new URL("https://a/../x")`, `["https://a/x","/x","https://a/x","https://a/x","{\"u\":\"https://a/x\"}"]`},
		{`new URL("https://a/a/%2e/b/%2E%2e/c/")`, `["https://a/a/c/","/a/c/","https://a/a/c/","https://a/a/c/","{\"u\":\"https://a/a/c/\"}"]`},
		{`new URL("https://a/a%2Fb/%41%7E/")`, `["https://a/a%2Fb/%41%7E/","/a%2Fb/%41%7E/","https://a/a%2Fb/%41%7E/","https://a/a%2Fb/%41%7E/","{\"u\":\"https://a/a%2Fb/%41%7E/\"}"]`},
		{`new URL("https://a/ü x\"<>\u0060{}^|/")`, `["https://a/%C3%BC%20x%22%3C%3E%60%7B%7D^|/","/%C3%BC%20x%22%3C%3E%60%7B%7D^|/","https://a/%C3%BC%20x%22%3C%3E%60%7B%7D^|/","https://a/%C3%BC%20x%22%3C%3E%60%7B%7D^|/","{\"u\":\"https://a/%C3%BC%20x%22%3C%3E%60%7B%7D^|/\"}"]`},
		{`new URL("https://u:p@a:8443/x/?q=1#f")`, `["https://u:p@a:8443/x/?q=1#f","/x/","https://u:p@a:8443/x/?q=1#f","https://u:p@a:8443/x/?q=1#f","{\"u\":\"https://u:p@a:8443/x/?q=1#f\"}"]`},
		{`new URL("HTTP://A.io:80/X/")`, `["http://a.io/X/","/X/","http://a.io/X/","http://a.io/X/","{\"u\":\"http://a.io/X/\"}"]`},
		{`new URL("https://a/p/?q=a%20b#h/")`, `["https://a/p/?q=a%20b#h/","/p/","https://a/p/?q=a%20b#h/","https://a/p/?q=a%20b#h/","{\"u\":\"https://a/p/?q=a%20b#h/\"}"]`},
		{`new URL("  https://a/t/\n ")`, `["https://a/t/","/t/","https://a/t/","https://a/t/","{\"u\":\"https://a/t/\"}"]`},
		{`new URL("/v2/users/", "https://api/v1/")`, `["https://api/v2/users/","/v2/users/","https://api/v2/users/","https://api/v2/users/","{\"u\":\"https://api/v2/users/\"}"]`},
		{`new URL("users/", "https://api/v2/")`, `["https://api/v2/users/","/v2/users/","https://api/v2/users/","https://api/v2/users/","{\"u\":\"https://api/v2/users/\"}"]`},
		{`new URL("users/", "https://api/v2")`, `["https://api/users/","/users/","https://api/users/","https://api/users/","{\"u\":\"https://api/users/\"}"]`},
		{`new URL("./u/../w//", "https://api/v2/x")`, `["https://api/v2/w//","/v2/w//","https://api/v2/w//","https://api/v2/w//","{\"u\":\"https://api/v2/w//\"}"]`},
		{`new URL("../", "https://api/a/b/c")`, `["https://api/a/","/a/","https://api/a/","https://api/a/","{\"u\":\"https://api/a/\"}"]`},
		{`new URL("..", "https://api/a/b/c")`, `["https://api/a/","/a/","https://api/a/","https://api/a/","{\"u\":\"https://api/a/\"}"]`},
		{`new URL("?q=1", "https://api/a//b/")`, `["https://api/a//b/?q=1","/a//b/","https://api/a//b/?q=1","https://api/a//b/?q=1","{\"u\":\"https://api/a//b/?q=1\"}"]`},
		{`new URL("#h", "https://api/a/")`, `["https://api/a/#h","/a/","https://api/a/#h","https://api/a/#h","{\"u\":\"https://api/a/#h\"}"]`},
		{`new URL("", "https://api/a/")`, `["https://api/a/","/a/","https://api/a/","https://api/a/","{\"u\":\"https://api/a/\"}"]`},
		{`new URL("//other/x/", "https://api/a/")`, `["https://other/x/","/x/","https://other/x/","https://other/x/","{\"u\":\"https://other/x/\"}"]`},
		{`new URL("https://o/y/", "https://api/a/")`, `["https://o/y/","/y/","https://o/y/","https://o/y/","{\"u\":\"https://o/y/\"}"]`},
		{`new URL("x/", "https://api/a/?q#h")`, `["https://api/a/x/","/a/x/","https://api/a/x/","https://api/a/x/","{\"u\":\"https://api/a/x/\"}"]`},
		{`new URL("x", "https://api/a//")`, `["https://api/a//x","/a//x","https://api/a//x","https://api/a//x","{\"u\":\"https://api/a//x\"}"]`},
	}
	// The pathname setter, then href, on one object (Node's output).
	setters := []struct{ expr, want string }{
		{`(() => { const u = new URL('https://a/x?q=1#h'); const out = []; for (const p of ['/v2/', 'v2//b/', '/a/./b/../', '/a b?c#d', '\\x\\y', '', '/%2e%2E/z', '/é']) { u.pathname = p; out.push(u.href, u.pathname); } return out; })()`,
			`["https://a/v2/?q=1#h","/v2/","https://a/v2//b/?q=1#h","/v2//b/","https://a/a/?q=1#h","/a/","https://a/a%20b%3Fc%23d?q=1#h","/a%20b%3Fc%23d","https://a/x/y?q=1#h","/x/y","https://a/?q=1#h","/","https://a/z?q=1#h","/z","https://a/%C3%A9?q=1#h","/%C3%A9"]`},
		{`(() => { const u = new URL('https://a/'); u.href = 'https://b/c//d/'; return [u.href, u.pathname]; })()`, `["https://b/c//d/","/c//d/"]`},
		{`(() => { const b = new URL('https://api/v2/'); return [new URL('users/', b).href, new URL('../', new URL('https://api/a/b/')).href]; })()`, `["https://api/v2/users/","https://api/a/"]`},
		{`(() => { const u = new URL('https://a/p/'); u.searchParams.set('x', 'y z'); u.hash = 'f'; return [u.href, String(u)]; })()`, `["https://a/p/?x=y+z#f","https://a/p/?x=y+z#f"]`},
	}
	for name, e := range engines(t, sandbox.Options{}) {
		t.Run(name, func(t *testing.T) {
			for _, tc := range cases {
				expr := `(() => { const u = ` + tc.expr + `; return [u.href, u.pathname, String(u), u.toJSON(), JSON.stringify({u})]; })()`
				out, err := run1(t, e, `module.exports = (c, s, a, x, cb) => cb(null, `+expr+`);`)
				if err != nil || out.Err != nil || string(out.Response) != tc.want {
					t.Errorf("%s: got %s %v %+v, want %s", tc.expr, out.Response, err, out.Err, tc.want)
				}
			}
			for _, tc := range setters {
				out, err := run1(t, e, `module.exports = (c, s, a, x, cb) => cb(null, `+tc.expr+`);`)
				if err != nil || out.Err != nil || string(out.Response) != tc.want {
					t.Errorf("%s: got %s %v %+v, want %s", tc.expr, out.Response, err, out.Err, tc.want)
				}
			}
		})
	}
}

// TestFetchURLPathAsWritten: fetch given a URL object (or its string) asks
// the server for the path Node would send: trailing slash, '//' and escapes
// kept, dot segments resolved.
func TestFetchURLPathAsWritten(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.RequestURI)
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	for name, e := range engines(t, sandbox.Options{Egress: loopbackPolicy(t)}) {
		t.Run(name, func(t *testing.T) {
			mu.Lock()
			seen = nil
			mu.Unlock()
			script := `module.exports = async () => {
				const base = ` + strconv.Quote(srv.URL+"/v1/") + `;
				await fetch(new URL('/v2/users/', base));
				await fetch(new URL('users//7/?q=1', base));
				await fetch(new URL('a/./b/../c%2Fd/', base));
				await fetch(String(new URL('/x/', base)));
				await fetch(base + 'a b/%41/\u00e9/');
				return 'ok'; };`
			out, err := run1(t, e, script)
			wantResponse(t, out, err, `"ok"`)
			mu.Lock()
			defer mu.Unlock()
			want := []string{"/v2/users/", "/v1/users//7/?q=1", "/v1/a/c%2Fd/", "/x/", "/v1/a%20b/%41/%C3%A9/"}
			if len(seen) != len(want) {
				t.Fatalf("requests %q, want %q", seen, want)
			}
			for i := range want {
				if seen[i] != want[i] {
					t.Errorf("request %d: %q, want %q", i, seen[i], want[i])
				}
			}
		})
	}
}
