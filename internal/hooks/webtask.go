package hooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// The webtask context (compat-spec §3.8, issue 13 item 5). Auth0's hook
// compilers handed hooks the whole webtask context as context.webtask and
// the token request's body as context.body; real hooks read both.

// HiddenParams never reach a hook's context.body: they are the client's
// and the user's credentials, which the hook has no business seeing.
var HiddenParams = map[string]bool{"client_secret": true, "password": true, "client_assertion": true}

// hiddenHeader reports the headers that never reach
// context.webtask.headers: credentials and cookies (host comes from
// Context.Host).
func hiddenHeader(name string) bool {
	for _, h := range [...]string{"authorization", "proxy-authorization", "cookie", "host"} {
		if strings.EqualFold(name, h) {
			return true
		}
	}
	return false
}

// appendJSON encodes c as the hook's context argument. Keys are sorted,
// so a hook sees the same order every time.
func (c Context) appendJSON(b []byte) []byte {
	b = append(b, `{"ip":`...)
	b = appendJSONString(b, c.IP)
	b = append(b, `,"userAgent":`...)
	b = appendJSONString(b, c.UserAgent)
	if l := c.Lifecycle; l != nil {
		b = append(b, `,"requestLanguage":`...)
		b = appendJSONString(b, l.Language)
		b = append(b, `,"renderLanguage":`...)
		b = appendJSONString(b, l.Language)
		b = append(b, `,"connection":{"id":`...)
		b = appendJSONString(b, l.ConnectionID)
		b = append(b, `,"name":`...)
		b = appendJSONString(b, l.ConnectionName)
		b = append(b, `,"tenant":`...)
		b = appendJSONString(b, l.Tenant)
		b = append(b, `},"request":{"ip":`...)
		b = appendJSONString(b, c.IP)
		b = append(b, `,"language":`...)
		b = appendJSONString(b, l.Language)
		b = append(b, `,"userAgent":`...)
		b = appendJSONString(b, c.UserAgent)
		b = append(b, '}')
	}
	// context.body: the request's parameters as sent, custom ones
	// included, without the credentials.
	b = append(b, `,"body":`...)
	b = appendStringMap(b, c.Params, HiddenParams)
	b = append(b, `,"webtask":{"secrets":`...)
	b = appendStringMap(b, c.Secrets, nil)
	// webtask's ctx.data: the secrets merged with the query string, which
	// a hook's call never had; hooks written for plain webtasks read
	// secrets there (context.webtask.data.API_KEY).
	b = append(b, `,"data":`...)
	b = appendStringMap(b, c.Secrets, nil)
	b = append(b, `,"meta":`...)
	if c.Trigger == "" {
		b = append(b, `{}`...)
	} else {
		// As Auth0 set it for hooks.
		b = append(b, `{"auth0-extension":"runtime","auth0-extension-name":`...)
		b = appendJSONString(b, c.Trigger)
		b = append(b, `,"hook-name":`...)
		b = appendJSONString(b, c.HookName)
		b = append(b, '}')
	}
	b = append(b, `,"headers":`...)
	b = appendHeaders(b, c.Header, c.Host)
	b = append(b, `,"id":`...)
	b = appendJSONString(b, c.ID)
	return append(b, `}}`...)
}

// appendStringMap encodes m as a JSON object with sorted keys, leaving
// out those in skip.
func appendStringMap(b []byte, m map[string]string, skip map[string]bool) []byte {
	var arr [16]string
	keys := arr[:0]
	for k := range m {
		if !skip[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return append(b, '}')
}

// appendHeaders encodes the request's headers as Node.js presents them:
// lower-case names, repeated values joined with ", ", host first; without
// credentials and cookies.
func appendHeaders(b []byte, h http.Header, host string) []byte {
	b = append(b, '{')
	n := 0
	if host != "" {
		b = append(b, `"host":`...)
		b = appendJSONString(b, host)
		n++
	}
	var arr [32]string
	keys := arr[:0]
	for k, v := range h {
		if len(v) > 0 && !hiddenHeader(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = appendLowerName(b, k)
		b = append(b, ':')
		if v := h[k]; len(v) == 1 {
			b = appendJSONString(b, v[0])
		} else {
			b = appendJSONString(b, strings.Join(v, ", "))
		}
	}
	return append(b, '}')
}

// appendLowerName appends a header name in lower case as a JSON string.
// net/http accepts only token characters in names, so nothing needs
// escaping; anything else is escaped anyway, to stay valid JSON.
func appendLowerName(b []byte, name string) []byte {
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return appendJSONString(b, strings.ToLower(name))
		}
	}
	b = append(b, '"')
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return append(b, '"')
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD, as
// encoding/json does (without its HTML escaping, which no hook needs).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// scriptKey names the warm state a runtime may keep for s: the hook, its
// code and its dependency tree. Two hooks with the same code never share
// module state; unsaved code is run isolated and needs no key.
func scriptKey(s Script) string {
	if s.ID == "" {
		return ""
	}
	return s.ID + "\x00" + s.Modules + "\x00" + s.Source
}

// Runtimes a hook runs on (storage.Hook.Runtime).
const (
	RuntimeEmbedded = storage.RuntimeEmbedded
	RuntimeNode     = storage.RuntimeNode
)

// ErrNoNode is why a hook that needs Node.js cannot run on this server.
var ErrNoNode = errors.New("this hook needs Node.js (npm dependencies or Node built-ins), which this server does not have: install Node.js 18 or later, or start the server with --node PATH")

// ModuleTrees finds installed npm dependency trees on this machine
// (npm.Trees). Dir never waits for an install.
type ModuleTrees interface {
	Dir(hash string) (string, error)
}

// engineFor picks the runtime of s and the directory of its installed
// dependencies.
func (r *Runner) engineFor(s Script) (sandbox.Engine, string, error) {
	if s.Runtime != RuntimeNode {
		return r.Engine, "", nil
	}
	if r.Node == nil {
		return nil, "", ErrNoNode
	}
	if s.Modules == "" {
		return r.Node, "", nil
	}
	if r.Modules == nil {
		return nil, "", errors.New("hooks: no npm trees configured for a hook with dependencies")
	}
	dir, err := r.Modules.Dir(s.Modules)
	if err != nil {
		return nil, "", err
	}
	return r.Node, dir, nil
}

// storageTimeout bounds one storage call of a hook. The call is detached
// from the token request's cancellation: work a hook left running after
// its answer (fire-and-forget) may still save, within its own deadline.
const storageTimeout = 10 * time.Second

// hookStorage is context.webtask.storage of a saved hook, kept in the
// database: the hook's own I/O, during its execution.
type hookStorage struct {
	store          storage.HookStorage
	tenant, hookID string
}

func (h *hookStorage) Get(ctx context.Context) (json.RawMessage, string, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storageTimeout)
	defer cancel()
	d, err := h.store.GetHookDocument(ctx, h.tenant, h.hookID)
	if err != nil {
		return nil, "", errors.New("the hook's storage could not be read")
	}
	return d.Data, d.Version, nil
}

func (h *hookStorage) Set(ctx context.Context, data json.RawMessage, ifVersion string, force bool) (string, error) {
	if err := checkDocument(data); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storageTimeout)
	defer cancel()
	v, err := h.store.SetHookDocument(ctx, h.tenant, h.hookID, data, ifVersion, force)
	switch {
	case err == nil:
		return v, nil
	case errors.Is(err, storage.ErrStaleVersion):
		return "", sandbox.ErrStorageConflict
	case errors.Is(err, storage.ErrNotFound):
		return "", errors.New("the hook was deleted: its storage is gone")
	case errors.Is(err, storage.ErrDocumentTooLarge):
		return "", tooLarge(len(data))
	default:
		return "", errors.New("the hook's storage could not be written")
	}
}

func checkDocument(data json.RawMessage) error {
	if len(data) > sandbox.MaxStorageBytes {
		return tooLarge(len(data))
	}
	if !json.Valid(data) {
		return errors.New("storage data must be JSON")
	}
	return nil
}

func tooLarge(n int) error {
	return fmt.Errorf("storage data is %d bytes, over the %d KB limit", n, sandbox.MaxStorageBytes/1024)
}

// scratchStorage is the runner's context.webtask.storage: it starts from
// a copy of the saved hook's document (or empty for unsaved code) and
// keeps writes in memory for that one run, so testing a hook never changes
// what token requests see.
type scratchStorage struct {
	mu      sync.Mutex
	data    json.RawMessage
	version int
}

func (s *scratchStorage) Get(context.Context) (json.RawMessage, string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data, s.versionString(), nil
}

func (s *scratchStorage) Set(_ context.Context, data json.RawMessage, ifVersion string, force bool) (string, error) {
	if err := checkDocument(data); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !force && ifVersion != s.versionString() {
		return "", sandbox.ErrStorageConflict
	}
	s.data = append(json.RawMessage(nil), data...)
	s.version++
	return s.versionString(), nil
}

func (s *scratchStorage) versionString() string {
	if s.version == 0 {
		return ""
	}
	return fmt.Sprintf("scratch-%d", s.version)
}

// runnerStorage is the scratch storage of a runner execution of s.
func (r *Runner) runnerStorage(ctx context.Context, s Script) *scratchStorage {
	sc := &scratchStorage{}
	if s.ID == "" || r.Storage == nil {
		return sc
	}
	if d, err := r.Storage.GetHookDocument(ctx, s.Tenant, s.ID); err == nil && d.Data != nil {
		sc.data, sc.version = d.Data, 1
	}
	return sc
}

// tokenStorage is the storage of a token request's execution of s.
func (r *Runner) tokenStorage(s Script) sandbox.Storage {
	if r.Storage == nil || s.ID == "" {
		return nil
	}
	return &hookStorage{store: r.Storage, tenant: s.Tenant, hookID: s.ID}
}
