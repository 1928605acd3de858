//go:build linux

package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

var propagationSamples = flag.Int("replica-writes", 40, "replicas section: Management API writes whose propagation to the other replicas is timed")

// replicaAudience is the API the replicas section's application asks
// tokens for.
const replicaAudience = "https://replicas.bench/"

// runReplicas is the replicas section: 1, 2 and 3 servers on one
// PostgreSQL behind a round-robin proxy of the bench, each pinned to a
// core of its own when the machine has one for each plus one for the
// load generator and PostgreSQL; tokens/s against linear, and how long a
// Management API write on one replica takes to be served by the others.
func runReplicas(bin string, duration time.Duration, concurrency int) error {
	if !scenarioFilter.MatchString("replicas") {
		return nil
	}
	if *benchPG == "" {
		fmt.Println("\nreplicas: skipped (-pg is empty)")
		return nil
	}
	const most = 3
	cores := runtime.NumCPU()
	pin := cores >= most+1
	if pin {
		fmt.Printf("\nreplicas: %d cores: replica n pinned to core n (taskset), the bench's load generator to core 0; PostgreSQL is not pinned\n", cores)
		self := strconv.Itoa(os.Getpid())
		if out, err := exec.Command("taskset", "-a", "-p", "-c", "0", self).CombinedOutput(); err != nil {
			return fmt.Errorf("taskset: %v %s", err, out)
		}
		defer exec.Command("taskset", "-a", "-p", "-c", fmt.Sprintf("0-%d", cores-1), self).Run()
	} else {
		fmt.Printf("\nreplicas: this machine has %d cores, %d are needed to give %d replicas a core each plus one for the load\n"+
			"generator and PostgreSQL: the replicas share the cores, so tokens/s cannot grow with them here and the\n"+
			"ratio to linear below measures the sharing, not the scaling\n", cores, most+1, most)
	}
	dsn, drop, err := pgSchema(*benchPG)
	if err != nil {
		return err
	}
	defer drop()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	proxy, err := startProxy()
	if err != nil {
		return err
	}
	defer proxy.close()
	issuer := "http://" + proxy.addr + "/"
	var replicas []*server
	defer func() {
		for _, r := range replicas {
			halt(r)
			os.RemoveAll(r.dir)
		}
	}()
	for i := range most {
		r, err := startReplica(bin, dsn, issuer, hex.EncodeToString(key), i+1, pin)
		if err != nil {
			return fmt.Errorf("replica %d: %w", i+1, err)
		}
		replicas = append(replicas, r)
	}
	app, err := replicaApp(replicas[0], issuer)
	if err != nil {
		return err
	}
	body := url.Values{"grant_type": {"client_credentials"}, "client_id": {app.id},
		"client_secret": {app.secret}, "audience": {replicaAudience}}.Encode()
	fmt.Printf("%-22s %10s %9s %9s %12s\n", "replicas", "tokens/s", "p50 ms", "p99 ms", "x linear")
	var one float64
	for k := 1; k <= most; k++ {
		proxy.use(replicas[:k])
		tokenLoad(proxy.base(), concurrency, 2*time.Second, body, nil)
		res := tokenLoad(proxy.base(), concurrency, duration, body, nil)
		if len(res.done) == 0 || res.errors > 0 {
			return fmt.Errorf("%d replicas: %d tokens, %d failed (%s)", k, len(res.done), res.errors, res.firstErr)
		}
		if k == 1 {
			one = res.rate
		}
		fmt.Printf("%-22s %10.0f %9.2f %9.2f %12.2f\n", fmt.Sprintf("%d behind the proxy", k), res.rate, ms(res.p(0.5)), ms(res.p(0.99)), res.rate/(float64(k)*one))
	}
	lat, err := propagation(replicas, issuer, *propagationSamples)
	if err != nil {
		return err
	}
	fmt.Printf("replicas: a client and its grant created on one replica are served by the other two after p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d observations)\n",
		ms(lat[len(lat)/2]), ms(lat[(len(lat)-1)*99/100]), ms(lat[len(lat)-1]), len(lat))
	return nil
}

// startReplica starts a server on the shared database, pinned to core n
// when pin; all replicas share the issuer (the proxy) and the master key.
func startReplica(bin, dsn, issuer, masterKey string, n int, pin bool) (*server, error) {
	dir, err := os.MkdirTemp("", "tokenhook-bench-replica-")
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	srv := &server{dir: dir, base: "http://" + addr + "/", adminID: "benchadmin0000000000000000000000", adminSecret: "bench-admin-secret-0123456789abcdef"}
	env := append(os.Environ(), "TOKENHOOK_ADMIN_CLIENT_ID="+srv.adminID, "TOKENHOOK_ADMIN_CLIENT_SECRET="+srv.adminSecret,
		"TOKENHOOK_MASTER_KEY="+masterKey)
	args := []string{"serve", "--addr", addr, "--data-dir", dir, "--db", dsn, "--issuer", issuer, "--log-level", "warn"}
	name := bin
	if pin {
		name, args = "taskset", append([]string{"-c", strconv.Itoa(n), bin}, args...)
	}
	if srv.cmd, err = startProcess(name, env, args); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := waitHealthy(srv.base); err != nil {
		halt(srv)
		os.RemoveAll(dir)
		return nil, err
	}
	return srv, nil
}

type replicaClient struct{ id, secret string }

// adminToken is a Management API token, good on every replica (one
// issuer, one key set).
func adminToken(r *server, issuer string) (string, error) {
	return r.token(r.adminID, r.adminSecret, issuer+"api/v2/")
}

// mgmtAt calls the Management API of replica r with token.
func mgmtAt(r *server, token, method, path string, body any) (map[string]any, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, r.base+"api/v2/"+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, msg)
	}
	var out map[string]any
	_ = json.Unmarshal(msg, &out)
	return out, nil
}

// replicaApp creates the API and the client-credentials application the
// load asks tokens for.
func replicaApp(r *server, issuer string) (replicaClient, error) {
	tok, err := adminToken(r, issuer)
	if err != nil {
		return replicaClient{}, err
	}
	if _, err := mgmtAt(r, tok, "POST", "resource-servers", map[string]any{"identifier": replicaAudience, "name": "replicas bench"}); err != nil {
		return replicaClient{}, err
	}
	return newClient(r, tok, "replicas bench")
}

// newClient creates a machine-to-machine application granted
// replicaAudience on r; the grant is its last write.
func newClient(r *server, tok, name string) (replicaClient, error) {
	out, err := mgmtAt(r, tok, "POST", "clients", map[string]any{"name": name, "app_type": "non_interactive",
		"grant_types": []string{"client_credentials"}})
	if err != nil {
		return replicaClient{}, err
	}
	c := replicaClient{}
	c.id, _ = out["client_id"].(string)
	c.secret, _ = out["client_secret"].(string)
	if _, err := mgmtAt(r, tok, "POST", "client-grants", map[string]any{"client_id": c.id, "audience": replicaAudience, "scope": []string{}}); err != nil {
		return replicaClient{}, err
	}
	return c, nil
}

// propagation creates n clients, each on the next replica in turn, and
// times, from the answer to its last write, how long each other replica
// takes to issue it a token. Each observer polls as fast as its answers
// come.
func propagation(replicas []*server, issuer string, n int) ([]time.Duration, error) {
	tok, err := adminToken(replicas[0], issuer)
	if err != nil {
		return nil, err
	}
	clients := make([]*http.Client, len(replicas))
	for i := range clients {
		clients[i] = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	}
	var out []time.Duration
	for j := range n {
		writer := j % len(replicas)
		c, err := newClient(replicas[writer], tok, fmt.Sprintf("propagation %d", j))
		if err != nil {
			return nil, err
		}
		written := time.Now()
		body := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.id},
			"client_secret": {c.secret}, "audience": {replicaAudience}}.Encode()
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			fail atomic.Value
		)
		for i, r := range replicas {
			if i == writer {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				deadline := written.Add(10 * time.Second)
				for time.Now().Before(deadline) {
					resp, err := clients[i].Post(r.base+"oauth/token", "application/x-www-form-urlencoded", bytes.NewReader([]byte(body)))
					if err != nil {
						fail.Store(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode == 200 {
						mu.Lock()
						out = append(out, time.Since(written))
						mu.Unlock()
						return
					}
				}
				fail.Store(fmt.Errorf("replica %s did not serve client %s within 10 s", r.base, c.id))
			}()
		}
		wg.Wait()
		if err, ok := fail.Load().(error); ok {
			return nil, err
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// roundRobin is the bench's load balancer: each request goes to the next
// replica in turn.
type roundRobin struct {
	ln      net.Listener
	addr    string
	srv     *http.Server
	mu      sync.RWMutex
	targets []*url.URL
	next    atomic.Uint64
}

func startProxy() (*roundRobin, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &roundRobin{ln: ln, addr: ln.Addr().String()}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			p.mu.RLock()
			t := p.targets[p.next.Add(1)%uint64(len(p.targets))]
			p.mu.RUnlock()
			r.SetURL(t)
			r.Out.Host = r.In.Host // the replicas' issuer is the proxy
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 256},
		// A load ending cancels requests in flight: not worth a line each.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	p.srv = &http.Server{Handler: rp}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *roundRobin) base() string { return "http://" + p.addr + "/" }

func (p *roundRobin) use(replicas []*server) {
	var targets []*url.URL
	for _, r := range replicas {
		u, _ := url.Parse(r.base)
		targets = append(targets, u)
	}
	p.mu.Lock()
	p.targets = targets
	p.mu.Unlock()
}

func (p *roundRobin) close() { _ = p.srv.Close() }
