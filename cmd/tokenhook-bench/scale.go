//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/tokenhook/tokenhook/internal/catalog"
	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
)

// The scale section: what a Management API write, a token and a start
// cost as the tenant grows. The database is seeded through the store's
// bulk imports (one transaction per batch), not through the API.
const (
	scaleSmall   = 500
	scaleLarge   = 50000
	scaleUsers   = 100000
	scaleWrites  = 200 // client creates measured at each size
	scaleTokens  = 500 // tokens measured at each size
	scaleTenant  = "default"
	scaleKeyHex  = "5ca1e5ca1e5ca1e5ca1e5ca1e5ca1e5ca1e5ca1e5ca1e5ca1e5ca1e5ca1e5ca1"
	scaleBatch   = 5000
	scaleAdminID = "scaleadmin0000000000000000000000"
)

// scaleSection runs the scale scenario when -run selects "scale".
func scaleSection(bin string) error {
	if !scenarioFilter.MatchString("scale") {
		return nil
	}
	dir, err := os.MkdirTemp("", "tokenhook-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Printf("\nscale (SQLite, clients seeded in bulk; %d client creates through /api/v2 and %d sequential tokens at each size)\n", scaleWrites, scaleTokens)

	// The first start bootstraps the database (keys, admin, demo app).
	srv, _, _, err := startScale(bin, dir)
	if err != nil {
		return err
	}
	srv.stop()
	if err := seedScale(dir, scaleSmall, 0); err != nil {
		return err
	}
	small, err := measureScale(bin, dir)
	if err != nil {
		return err
	}
	if err := seedScale(dir, scaleLarge-scaleSmall, scaleUsers); err != nil {
		return err
	}
	large, err := measureScale(bin, dir)
	if err != nil {
		return err
	}
	mem, clients, load, err := catalogMemory(dir)
	if err != nil {
		return err
	}
	fmt.Printf("%-34s %12s %12s %8s\n", "", fmt.Sprintf("%d clients", scaleSmall), fmt.Sprintf("%d clients", scaleLarge), "ratio")
	fmt.Printf("%-34s %12.2f %12.2f %8.2f\n", "client create p50 ms (/api/v2)", ms(small.write), ms(large.write), ratio(large.write, small.write))
	fmt.Printf("%-34s %12.3f %12.3f %8.2f\n", "token p50 ms (client_credentials)", ms(small.token), ms(large.token), ratio(large.token, small.token))
	fmt.Printf("%-34s %12.0f %12.0f %8.2f\n", "start-up ms (spawn to healthy)", ms(small.start), ms(large.start), ratio(large.start, small.start))
	fmt.Printf("%-34s %12.0f %12.0f %8.2f\n", "start-up CPU ms (server, to healthy)", ms(small.startCPU), ms(large.startCPU), ratio(large.startCPU, small.startCPU))
	fmt.Printf("start-up at %d clients and %d users: %.2f s wall, %.2f s CPU (target < 5 s)\n", scaleLarge, scaleUsers, large.start.Seconds(), large.startCPU.Seconds())
	fmt.Printf("catalog memory at %d clients: %.1f MiB (%.0f bytes per client), loaded in %.0f ms in this process\n",
		clients, float64(mem)/(1<<20), float64(mem)/float64(clients), ms(load))
	return nil
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// scaleResult holds medians, and the start's wall time and the server's
// CPU time up to its first healthy answer (the wall time moves with other
// load on the machine; the CPU time much less).
type scaleResult struct{ write, token, start, startCPU time.Duration }

// measureScale starts the server on dir and measures a start, client
// creates and tokens.
func measureScale(bin, dir string) (scaleResult, error) {
	srv, started, startCPU, err := startScale(bin, dir)
	if err != nil {
		return scaleResult{}, err
	}
	defer srv.stop()
	res := scaleResult{start: started, startCPU: startCPU}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	admin, err := scaleToken(client, srv.base, srv.adminID, srv.adminSecret, srv.base+"api/v2/")
	if err != nil {
		return res, err
	}
	var writes []time.Duration
	for i := range scaleWrites {
		body, _ := json.Marshal(map[string]any{"name": fmt.Sprint("scale write ", i), "app_type": "non_interactive",
			"grant_types": []string{"client_credentials"}})
		req, _ := http.NewRequest("POST", srv.base+"api/v2/clients", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return res, err
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		writes = append(writes, time.Since(t0))
		if resp.StatusCode != 201 {
			return res, fmt.Errorf("scale: create client: %d %s", resp.StatusCode, msg)
		}
	}
	var tokens []time.Duration
	for range scaleTokens {
		t0 := time.Now()
		if _, err := scaleToken(client, srv.base, srv.clientID, srv.clientSecret, srv.audience); err != nil {
			return res, err
		}
		tokens = append(tokens, time.Since(t0))
	}
	res.write, res.token = medianOf(writes), medianOf(tokens)
	return res, nil
}

func medianOf(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func scaleToken(client *http.Client, base, id, secret, audience string) (string, error) {
	resp, err := client.PostForm(base+"oauth/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {id}, "client_secret": {secret}, "audience": {audience}})
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" {
		return "", fmt.Errorf("scale: token: status %d", resp.StatusCode)
	}
	return out.AccessToken, nil
}

// startScale starts the server on dir and says how long it took from the
// spawn to its first healthy answer, in wall time and in the server's CPU.
func startScale(bin, dir string) (*server, time.Duration, time.Duration, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, 0, 0, err
	}
	addr := ln.Addr().String()
	ln.Close()
	srv := &server{base: "http://" + addr + "/", adminID: scaleAdminID, adminSecret: "scale-admin-secret-0123456789abcdef"}
	// No --dev HTTPS port, as start: another --dev server may hold it.
	cmd := exec.Command(bin, "serve", "--dev", "--dev-https-addr", "", "--addr", addr, "--data-dir", dir, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "TOKENHOOK_ADMIN_CLIENT_ID="+srv.adminID, "TOKENHOOK_ADMIN_CLIENT_SECRET="+srv.adminSecret,
		"TOKENHOOK_MASTER_KEY="+scaleKeyHex)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, 0, err
	}
	srv.cmd = cmd
	// dir is this section's own; stop must not remove it.
	srv.dir = filepath.Join(dir, "does-not-exist")
	poll := &http.Client{Timeout: time.Second}
	for time.Since(t0) < 2*time.Minute {
		if resp, err := poll.Get(srv.base + "healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				started := time.Since(t0)
				cpu, err := treeCPU(cmd.Process.Pid)
				if err == nil {
					err = scaleDemo(srv)
				}
				if err != nil {
					srv.stop()
					return nil, 0, 0, err
				}
				return srv, started, cpu, nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	return nil, 0, 0, errors.New("scale: server not healthy within 2 minutes")
}

// scaleDemo finds the --dev demo application (printed at the first start
// only) in the database, and its grant's audience.
func scaleDemo(srv *server) error {
	admin, err := scaleToken(http.DefaultClient, srv.base, srv.adminID, srv.adminSecret, srv.base+"api/v2/")
	if err != nil {
		return err
	}
	req, _ := http.NewRequest("GET", srv.base+"api/v2/client-grants?per_page=100", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var grants []struct {
		ClientID string `json:"client_id"`
		Audience string `json:"audience"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&grants); err != nil {
		return err
	}
	for _, g := range grants {
		if g.ClientID == srv.adminID || strings.HasSuffix(g.Audience, "/api/v2/") {
			continue
		}
		req, _ := http.NewRequest("GET", srv.base+"api/v2/clients/"+g.ClientID, nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		var c struct {
			Secret string `json:"client_secret"`
		}
		err = json.NewDecoder(resp.Body).Decode(&c)
		resp.Body.Close()
		if err != nil {
			return err
		}
		srv.clientID, srv.clientSecret, srv.audience = g.ClientID, c.Secret, g.Audience
		return nil
	}
	return errors.New("scale: no demo application with a grant")
}

func openScaleStore(dir string) (*sqlstore.Store, error) {
	key, err := seal.LoadOrCreateKey(scaleKeyHex, dir)
	if err != nil {
		return nil, err
	}
	sealer, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	return sqlstore.Open(context.Background(), filepath.Join(dir, "tokenhook.db"), sealer)
}

// seedScale adds clients and users to the stopped server's database.
func seedScale(dir string, clients, users int) error {
	store, err := openScaleStore(dir)
	if err != nil {
		return err
	}
	defer store.Close()
	ctx := context.Background()
	_, have, err := store.ListClients(ctx, scaleTenant, storage.Page{PerPage: 1})
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	for done := 0; done < clients; {
		var batch []storage.Client
		for ; done < clients && len(batch) < scaleBatch; done++ {
			n := have + done
			batch = append(batch, storage.Client{Tenant: scaleTenant, ClientID: fmt.Sprintf("scale%027d", n),
				Secret: fmt.Sprintf("scale-secret-%d-0123456789abcdef0123456789", n), Name: fmt.Sprint("scale client ", n),
				AppType: "non_interactive", GrantTypes: []string{"client_credentials"}, TokenEndpointAuthMethod: "client_secret_post",
				CreatedAt: now, UpdatedAt: now})
		}
		if err := store.ImportClients(ctx, batch); err != nil {
			return err
		}
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("scale-password"), 4)
	if err != nil {
		return err
	}
	for done := 0; done < users; {
		var batch []storage.User
		for ; done < users && len(batch) < scaleBatch; done++ {
			batch = append(batch, storage.User{Tenant: scaleTenant, UserID: fmt.Sprintf("auth0|scale%019d", done),
				Connection: storage.DatabaseConnection, Email: fmt.Sprintf("user%d@scale.example", done),
				PasswordHash: string(hash), CreatedAt: now, UpdatedAt: now})
		}
		if err := store.ImportUsers(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

// catalogMemory loads the tenant's catalog in this process and measures
// the heap it holds.
func catalogMemory(dir string) (uint64, int, time.Duration, error) {
	store, err := openScaleStore(dir)
	if err != nil {
		return 0, 0, 0, err
	}
	defer store.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	cache, err := catalog.New(ctx, store, scaleTenant, time.Now, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		return 0, 0, 0, err
	}
	load := time.Since(t0)
	runtime.GC()
	runtime.ReadMemStats(&after)
	clients, _, _ := cache.Snapshot().Counts()
	runtime.KeepAlive(cache)
	return after.HeapAlloc - before.HeapAlloc, clients, load, nil
}
