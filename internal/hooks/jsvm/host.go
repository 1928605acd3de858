package jsvm

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/dop251/goja"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// hostOps reaches what lives outside the runtime: the hook's webtask storage
// document. In the server process it calls sandbox.Storage directly; in a
// worker it sends host-call frames to the parent, which calls it. Each
// method calls done exactly once, on any goroutine.
type hostOps interface {
	storageGet(ctx context.Context, done func(data []byte, version string, err error))
	storageSet(ctx context.Context, data []byte, ifVersion string, force bool, done func(version string, err error))
}

// errNoStorage: the invocation has no storage (sandbox.Invocation.Storage nil).
var errNoStorage = errors.New("webtask storage is not available to this execution")

// directHost calls a sandbox.Storage in this process.
type directHost struct{ st sandbox.Storage }

func (h directHost) storageGet(ctx context.Context, done func([]byte, string, error)) {
	if h.st == nil {
		done(nil, "", nil)
		return
	}
	go func() {
		data, ver, err := h.st.Get(ctx)
		done(data, ver, err)
	}()
}

func (h directHost) storageSet(ctx context.Context, data []byte, ifVersion string, force bool, done func(string, error)) {
	if h.st == nil {
		done("", errNoStorage)
		return
	}
	go func() {
		ver, err := h.st.Set(ctx, data, ifVersion, force)
		done(ver, err)
	}()
}

// attachStorage gives context.webtask a storage object, as webtask did:
// get(cb) and set(data, [{force: 1}], cb), acting for the execution running
// at the time of the call. The object is made once per runtime (building
// native functions per execution would cost every token); the properties it
// adds are not enumerable, so JSON.stringify(context) is unchanged.
func (v *vmState) attachStorage(ctxObj *goja.Object) {
	rt := v.rt
	wt, ok := ctxObj.Get("webtask").(*goja.Object)
	if !ok {
		wt = rt.NewObject()
		_ = ctxObj.DefineDataProperty("webtask", wt, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
	}
	if v.storage == nil {
		v.storage = v.newStorageObject()
	}
	_ = wt.DefineDataProperty("storage", v.storage, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

func (v *vmState) newStorageObject() *goja.Object {
	rt := v.rt
	st := rt.NewObject()
	current := func() *execution {
		ex := v.cur
		if ex == nil {
			panic(v.newError("Error", "webtask storage is not available outside an execution"))
		}
		return ex
	}
	_ = st.Set("get", func(call goja.FunctionCall) goja.Value {
		ex := current()
		cb := v.callback(call.Argument(len(call.Arguments)-1), "storage.get")
		in := v.loop.in
		in.start()
		ex.p.host.storageGet(ex.hostCtx(), func(data []byte, ver string, err error) {
			in.post(func() error {
				if err != nil {
					return v.callCB(cb, v.storageError(err))
				}
				ex.storageVersion = ver
				val := goja.Undefined()
				if len(data) > 0 {
					parsed, perr := v.jsonParse(v.jsonObj, rt.ToValue(string(data)))
					if perr != nil {
						return v.callCB(cb, v.storageError(perr))
					}
					val = parsed
				}
				return v.callCB(cb, goja.Null(), val)
			})
		})
		return goja.Undefined()
	})
	_ = st.Set("set", func(call goja.FunctionCall) goja.Value {
		ex := current()
		cb := v.callback(call.Argument(len(call.Arguments)-1), "storage.set")
		force := false
		if len(call.Arguments) > 2 {
			if o, ok := call.Argument(1).(*goja.Object); ok {
				force = o.Get("force") != nil && o.Get("force").ToBoolean()
			}
		}
		s, err := v.jsonStringify(v.jsonObj, call.Argument(0))
		in := v.loop.in
		in.start()
		switch {
		case err != nil:
			in.post(func() error { return v.callCB(cb, v.thrownValue(err)) })
			return goja.Undefined()
		case goja.IsUndefined(s):
			in.post(func() error {
				return v.callCB(cb, v.newError("TypeError", "storage.set: the data must be JSON-serializable"))
			})
			return goja.Undefined()
		}
		data := []byte(s.String())
		if len(data) > sandbox.MaxStorageBytes {
			in.post(func() error {
				e := v.newError("Error", "webtask storage data may be at most 500 KB")
				_ = e.Set("code", 400)
				return v.callCB(cb, e)
			})
			return goja.Undefined()
		}
		ex.p.host.storageSet(ex.hostCtx(), data, ex.storageVersion, force, func(ver string, err error) {
			in.post(func() error {
				if err != nil {
					return v.callCB(cb, v.storageError(err))
				}
				ex.storageVersion = ver
				return v.callCB(cb, goja.Null())
			})
		})
		return goja.Undefined()
	})
	return st
}

// callback returns fn, or a no-op when a hook passed none (webtask's own
// client then dropped the result too).
func (v *vmState) callback(fn goja.Value, what string) goja.Callable {
	if cb, ok := goja.AssertFunction(fn); ok {
		return cb
	}
	return func(goja.Value, ...goja.Value) (goja.Value, error) { return goja.Undefined(), nil }
}

func (v *vmState) callCB(cb goja.Callable, args ...goja.Value) error {
	_, err := cb(goja.Undefined(), args...)
	return err
}

// storageError is the Error a storage callback receives; code 409 on a
// conflict, as webtask's storage answered.
func (v *vmState) storageError(err error) goja.Value {
	switch {
	case errors.Is(err, sandbox.ErrStorageConflict):
		e := v.newError("Error", "Conflict: the webtask storage document changed since it was read; get it again or set it with {force: 1}")
		_ = e.Set("code", 409)
		return e
	case errors.Is(err, errNoStorage):
		return v.newError("Error", err.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		e := v.newError("Error", "webtask storage: the hook's deadline passed")
		_ = e.Set("code", 504)
		return e
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return v.newError("Error", "webtask storage holds a document that is not JSON")
	}
	// Backend errors stay in the server: the hook learns only that it failed.
	e := v.newError("Error", "webtask storage is unavailable")
	_ = e.Set("code", 500)
	return e
}

// nativeEnv is process.env's getter: this execution's environment, a fresh
// object seeded with sandbox.Invocation.Env, so writes stay inside it.
func (v *vmState) nativeEnv(goja.FunctionCall) goja.Value {
	ex := v.cur
	if ex == nil {
		return v.rt.NewObject()
	}
	if ex.env == nil {
		ex.env = v.rt.NewObject()
		for k, val := range ex.p.env {
			_ = ex.env.Set(k, val)
		}
	}
	return ex.env
}
