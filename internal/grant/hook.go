package grant

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// runHook runs the enabled hook of a point, if any, inside the token
// request, records the run in the request's tenant log event, and returns
// the hook's filtered changes (none when no hook is enabled).
func (e *Endpoint) runHook(req *request, trigger string, in hooks.Input, ev *storage.LogEvent) (hooks.Changes, *oauth.Error) {
	h, ok := req.snap.EnabledHook(trigger)
	if !ok || e.Hooks == nil {
		return hooks.Changes{}, nil
	}
	in.Context.IP, in.Context.UserAgent = req.ip, req.userAgent
	in.Context.Body, in.Context.Headers = hooks.RequestBody(req.params), hooks.RequestHeaders(req.header, req.host)
	ex := e.Hooks.Run(req.ctx, trigger, hooks.Script{Tenant: req.snap.Tenant, ID: h.ID, Name: h.Name, Source: h.Script, Secrets: h.Secrets,
		Runtime: h.Runtime, Modules: h.Modules}, in, req.id)
	outcome := "success"
	if ex.Err != nil {
		outcome = ex.Err.Code
	}
	if ev.Details == nil {
		ev.Details = map[string]any{}
	}
	ev.Details["hook"] = map[string]any{
		"id": h.ID, "name": h.Name, "trigger": trigger,
		"duration_ms": float64(ex.Duration.Microseconds()) / 1000, "outcome": outcome,
	}
	return ex.Changes, ex.Err
}

func hookClient(c *storage.Client, tenant string) hooks.Client {
	return hooks.Client{ID: c.ClientID, Name: c.Name, Tenant: tenant, Metadata: c.Metadata}
}

// requestIDs are a per-process random prefix and a counter: unique enough
// to correlate log lines, and free of any per-request randomness cost.
var (
	requestPrefix  = randomPrefix()
	requestCounter atomic.Uint64
)

func randomPrefix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newRequestID() string {
	return requestPrefix + "-" + strconv.FormatUint(requestCounter.Add(1), 10)
}
