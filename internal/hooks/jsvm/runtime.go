package jsvm

import (
	"os"
	"strings"
	"time"

	"github.com/dop251/goja"
)

// maxCallStack bounds JavaScript call depth so runaway recursion ends as a
// RangeError instead of growing the Go stack. Node allows ~11k frames of a
// trivial function; hooks never need more than this.
const maxCallStack = 4096

// vmState is one goja runtime bound to one script version. It is used by one
// goroutine at a time (the executor hands it out exclusively) and is thrown
// away after an interrupt or any failure of the engine itself.
type vmState struct {
	rt    *goja.Runtime
	fn    goja.Callable // module.exports, once the module has run
	fnLen int           // its declared parameters: whether it takes cb
	mod   *goja.Object  // the module object, kept so module scope lives on

	// Captured before any user code runs, so a hook that replaces JSON or
	// Error cannot change how the engine encodes results or builds errors.
	jsonObj       *goja.Object
	jsonParse     goja.Callable
	jsonStringify goja.Callable
	errorCtors    map[string]*goja.Object
	thenKey       goja.Value

	mods    *modules
	storage *goja.Object // context.webtask.storage, made on first use
	loop    eventLoop
	cur     *execution
	broken  bool
	// rejections are the promises rejected with no handler yet, in order.
	rejections []*goja.Promise
	jsFormat   func(goja.FunctionCall) goja.Value
	jsInspect  func(goja.FunctionCall) goja.Value
	// inspDepth and inspBreak are the depth and line width of inspection:
	// Node's defaults, or util.inspect's options during that call.
	inspDepth, inspBreak int
	curDepth             int // the depth of the object being inspected (Node's ctx.currentDepth)
	console              consoleState
	zones                map[string]*time.Location // the time zones dates were formatted in
	// bufferFrom and bufferToString are Buffer.from and
	// Buffer.prototype.toString with the prelude's encodings, for the
	// crypto module's input and output encodings.
	bufferFrom, bufferToString goja.Callable
	// bufferProto is Buffer.prototype, so that inspect prints Buffers as
	// Node does.
	bufferProto *goja.Object
	// parseInt and parseFloat as the engine defines them, for %i and %f.
	parseInt, parseFloat goja.Callable
}

// newVMState builds a runtime with the hook globals. No user code runs here.
func newVMState() *vmState {
	rt := goja.New()
	rt.SetMaxCallStackSize(maxCallStack)
	v := &vmState{rt: rt, errorCtors: make(map[string]*goja.Object, 4), zones: map[string]*time.Location{}}
	v.loop.init(v)
	rt.SetPromiseRejectionTracker(v.trackRejection)
	v.jsonObj = rt.Get("JSON").(*goja.Object)
	v.jsonParse, _ = goja.AssertFunction(v.jsonObj.Get("parse"))
	v.jsonStringify, _ = goja.AssertFunction(v.jsonObj.Get("stringify"))
	for _, n := range []string{"Error", "TypeError", "RangeError"} {
		v.errorCtors[n] = rt.Get(n).(*goja.Object)
	}
	v.thenKey = rt.ToValue("then")
	v.parseInt, _ = goja.AssertFunction(rt.Get("parseInt"))
	v.parseFloat, _ = goja.AssertFunction(rt.Get("parseFloat"))
	v.jsFormat = func(call goja.FunctionCall) goja.Value { return rt.ToValue(v.format(call.Arguments)) }
	v.inspDepth, v.inspBreak = inspectDepth, breakLength
	v.jsInspect = func(call goja.FunctionCall) goja.Value {
		// util.inspect(value, {depth, breakLength}): depth null or
		// Infinity is unlimited (up to the engine's own bound).
		if opts, ok := call.Argument(1).(*goja.Object); ok {
			defer func() { v.inspDepth, v.inspBreak = inspectDepth, breakLength }()
			if d := opts.Get("depth"); d != nil && !goja.IsUndefined(d) {
				if f := d.ToFloat(); goja.IsNull(d) || f > maxInspectDepth {
					v.inspDepth = maxInspectDepth
				} else if f >= 0 {
					v.inspDepth = int(f)
				}
			}
			if bl := opts.Get("breakLength"); bl != nil && !goja.IsUndefined(bl) {
				if f := bl.ToFloat(); f > 1<<20 {
					v.inspBreak = 1 << 20
				} else if f >= 0 {
					v.inspBreak = int(f)
				}
			}
		}
		var b strings.Builder
		v.inspectTop(&b, call.Argument(0))
		return rt.ToValue(b.String())
	}

	v.mods = newModules(v)

	console := rt.NewObject()
	for _, l := range []struct{ name, level string }{
		{"log", "log"}, {"info", "info"}, {"warn", "warn"}, {"error", "error"}, {"debug", "log"}, {"dirxml", "log"},
	} {
		level := l.level
		_ = console.Set(l.name, func(call goja.FunctionCall) goja.Value {
			v.emit(level, v.format(call.Arguments))
			return goja.Undefined()
		})
	}
	v.installConsoleExtras(console)
	g := rt.GlobalObject()
	define := func(name string, val any) {
		_ = g.DefineDataProperty(name, rt.ToValue(val), goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	_ = console.Set("dir", func(call goja.FunctionCall) goja.Value {
		var b strings.Builder
		v.inspectTop(&b, call.Argument(0))
		v.emit("log", b.String())
		return goja.Undefined()
	})
	define("console", console)
	v.loop.install(define)

	natives := rt.NewObject()
	_ = natives.Set("env", v.nativeEnv)
	_ = natives.Set("fetch", v.nativeFetch)
	_ = natives.Set("timerRef", v.loop.setRef)
	_ = natives.Set("tzOffset", v.nativeTZOffset)
	started := time.Now()
	_ = natives.Set("monoNanos", func(goja.FunctionCall) goja.Value { return rt.ToValue(float64(time.Since(started).Nanoseconds())) })
	for _, prog := range []*goja.Program{preludeProgram, webProgram} {
		pre, err := rt.RunProgram(prog)
		if err != nil {
			panic(err) // the prelude is ours; failing here is a programming error
		}
		preFn, _ := goja.AssertFunction(pre)
		if _, err := preFn(goja.Undefined(), g, natives); err != nil {
			panic(err)
		}
	}
	if bf, ok := g.Get("Buffer").(*goja.Object); ok {
		v.bufferProto, _ = bf.Get("prototype").(*goja.Object)
		v.bufferFrom, _ = goja.AssertFunction(bf.Get("from"))
		v.bufferToString, _ = goja.AssertFunction(v.bufferProto.Get("toString"))
	}
	// The prelude's corrected URL is also require('url').URL, as in Node.
	v.mods.url = natives.Get("URL")
	_ = g.Delete("require")
	_ = g.Delete("GoError") // goja's wrapper for Go errors; hooks never see Go errors

	return v
}

// newError builds an instance of one of the captured error constructors.
func (v *vmState) newError(name, msg string) *goja.Object {
	ctor, ok := v.errorCtors[name]
	if !ok {
		ctor = v.errorCtors["Error"]
	}
	o, err := v.rt.New(ctor, v.rt.ToValue(msg))
	if err != nil {
		panic(err)
	}
	return o
}

// nativeTZOffset is natives.tzOffset(zone, ms): the offset east of UTC in
// minutes, the zone's abbreviation and its name at that instant, for the
// date formatting of the prelude; zone "" is the process's local zone.
func (v *vmState) nativeTZOffset(call goja.FunctionCall) goja.Value {
	name := call.Argument(0).String()
	loc := time.Local
	if name != "" {
		l, ok := v.zones[name]
		if !ok {
			var err error
			if l, err = time.LoadLocation(name); err != nil || strings.EqualFold(name, "local") {
				panic(v.newError("RangeError", "Invalid time zone specified: "+name))
			}
			// LoadLocation reads the zone's file: a hook formatting dates
			// in a loop reads it once (a few zones per runtime at most).
			if len(v.zones) < 64 {
				v.zones[name] = l
			}
		}
		loc = l
	}
	t := time.UnixMilli(call.Argument(1).ToInteger()).In(loc)
	abbr, off := t.Zone()
	zone := loc.String()
	if zone == "Local" {
		zone = "UTC"
		if tz := os.Getenv("TZ"); tz != "" {
			zone = tz
		}
	}
	o := v.rt.NewObject()
	_ = o.Set("offset", off/60)
	_ = o.Set("name", abbr)
	_ = o.Set("zone", zone)
	return o
}
