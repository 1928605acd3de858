package jsvm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/dop251/goja"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// Per-execution log bounds: a hook logging in a loop must not flood the
// stream or the worker's memory.
const (
	maxLogLines = 1000
	maxLogBytes = 256 << 10
)

// execution is the state of one Run on a vmState.
type execution struct {
	v        *vmState
	p        *runParams
	done     bool
	resp     goja.Value
	errv     goja.Value
	failed   bool
	trailing bool // answered; running what the hook left behind
	logs     []sandbox.LogLine
	logBytes int
	dropped  bool
	onLog    func(sandbox.LogLine)
	// ctx bounds host operations (fetch, storage) by the deadline; it is
	// made on first use (most executions make none) and cancelled when the
	// execution ends.
	ctx      context.Context
	cancel   context.CancelFunc
	deadline time.Time
	env      *goja.Object // process.env, built on first use
	// storageVersion is the version the last storage get saw ("" = none).
	storageVersion string
	fetches        int // requests in flight
}

// runParams is what one execution gets besides its script.
type runParams struct {
	args       []json.RawMessage
	timeout    time.Duration
	maxResp    int
	env        map[string]string
	contextArg int
	host       hostOps // context.webtask.storage; never nil
	net        *netClient
	// busy (may be nil) is told when the execution starts and stops running
	// JavaScript, i.e. leaves or enters its event loop's wait (busyPage).
	busy func(running bool)
}

func (p *runParams) setBusy(running bool) {
	if p.busy != nil {
		p.busy(running)
	}
}

// hostCtx is the context of the execution's host operations.
func (ex *execution) hostCtx() context.Context {
	if ex.ctx == nil {
		ex.ctx, ex.cancel = context.WithDeadline(context.Background(), ex.deadline)
	}
	return ex.ctx
}

func (ex *execution) log(level, text string) {
	if ex.dropped {
		return
	}
	if len(ex.logs) >= maxLogLines || ex.logBytes+len(text) > maxLogBytes {
		// The line that crosses the byte budget keeps what fits (one
		// console.log of a large object still shows its start), then the
		// execution's lines stop.
		if room := maxLogBytes - ex.logBytes; len(ex.logs) < maxLogLines && room > 0 {
			ex.emitLog(level, sandbox.Truncate(text, room))
		}
		ex.dropped = true
		level, text = "warn", "log limit reached; further lines of this execution are dropped"
	}
	ex.emitLog(level, text)
}

func (ex *execution) emitLog(level, text string) {
	ex.logBytes += len(text)
	l := sandbox.LogLine{Time: time.Now(), Level: level, Text: text}
	ex.logs = append(ex.logs, l)
	if ex.onLog != nil {
		ex.onLog(l)
	}
}

// settle records the first completion; later ones are ignored. fromCB says
// whether it came through cb (which warns on repeats, as compat-spec §3.1 asks).
func (ex *execution) settle(errv, resp goja.Value, fromCB bool) {
	if ex.done {
		if fromCB && ex.v.cur == ex {
			ex.log("warn", "cb called more than once; ignored")
		}
		return
	}
	ex.done = true
	if errv != nil && !goja.IsUndefined(errv) && !goja.IsNull(errv) {
		ex.failed, ex.errv = true, errv
		return
	}
	ex.resp = resp
}

// interruptSignal is what the deadline and cancellation pass to Interrupt.
type interruptSignal struct{ err error }

// execute runs one invocation on v until its answer (cb, a settled Promise,
// a failure). When the hook left work behind (timers, fetches, storage
// calls), rest is non-nil: the caller answers with out and then calls rest,
// on any goroutine, which runs that work until the loop is empty or the
// deadline passes. The caller owns v exclusively until execute returns with
// a nil rest, or until rest returns, and must discard v afterwards if
// v.broken is set.
func (v *vmState) execute(ctx context.Context, prog *goja.Program, p *runParams, onLog func(sandbox.LogLine)) (out sandbox.Outcome, err error, rest func()) {
	start := time.Now()
	deadline := start.Add(p.timeout)
	ex := &execution{v: v, p: p, onLog: onLog, deadline: deadline}
	v.cur = ex
	v.console.indent = ""

	// The deadline interrupts JavaScript wherever it is; a runtime that was
	// (or might have been) interrupted is never reused (architecture rule 5).
	t := time.AfterFunc(p.timeout, func() { v.rt.Interrupt(interruptSignal{sandbox.ErrTimeout}) })
	var stopCtx func() bool
	if ctx.Done() != nil {
		stopCtx = context.AfterFunc(ctx, func() { v.rt.Interrupt(interruptSignal{ctx.Err()}) })
	}
	end := func() {
		if !t.Stop() {
			v.broken = true
		}
		if ex.cancel != nil {
			ex.cancel()
		}
		v.loop.reset()
		v.cur = nil
	}

	p.setBusy(true)
	out, err = v.answer(ctx, prog, ex, deadline)
	p.setBusy(false)
	out.Logs = ex.logs
	out.Duration = time.Since(start)
	// The answer is given: the request's cancellation no longer concerns
	// the work the hook left running.
	if stopCtx != nil && !stopCtx() {
		v.broken = true
	}
	if err != nil {
		v.broken = true
	}
	if v.broken || !v.loop.hasWork() {
		end()
		return out, err, nil
	}
	return out, err, func() {
		v.drain(ex, deadline)
		end()
	}
}

// answer runs the module's function and the event loop until the execution
// has its answer.
func (v *vmState) answer(ctx context.Context, prog *goja.Program, ex *execution, deadline time.Time) (out sandbox.Outcome, err error) {
	v.rejections = v.rejections[:0]
	if v.fn == nil {
		err := v.loadModule(prog, ex)
		if err == nil {
			v.checkRejections(ex)
		}
		if err != nil || ex.done {
			if err == nil {
				out.Err = v.hookError(ex.errv)
			}
			return out, err
		}
	}

	args := ex.p.args
	jsArgs := make([]goja.Value, len(args)+1)
	for i, a := range args {
		if len(a) == 0 {
			// An empty argument is undefined: Auth0 passes scope as
			// undefined when none was granted, and JSON cannot say so.
			jsArgs[i] = goja.Undefined()
			continue
		}
		if val, ok := parseArg(v.rt, a); ok {
			jsArgs[i] = val
			continue
		}
		val, err := v.jsonParse(v.jsonObj, v.rt.ToValue(string(a)))
		if err != nil {
			if e := v.engineError(err); e != nil {
				return out, e
			}
			return out, fmt.Errorf("jsvm: argument %d is not valid JSON", i)
		}
		jsArgs[i] = val
	}
	if c := ex.p.contextArg; c >= 0 && c < len(args) {
		if obj, ok := jsArgs[c].(*goja.Object); ok {
			v.attachStorage(obj)
		}
	}
	jsArgs[len(args)] = v.rt.ToValue(func(call goja.FunctionCall) goja.Value {
		ex.settle(call.Argument(0), call.Argument(1), true)
		return goja.Undefined()
	})

	ret, callErr := v.fn(goja.Undefined(), jsArgs...)
	if callErr != nil {
		if e := v.engineError(callErr); e != nil {
			return out, e
		}
		ex.settle(v.thrownValue(callErr), nil, false)
	} else if !ex.done {
		if err := v.followThenable(ret, ex, v.fnLen > len(args)); err != nil {
			return out, err
		}
	}
	v.checkRejections(ex)

	done := ctx.Done()
	for !ex.done {
		ex.p.setBusy(false)
		job, err := v.loop.next(deadline, done, ctx.Err, false)
		ex.p.setBusy(true)
		if err != nil {
			return out, err
		}
		if err := v.runJob(job, ex); err != nil {
			return out, err
		}
	}
	v.checkRejections(ex) // those left unhandled at the answer: logged

	if ex.failed {
		out.Err = v.hookError(ex.errv)
		return out, nil
	}
	resp, err := v.encodeResponse(ex.resp, ex.p.maxResp)
	if err != nil {
		var he *sandbox.HookError
		if errors.As(err, &he) {
			out.Err = he
			return out, nil
		}
		return out, err
	}
	out.Response = resp
	return out, nil
}

// runJob runs a due timer or a host completion. An exception escaping it
// fails the execution before its answer (a Node process would crash); after
// the answer it is logged. The error is an engine error only.
func (v *vmState) runJob(job loopJob, ex *execution) error {
	var err error
	if job.timer != nil {
		_, err = job.timer.fn(goja.Undefined(), job.timer.args...)
	} else {
		err = job.fn()
	}
	if err == nil {
		v.checkRejections(ex)
		return nil
	}
	if e := v.engineError(err); e != nil {
		return e
	}
	defer v.checkRejections(ex)
	if ex.trailing {
		he := v.hookError(v.thrownValue(err))
		ex.log("error", "Uncaught "+he.Error())
		return nil
	}
	ex.settle(v.thrownValue(err), nil, false)
	return nil
}

// drain runs the work a hook left behind after its answer (fire-and-forget:
// a notification sent after cb) until nothing is pending or the deadline.
func (v *vmState) drain(ex *execution, deadline time.Time) {
	ex.trailing = true
	defer ex.p.setBusy(false)
	for {
		ex.p.setBusy(false)
		job, err := v.loop.next(deadline, nil, nil, true)
		ex.p.setBusy(true)
		if errors.Is(err, sandbox.ErrTimeout) {
			ex.log("warn", "work left running after the answer was stopped at the hook's deadline")
			return
		}
		if err != nil {
			return
		}
		if v.runJob(job, ex) != nil {
			return // interrupted: v.broken is set
		}
	}
}

// loadModule runs the module once in this runtime; its scope (helpers,
// constants, caches) then lives as long as the runtime does, like a warm
// webtask container.
func (v *vmState) loadModule(prog *goja.Program, ex *execution) error {
	wrapper, err := v.rt.RunProgram(prog)
	if err != nil {
		return v.engineErrorOrCrash(err)
	}
	fn, _ := goja.AssertFunction(wrapper)
	module := v.rt.NewObject()
	exports := v.rt.NewObject()
	_ = module.Set("exports", exports)
	_ = module.Set("id", ".")
	_ = module.Set("filename", "/hook.js")
	if _, err := fn(exports, exports, v.mods.fn, module, v.rt.ToValue("/hook.js"), v.rt.ToValue("/")); err != nil {
		if e := v.engineError(err); e != nil {
			return e
		}
		// A module that throws while loading fails this execution and is
		// loaded afresh next time.
		v.broken = true
		ex.settle(v.thrownValue(err), nil, false)
		return nil
	}
	f, ok := goja.AssertFunction(module.Get("exports"))
	if !ok {
		v.broken = true
		return &sandbox.CompileError{Message: "module.exports is not a function"}
	}
	v.fn, v.mod = f, module
	v.fnLen = declaredParams(module.Get("exports"))
	return nil
}

func (v *vmState) engineErrorOrCrash(err error) error {
	if e := v.engineError(err); e != nil {
		return e
	}
	return fmt.Errorf("%w: %v", sandbox.ErrCrashed, err)
}

// engineError maps errors that are not the script's to engine errors; it
// returns nil for an ordinary JavaScript exception.
func (v *vmState) engineError(err error) error {
	var ie *goja.InterruptedError
	if errors.As(err, &ie) {
		v.broken = true
		if s, ok := ie.Value().(interruptSignal); ok {
			return s.err
		}
		return sandbox.ErrTimeout
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		// goja makes stack overflow uncatchable by the script; it is reported
		// as the script's RangeError, and the runtime is not reused.
		v.broken = true
		return nil
	}
	var jsErr *goja.Exception
	if errors.As(err, &jsErr) {
		return nil
	}
	v.broken = true
	return fmt.Errorf("%w: %v", sandbox.ErrCrashed, err)
}

func (v *vmState) thrownValue(err error) goja.Value {
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		return v.newError("RangeError", "Maximum call stack size exceeded")
	}
	var jsErr *goja.Exception
	if errors.As(err, &jsErr) {
		if val := jsErr.Value(); val != nil {
			return val
		}
	}
	return v.rt.ToValue(err.Error())
}

// declaredParams is fn.length; a getter that throws counts as none.
func declaredParams(fn goja.Value) (n int) {
	defer func() {
		if recover() != nil {
			n = 0
		}
	}()
	if obj, ok := fn.(*goja.Object); ok {
		if l := obj.Get("length"); l != nil {
			return int(l.ToInteger())
		}
	}
	return 0
}

// trackRejection keeps the promises rejected while no handler is attached,
// and forgets one when a handler comes.
func (v *vmState) trackRejection(p *goja.Promise, op goja.PromiseRejectionOperation) {
	if op == goja.PromiseRejectionReject {
		v.rejections = append(v.rejections, p)
		return
	}
	for i, q := range v.rejections {
		if q == p {
			v.rejections = append(v.rejections[:i], v.rejections[i+1:]...)
			return
		}
	}
}

// checkRejections runs after each task, once goja has run its microtasks.
// Before the answer, a rejection still unhandled when the hook has nothing
// else pending (no timer, request or storage call) fails the execution with
// its reason instead of leaving it to wait for its deadline (a fetch chain
// without catch whose request failed); while work is pending it may still
// be handled (awaited later), as Node 12 allowed. After the answer it is
// logged.
func (v *vmState) checkRejections(ex *execution) {
	if len(v.rejections) == 0 || (!ex.done && !ex.trailing && v.loop.hasWork()) {
		return
	}
	ps := v.rejections
	v.rejections = nil
	for _, p := range ps {
		r := p.Result()
		if r == nil {
			r = goja.Undefined()
		}
		if goja.IsUndefined(r) || goja.IsNull(r) {
			r = v.newError("Error", "Promise rejected with "+r.String())
		}
		if ex.done || ex.trailing {
			ex.log("error", "Unhandled promise rejection: "+v.hookError(r).Error())
			continue
		}
		ex.settle(r, nil, false)
	}
}

// followThenable subscribes to a returned Promise (or any thenable): its
// resolution is the response unless cb was called first. A hook that takes
// cb (takesCb) answers through it: its Promise resolving with undefined (an
// async function calling cb from a callback) is not the answer, as Auth0
// ignored the return value; a rejection always is.
func (v *vmState) followThenable(ret goja.Value, ex *execution, takesCb bool) error {
	obj, ok := ret.(*goja.Object)
	if !ok {
		return nil
	}
	then, ok := goja.AssertFunction(obj.Get("then"))
	if !ok {
		return nil
	}
	onFul := v.rt.ToValue(func(call goja.FunctionCall) goja.Value {
		if takesCb && goja.IsUndefined(call.Argument(0)) {
			return goja.Undefined()
		}
		ex.settle(nil, call.Argument(0), false)
		return goja.Undefined()
	})
	onRej := v.rt.ToValue(func(call goja.FunctionCall) goja.Value {
		r := call.Argument(0)
		if goja.IsUndefined(r) || goja.IsNull(r) {
			// A rejection with no reason is still a failure.
			r = v.newError("Error", "Promise rejected with "+r.String())
		}
		ex.settle(r, nil, false)
		return goja.Undefined()
	})
	if _, err := then(obj, onFul, onRej); err != nil {
		if e := v.engineError(err); e != nil {
			return e
		}
		ex.settle(v.thrownValue(err), nil, false)
	}
	return nil
}

// hookError describes a failure value. Reading name/message may run script
// getters, which may throw; the description then falls back to a fixed text.
// Name and message are capped here, before they leave the worker: a hook's
// error text ends up in the token answer, the tenant log and the runner's
// report (issue 12 item 7).
func (v *vmState) hookError(val goja.Value) (he *sandbox.HookError) {
	defer func() {
		if r := recover(); r != nil {
			he = &sandbox.HookError{Message: "unprintable error value"}
		}
		he.Message = sandbox.CapMessage(he.Message)
		he.Name = sandbox.Truncate(he.Name, maxErrorName)
	}()
	// An Error, or an object shaped like one ({name, message}): Auth0's
	// compilers read err.name and err.message of whatever cb received, so
	// cb({message: 'denied'}) failed with "denied" and
	// cb({name: 'InvalidScopeError', message}) as an invalid_scope error.
	if obj, ok := val.(*goja.Object); ok && (obj.ClassName() == "Error" || errorShaped(obj)) {
		he = &sandbox.HookError{}
		if n := obj.Get("name"); n != nil && !goja.IsUndefined(n) {
			he.Name = n.String()
		}
		if m := obj.Get("message"); m != nil && !goja.IsUndefined(m) {
			he.Message = m.String()
		}
		if he.Name == "PreUserRegistrationError" {
			if f := obj.Get("friendlyMessage"); f != nil && !goja.IsUndefined(f) && !goja.IsNull(f) {
				he.Message = sandbox.PackFriendly(he.Message, f.String())
			}
		}
		return he
	}
	return &sandbox.HookError{Message: val.String()}
}

// errorShaped reports a plain object carrying an error's message.
func errorShaped(obj *goja.Object) bool {
	m := obj.Get("message")
	return m != nil && !goja.IsUndefined(m) && !goja.IsNull(m) && obj.ClassName() == "Object"
}

// maxErrorName bounds an error's name; real names are short identifiers.
const maxErrorName = 100

var jsonNull = json.RawMessage("null")

func (v *vmState) encodeResponse(resp goja.Value, maxResp int) (json.RawMessage, error) {
	if resp == nil || goja.IsUndefined(resp) || goja.IsNull(resp) {
		return jsonNull, nil
	}
	s, err := v.jsonStringify(v.jsonObj, resp)
	if err != nil {
		if e := v.engineError(err); e != nil {
			return nil, e
		}
		return nil, v.hookError(v.thrownValue(err))
	}
	if goja.IsUndefined(s) {
		return jsonNull, nil
	}
	str := s.String()
	if len(str) > maxResp {
		return nil, sandbox.ErrTooLarge
	}
	return json.RawMessage(str), nil
}
