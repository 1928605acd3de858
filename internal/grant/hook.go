package grant

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync/atomic"

	"github.com/tokenhook/tokenhook/internal/hooks"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// runHook runs the enabled hook of a point inside the token request and
// records the run in the request's tenant log event.
func (e *Endpoint) runHook(req *request, trigger string, h *storage.Hook, in hooks.Input, ev *storage.LogEvent) hooks.Execution {
	in.Context.IP, in.Context.UserAgent = req.ip, req.userAgent
	ex := e.Hooks.Run(req.ctx, trigger, hooks.Script{ID: h.ID, Name: h.Name, Source: h.Script, Secrets: h.Secrets}, in, req.id)
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
	return ex
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
