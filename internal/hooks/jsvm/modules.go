package jsvm

import (
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/buffer"
	"github.com/dop251/goja_nodejs/require"
	"github.com/dop251/goja_nodejs/url"
)

// allowedModules is the allowlist of Node built-ins a hook may require. It is
// pinned by TestRequire; adding a module here widens what hooks can reach.
var allowedModules = map[string]bool{
	"assert": true, "buffer": true, "crypto": true, "events": true,
	"querystring": true, "string_decoder": true, "url": true, "util": true,
}

// nodeBuiltins lists Node built-ins that exist in Node but are refused here,
// so the error can say "not available" instead of "npm dependencies".
var nodeBuiltins = map[string]bool{
	"async_hooks": true, "child_process": true, "cluster": true, "console": true, "constants": true,
	"dgram": true, "diagnostics_channel": true, "dns": true, "domain": true, "fs": true, "fs/promises": true,
	"http": true, "http2": true, "https": true, "inspector": true, "module": true, "net": true, "os": true,
	"path": true, "perf_hooks": true, "process": true, "punycode": true, "readline": true, "repl": true,
	"stream": true, "sys": true, "timers": true, "tls": true, "trace_events": true, "tty": true, "v8": true,
	"vm": true, "wasi": true, "worker_threads": true, "zlib": true,
}

// registry holds no file loader: every non-native lookup fails, so the
// goja_nodejs require machinery can never read the file system.
var registry = require.NewRegistry(require.WithLoader(func(string) ([]byte, error) {
	return nil, require.ModuleFileDoesNotExistError
}))

// modules resolves require() for one runtime, caching each module's exports
// like Node does (two requires of 'crypto' return the same object).
type modules struct {
	rt    *goja.Runtime
	vm    *vmState
	rm    *require.RequireModule
	cache map[string]goja.Value
	fn    goja.Value // the require function handed to the hook module
	url   goja.Value // the prelude's URL class, which require('url').URL must be
}

func newModules(vm *vmState) *modules {
	m := &modules{rt: vm.rt, vm: vm, cache: make(map[string]goja.Value)}
	// goja_nodejs's buffer and url modules look up a global require while
	// they initialise; enable it, take what we need, then remove it: hooks
	// get require only as a module-scope parameter, as in Node.
	m.rm = registry.Enable(vm.rt)
	buffer.Enable(vm.rt)
	url.Enable(vm.rt)
	m.fn = vm.rt.ToValue(func(call goja.FunctionCall) goja.Value {
		return m.require(call.Argument(0).String(), false)
	})
	return m
}

func (m *modules) require(name string, internal bool) goja.Value {
	name = strings.TrimPrefix(name, "node:")
	if v, ok := m.cache[name]; ok {
		return v
	}
	var exports goja.Value
	switch {
	case internal && name == "tokenhook:util":
		o := m.rt.NewObject()
		_ = o.Set("format", m.vm.jsFormat)
		_ = o.Set("inspect", m.vm.jsInspect)
		exports = o
	case internal && name == "tokenhook:url":
		v, err := m.rm.Require("url")
		if err != nil {
			panic(m.rt.NewGoError(err))
		}
		if o, ok := v.(*goja.Object); ok && m.url != nil && !goja.IsUndefined(m.url) {
			_ = o.Set("URL", m.url)
		}
		exports = v
	case !allowedModules[name]:
		m.refuse(name)
	case name == "crypto":
		exports = newCryptoModule(m.vm)
	case name == "buffer":
		v, err := m.rm.Require(name)
		if err != nil {
			panic(m.rt.NewGoError(err))
		}
		exports = v
	default:
		exports = m.loadJS(name)
	}
	m.cache[name] = exports
	return exports
}

func (m *modules) loadJS(name string) goja.Value {
	prog := modulePrograms[name]
	fnv, err := m.rt.RunProgram(prog)
	if err != nil {
		panic(err)
	}
	fn, _ := goja.AssertFunction(fnv)
	module := m.rt.NewObject()
	exports := m.rt.NewObject()
	_ = module.Set("exports", exports)
	internalRequire := m.rt.ToValue(func(call goja.FunctionCall) goja.Value {
		return m.require(call.Argument(0).String(), true)
	})
	if _, err := fn(goja.Undefined(), module, exports, internalRequire); err != nil {
		panic(err)
	}
	return module.Get("exports")
}

func (m *modules) refuse(name string) {
	var msg string
	if nodeBuiltins[name] {
		msg = "Cannot find module '" + name + "': the Node built-in '" + name + "' is not available to hooks in tokenhook"
	} else {
		msg = "Cannot find module '" + name + "': npm dependencies and other modules are not supported by tokenhook hooks yet"
	}
	obj := m.vm.newError("Error", msg)
	_ = obj.Set("code", "MODULE_NOT_FOUND")
	panic(obj)
}

// HasModule reports whether require(name) is provided by the embedded
// engine (a "node:" prefix is ignored). A hook requiring anything else
// needs the Node.js runtime.
//
// "module#function" asks about one function of a module: the embedded
// crypto has the hashes, HMACs and random values, not Node's signing,
// ciphers or key derivation (npm.ChooseRuntime sends hooks calling those
// to Node).
func HasModule(name string) bool {
	name = strings.TrimPrefix(name, "node:")
	if mod, fn, ok := strings.Cut(name, "#"); ok {
		return mod == "crypto" && cryptoFunctions[fn]
	}
	return allowedModules[name]
}

// cryptoFunctions are the functions of the embedded require('crypto')
// (crypto_module.go).
var cryptoFunctions = map[string]bool{"createHash": true, "createHmac": true, "getHashes": true, "randomBytes": true,
	"randomUUID": true, "timingSafeEqual": true}
