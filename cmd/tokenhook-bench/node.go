//go:build linux

package main

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// nodeSimpleHook is simpleHook with a require of a built-in the embedded
// engine lacks, which is what sends a hook to the Node runtime; the
// module itself is not used, so the row weighs the runtime alone.
const nodeSimpleHook = `const https = require('https');
module.exports = function (client, scope, audience, context, cb) {
  var access_token = { scope: scope };
  access_token.scope.push('extra');
  access_token['https://example.com/plan'] = client.metadata.plan || 'free';
  access_token['https://example.com/tenant'] = client.tenant;
  cb(null, access_token);
};`

// nodeFetchHook asks the loopback mock API for the plan once per token,
// over plain HTTP with Node's default keep-alive agent.
func nodeFetchHook(mock *mockAPI) string {
	var u string
	if mock != nil {
		u = mock.base + "plan"
	}
	return `const http = require('http');
module.exports = function (client, scope, audience, context, cb) {
  http.get(` + strconv.Quote(u) + `, function (res) {
    var body = '';
    res.setEncoding('utf8');
    res.on('data', function (c) { body += c; });
    res.on('end', function () {
      if (res.statusCode !== 200) return cb(new Error('mock API answered ' + res.statusCode));
      var access_token = { scope: scope.concat(['extra']) };
      access_token['https://example.com/plan'] = JSON.parse(body).plan;
      cb(null, access_token);
    });
  }).on('error', cb);
};`
}

// nodeBench saves the Node scenarios' hooks, one enabled at a time.
type nodeBench struct {
	srv    *server
	mock   *mockAPI
	hookID string
}

// save replaces the enabled hook by script, checks that the server put it
// on the Node runtime, and prints how long the first token after the save
// took: the cold start of its Node worker.
func (n *nodeBench) save(script string) error {
	if n.hookID != "" {
		if err := n.srv.mgmt("DELETE", "hooks/"+n.hookID, nil); err != nil {
			return err
		}
		n.hookID = ""
	}
	t0 := time.Now()
	out, err := n.srv.mgmtJSON("POST", "hooks", map[string]any{"name": fmt.Sprintf("bench-node-%d", t0.UnixNano()),
		"script": script, "triggerId": "credentials-exchange", "enabled": true})
	if err != nil {
		return err
	}
	saved := time.Since(t0)
	n.hookID, _ = out["id"].(string)
	if rt, _ := out["runtime"].(string); rt != "node" {
		return fmt.Errorf("the server runs the hook on %q, not node", rt)
	}
	t1 := time.Now()
	tok, err := n.srv.token(n.srv.clientID, n.srv.clientSecret, n.srv.audience)
	if err != nil {
		return err
	}
	first := time.Since(t1)
	// Measure only if the hook really runs.
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if !strings.Contains(string(payload), "https://example.com/plan") {
		return fmt.Errorf("the hook did not run: %s", payload)
	}
	fmt.Printf("%-22s %-10s first token after saving the hook: %.0f ms (the save itself: %.0f ms)\n", "  cold start", "node",
		ms(first), ms(saved))
	return nil
}

// mockAPI is the loopback API the fetch hook calls: this program run
// again with -mock-api, so that its CPU is its own and not the load
// generator's.
type mockAPI struct {
	cmd  *exec.Cmd
	base string
}

func startMockAPI() (*mockAPI, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-mock-api", "127.0.0.1:0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	m := &mockAPI{cmd: cmd}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			addr <- sc.Text()
		}
		close(addr)
	}()
	select {
	case a, ok := <-addr:
		if ok {
			m.base = "http://" + a + "/"
			return m, nil
		}
	case <-time.After(30 * time.Second):
	}
	m.stop()
	return nil, errors.New("the mock API did not start")
}

func (m *mockAPI) stop() {
	_ = m.cmd.Process.Signal(syscall.SIGTERM)
	_ = m.cmd.Wait()
}

// usage is the mock's CPU time and the number of /plan requests it
// answered. The count is read before the CPU time, so that the counting
// request itself mostly stays out of a difference of two readings.
func (m *mockAPI) usage() (time.Duration, int64, error) {
	resp, err := http.Get(m.base + "count")
	if err != nil {
		return 0, 0, err
	}
	var n int64
	_, err = fmt.Fscan(resp.Body, &n)
	resp.Body.Close()
	if err != nil {
		return 0, 0, fmt.Errorf("mock API count: %w", err)
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", m.cmd.Process.Pid))
	if err != nil {
		return 0, 0, err
	}
	return statCPU(b, false), n, nil
}

// serveMockAPI answers GET /plan with a small JSON document, the kind of
// internal API a hook asks, and GET /count with how many it answered. It
// prints its address on the first line of its output.
func serveMockAPI(addr string) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: mock API:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	var served atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("GET /plan", func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"plan":"gold","seats":25}`))
	})
	mux.HandleFunc("GET /count", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, served.Load())
	})
	_ = http.Serve(ln, mux)
}
