package noderun

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// Fire-and-forget requests on a connection an earlier execution opened
// (keep-alive) still keep their execution alive until they finish.
func TestFireAndForgetOnKeepAlive(t *testing.T) {
	release := make(chan struct{}, 1)
	arrived := make(chan struct{}, 1)
	done := make(chan struct{})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			arrived <- struct{}{}
			select {
			case <-release:
			case <-done:
			}
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer api.Close()
	defer close(done)
	e := newEngine(t, Options{Options: sandbox.Options{Egress: allowLoopback(t)}})
	for _, tc := range []struct{ name, script string }{
		{"fetch", `module.exports = async (url, mode, cb) => {
			if (mode === 'warm') { await (await fetch(url + '/fast')).text(); return 'warm'; }
			cb(null, 'answered');
			const r = await fetch(url + '/slow');
			console.log('sent ' + await r.text());
		};`},
		{"http", `const http = require('http');
		const get = (u) => new Promise((res, rej) => http.get(u, (r) => { let b = ''; r.on('data', (c) => b += c); r.on('end', () => res(b)); }).on('error', rej));
		module.exports = async (url, mode, cb) => {
			if (mode === 'warm') { await get(url + '/fast'); return 'warm'; }
			cb(null, 'answered');
			console.log('sent ' + await get(url + '/slow'));
		};`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := sandbox.Invocation{Script: tc.script, ContextArg: -1, Args: args(api.URL, "warm")}
			if out := mustRun(t, e, inv); string(out.Response) != `"warm"` {
				t.Fatal(string(out.Response))
			}
			sink := newLogSink()
			inv.Args = args(api.URL, "ff")
			out, err := e.Run(context.Background(), inv, sink.add)
			if err != nil || string(out.Response) != `"answered"` {
				t.Fatal(err, string(out.Response))
			}
			// The answer is out; the hook's request is held until then.
			select {
			case <-arrived:
			case <-time.After(10 * time.Second):
				t.Fatal("the fire-and-forget request never arrived")
			}
			release <- struct{}{}
			sink.waitFor(t, "sent ok", 10*time.Second)
		})
	}
}
