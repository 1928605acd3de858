package jsvm

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/dop251/goja"

	"github.com/tokenhook/tokenhook/internal/egress"
)

// Bounds of outbound HTTP per execution: a hook that loops over fetch or
// downloads something huge must not exhaust the worker.
const (
	maxFetchBody     = 8 << 20 // response (and request) body, bytes
	maxFetchInFlight = 32      // concurrent requests of one execution
	maxRedirects     = 20      // as Node's fetch (undici)
)

// netClient performs hook fetches with net/http. Every connection, redirect
// hops included, is dialled through the egress policy, which checks the
// resolved address at connect time. Proxies from the environment are never
// used: they would let a request past the policy.
type netClient struct {
	follow, manual, fail *http.Client
}

func newNetClient(p *egress.Policy, extraCAs string) *netClient {
	tr := &http.Transport{
		TLSClientConfig:     tlsConfig(extraCAs),
		DialContext:         p.DialContext,
		ForceAttemptHTTP2:   true,
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     30 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	return &netClient{
		follow: &http.Client{Transport: tr, CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return errors.New("redirect count exceeded")
			}
			return nil
		}},
		manual: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		fail: &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("unexpected redirect")
		}},
	}
}

// tlsConfig trusts the system's CAs and those of the PEM file caFile, as
// Node does with NODE_EXTRA_CA_CERTS; a file that cannot be read adds
// nothing (Node warns and goes on the same way). nil = Go's defaults.
func tlsConfig(caFile string) *tls.Config {
	if caFile == "" {
		return nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

var errBodyTooLarge = fmt.Errorf("response body over %d bytes", maxFetchBody)

// nativeFetch is natives.fetch(method, url, headers [k, v, ...], body
// ArrayBuffer|undefined, redirect) → {promise, abort}. The promise resolves
// with {status, statusText, url, redirected, headers [k, v, ...], body
// ArrayBuffer} or rejects with fetch's TypeError.
func (v *vmState) nativeFetch(call goja.FunctionCall) goja.Value {
	ex := v.cur
	rt := v.rt
	if ex == nil || ex.p.net == nil {
		panic(v.newError("TypeError", "fetch is not available here"))
	}
	method := call.Argument(0).String()
	rawURL := call.Argument(1).String()
	var headers []string
	if err := rt.ExportTo(call.Argument(2), &headers); err != nil {
		panic(v.newError("TypeError", "fetch: bad headers"))
	}
	var body io.Reader
	if ab, ok := call.Argument(3).Export().(goja.ArrayBuffer); ok {
		b := ab.Bytes()
		if len(b) > maxFetchBody {
			panic(v.newError("TypeError", fmt.Sprintf("fetch: request body over %d bytes", maxFetchBody)))
		}
		body = strings.NewReader(string(b))
	}
	client := ex.p.net.follow
	switch call.Argument(4).String() {
	case "manual":
		client = ex.p.net.manual
	case "error":
		client = ex.p.net.fail
	}

	promise, resolve, reject := rt.NewPromise()
	op := rt.NewObject()
	_ = op.Set("promise", promise)
	ctx, cancel := context.WithCancelCause(ex.hostCtx())
	_ = op.Set("abort", func() { cancel(errAborted) })

	if ex.fetches >= maxFetchInFlight {
		cancel(nil)
		_ = reject(v.fetchError(fmt.Errorf("more than %d requests in flight", maxFetchInFlight)))
		return op
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err == nil && req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		err = fmt.Errorf("unsupported URL scheme %q", req.URL.Scheme)
	}
	if err != nil {
		cancel(nil)
		_ = reject(v.fetchError(err))
		return op
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "node") // what Node's fetch sends
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "*/*")
	}

	ex.fetches++
	in := v.loop.in
	in.start()
	go func() {
		defer cancel(nil)
		resp, err := client.Do(req)
		var data []byte
		if err == nil {
			data, err = io.ReadAll(io.LimitReader(resp.Body, maxFetchBody+1))
			resp.Body.Close()
			if err == nil && len(data) > maxFetchBody {
				err = errBodyTooLarge
			}
		}
		if err != nil && errors.Is(context.Cause(ctx), errAborted) {
			err = errAborted
		}
		in.post(func() error {
			ex.fetches--
			if errors.Is(context.Cause(ctx), errAborted) {
				// Aborted on the loop before this completion ran: the
				// response, if any, is not delivered (as in Node).
				err = errAborted
			}
			if err != nil {
				return reject(v.fetchError(err))
			}
			hs := make([]any, 0, 2*len(resp.Header))
			for k, vs := range resp.Header {
				for _, hv := range vs {
					hs = append(hs, strings.ToLower(k), hv)
				}
			}
			r := rt.NewObject()
			_ = r.Set("status", resp.StatusCode)
			_ = r.Set("statusText", strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode))))
			_ = r.Set("url", resp.Request.URL.String())
			_ = r.Set("redirected", resp.Request != req) // each hop is a new request
			_ = r.Set("headers", hs)
			_ = r.Set("body", rt.NewArrayBuffer(data))
			return resolve(r)
		})
	}()
	return op
}

var errAborted = errors.New("aborted")

// fetchError builds what fetch rejects with, as Node's does: a
// TypeError('fetch failed') whose cause carries a code. A refusal by the
// egress policy is ECONNREFUSED with the policy's own message, so the hook
// (and whoever reads its logs) learns why.
func (v *vmState) fetchError(err error) goja.Value {
	if errors.Is(err, errAborted) {
		e := v.newError("Error", "This operation was aborted")
		_ = e.Set("name", "AbortError")
		_ = e.Set("code", 20)
		return e
	}
	code, msg := "", err.Error()
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		// *url.Error prefixes method and URL; the cause keeps only the reason.
		if inner := errors.Unwrap(err); inner != nil {
			msg = inner.Error()
		}
	}
	var dns *net.DNSError
	switch de, denied := egress.IsDenied(err); {
	case denied:
		code, msg = "ECONNREFUSED", de.Error()
	case errors.As(err, &dns):
		code = "ENOTFOUND"
	case errors.Is(err, syscall.ECONNREFUSED):
		code = "ECONNREFUSED"
	case errors.Is(err, syscall.ECONNRESET):
		code = "ECONNRESET"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		code, msg = "ETIMEDOUT", "the hook's deadline passed before the response arrived"
	case errors.Is(err, errBodyTooLarge):
		code = "ERR_BODY_TOO_LARGE"
	}
	cause := v.newError("Error", msg)
	if code != "" {
		_ = cause.Set("code", code)
	}
	te := v.newError("TypeError", "fetch failed: "+msg)
	_ = te.Set("cause", cause)
	if code != "" {
		_ = te.Set("code", code)
	}
	return te
}
