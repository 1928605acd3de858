package jsvm

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

var simpleArgs = []json.RawMessage{
	json.RawMessage(`{"id":"c1","name":"client","tenant":"t","metadata":{"plan":"full"}}`),
	json.RawMessage(`["read:users"]`),
	json.RawMessage(`"https://api.example.com/"`),
	json.RawMessage(`{"ip":"127.0.0.1","webtask":{"secrets":{"KEY":"s3cret"},"meta":{}}}`),
}

type semCase struct {
	name    string
	script  string
	want    string // exact response JSON, if set
	wantErr *sandbox.HookError
	engine  error  // engine error wanted (errors.Is)
	log     string // substring expected in the joined logs
}

var semanticsCases = []semCase{
	{name: "cb", script: `module.exports = function (client, scope, audience, context, cb) { cb(null, {scope: scope.concat('x'), 'https://e.com/c': client.id}); };`,
		want: `{"scope":["read:users","x"],"https://e.com/c":"c1"}`},
	{name: "undefined response", script: `module.exports = (c, s, a, ctx, cb) => cb();`, want: `null`},
	{name: "async", script: `module.exports = async function (c, s) { await null; return {n: s.length}; };`, want: `{"n":1}`},
	{name: "promise", script: `module.exports = () => new Promise(r => setTimeout(() => r(7), 5));`, want: `7`},
	{name: "thrown", script: `module.exports = function () { throw new InvalidScopeError('bad scope'); };`, wantErr: &sandbox.HookError{Name: "InvalidScopeError", Message: "bad scope"}},
	{name: "cb error", script: `module.exports = (c, s, a, x, cb) => cb(new InvalidRequestError('bad req'));`, wantErr: &sandbox.HookError{Name: "InvalidRequestError", Message: "bad req"}},
	{name: "server error", script: `module.exports = (c, s, a, x, cb) => cb(new ServerError('oops'));`, wantErr: &sandbox.HookError{Name: "ServerError", Message: "oops"}},
	{name: "plain error", script: `module.exports = (c, s, a, x, cb) => cb(new Error('denied'));`, wantErr: &sandbox.HookError{Name: "Error", Message: "denied"}},
	{name: "string error", script: `module.exports = (c, s, a, x, cb) => cb('nope');`, wantErr: &sandbox.HookError{Name: "", Message: "nope"}},
	// Auth0's compilers read err.name and err.message of any value cb got.
	{name: "error-shaped object", script: `module.exports = (c, s, a, x, cb) => cb({message: 'denied by policy', code: 'x'});`, wantErr: &sandbox.HookError{Name: "", Message: "denied by policy"}},
	{name: "error-shaped object with a class name", script: `module.exports = (c, s, a, x, cb) => cb({name: 'InvalidScopeError', message: 'no'});`, wantErr: &sandbox.HookError{Name: "InvalidScopeError", Message: "no"}},
	// An unhandled rejection fails at once when nothing else is pending,
	// instead of waiting for the deadline (a fetch chain without catch);
	// one awaited later while other work runs is handled, as in Node 12.
	{name: "unhandled rejection", script: `module.exports = (c, s, a, x, cb) => { Promise.reject(new ServerError('unhandled')).then(() => cb(null, 1)); };`, wantErr: &sandbox.HookError{Name: "ServerError", Message: "unhandled"}},
	{name: "unhandled rejection in a timer", script: `module.exports = (c, s, a, x, cb) => { setTimeout(() => { new Promise((_, rej) => rej()); }, 1); };`, wantErr: &sandbox.HookError{Name: "Error", Message: "Promise rejected with undefined"}},
	{name: "rejection awaited after other work", script: `module.exports = async (c, s, a, x, cb) => {
  const slow = new Promise(r => setTimeout(() => r('slow'), 20));
  const failing = new Promise((_, rej) => setTimeout(() => rej(new Error('late')), 1));
  const v = await slow;
  try { await failing; } catch (e) { return [v, e.message]; }
};`, want: `["slow","late"]`},
	{name: "rejection handled later in the same task", script: `module.exports = (c, s, a, x, cb) => { const p = Promise.reject(new Error('later')); p.catch(e => cb(null, e.message)); };`, want: `"later"`},
	{name: "unhandled rejection after the answer is logged", script: `module.exports = (c, s, a, x, cb) => { cb(null, 2); Promise.reject(new Error('after')); };`, want: `2`, log: "error:Unhandled promise rejection: Error: after"},
	// Node idioms real hooks use: custom error classes calling
	// Error.captureStackTrace, a timer's unref(), a number's
	// toLocaleString (goja's threw a RangeError).
	{name: "Error.captureStackTrace", script: `class AuthzError extends Error { constructor(m) { super(m); this.name = 'AuthzError'; Error.captureStackTrace(this, AuthzError); } }
module.exports = (c, s, a, x, cb) => { const e = new AuthzError('no'); const o = {}; Error.captureStackTrace(o); cb(null, [e.stack.split('\n')[0], typeof o.stack, e instanceof Error]); };`,
		want: `["AuthzError: no","string",true]`},
	{name: "timer objects", script: `module.exports = (c, s, a, x, cb) => { const t = setTimeout(() => cb(null, 'fired'), 60000).unref(); const keep = setInterval(() => {}, 60000); keep.unref(); clearInterval(keep); const r = [typeof t.ref, t.hasRef(), typeof +t]; clearTimeout(t); setTimeout(() => cb(null, r), 1).unref(); };`,
		want: `["function",false,"number"]`},
	{name: "number toLocaleString", script: `module.exports = (c, s, a, x, cb) => cb(null, [(1234567.891).toLocaleString('en-US'), (1234.5).toLocaleString(), (1234.5).toLocaleString('en-US', {style: 'currency', currency: 'USD'}), (0.256).toLocaleString('en-US', {maximumFractionDigits: 1}), (0.256).toLocaleString('en-US', {style: 'percent'}), (-1234.5678).toLocaleString(), (5).toLocaleString(), (1e6).toLocaleString('en-US', {minimumFractionDigits: 2}), (12.5).toLocaleString('en-US', {style: 'currency', currency: 'EUR'})]);`,
		want: `["1,234,567.891","1,234.5","$1,234.50","0.3","26%","-1,234.568","5","1,000,000.00","€12.50"]`},
	// Dates and Intl in Node's en-US locale (expected text from Node 20).
	{name: "dates and Intl like Node", script: `module.exports = (c, s, a, x, cb) => {
  const d = new Date(Date.UTC(2020, 0, 2, 15, 4, 5)), m = new Date(Date.UTC(2021, 10, 30, 0, 7, 9));
  cb(null, [d.toLocaleString('en-US', {timeZone: 'UTC'}), m.toLocaleTimeString('en-US', {timeZone: 'UTC'}),
    d.toLocaleDateString('en-US', {weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', timeZone: 'UTC'}),
    m.toLocaleString('en-US', {timeZone: 'America/New_York'}), d.toLocaleDateString('en-US', {dateStyle: 'medium', timeZone: 'UTC'}),
    d.toLocaleString('en-US', {dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC'}),
    m.toLocaleTimeString('en-US', {hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone: 'UTC'}),
    d.toLocaleTimeString('en-US', {hour: 'numeric', minute: '2-digit', timeZoneName: 'short', timeZone: 'UTC'}),
    Intl.DateTimeFormat('en-US', {year: 'numeric', month: 'short', timeZone: 'UTC'}).format(d),
    new Intl.NumberFormat('en-US', {style: 'currency', currency: 'USD'}).format(1234.5)]);
};`, want: `["1/2/2020, 3:04:05 PM","12:07:09 AM","Thursday, January 2, 2020","11/29/2021, 7:07:09 PM","Jan 2, 2020","January 2, 2020 at 3:04 PM","24:07:09","3:04 PM UTC","Jan 2020","$1,234.50"]`},
	{name: "monotonic clocks", script: `module.exports = (c, s, a, x, cb) => { const t = process.hrtime(); const p = performance.now(); setTimeout(() => { const d = process.hrtime(t); cb(null, [d.length, d[0] * 1e3 + d[1] / 1e6 >= 1, performance.now() > p, typeof process.hrtime.bigint(), process.uptime() > 0]); }, 2); };`,
		want: `[2,true,true,"bigint",true]`},
	// Encodings and helpers as Node has them (expected values from Node 20):
	// an HMAC in base64url (was a Buffer), latin1 input, utf16le,
	// Buffer.compare, util.promisify(setTimeout), util.inspect's depth.
	{name: "Node encodings and util", script: `const crypto = require('crypto'), util = require('util');
module.exports = async () => [crypto.createHmac('sha256', 'k').update('x').digest('base64url'), crypto.createHash('sha1').update(Buffer.from('hé', 'latin1')).digest('hex'),
  Buffer.from('hi', 'utf16le').toString('hex'), Buffer.from('6869', 'hex').toString('ucs2').length, Buffer.compare(Buffer.from('a'), Buffer.from('b')),
  await util.promisify(setTimeout)(2, 'slept'), util.inspect({a: {b: {c: {d: {e: 1}}}}}, {depth: null}), util.inspect({a: {b: {c: {}}}}, {depth: 0}),
  new Date(0).getTimezoneOffset() !== 0 || new Date(0).toString().endsWith(' (Coordinated Universal Time)')];`,
		want: `["w47ciBXISJ9kc4l49EAI-FljRVRfC6po72_PXFPlcYk","d998419c05eaa9e971567040e2d18ace1e47df07","68006900",1,-1,"slept","{\n  a: {\n    b: { c: { d: { e: 1 } } }\n  }\n}","{ a: [Object] }",true]`},
	// A hook that takes cb answers through it, as on Auth0: an async
	// function calling cb from a callback after its Promise resolved.
	{name: "async hook calling cb later", script: `module.exports = async function (client, scope, audience, context, cb) { setTimeout(() => cb(null, {late: true}), 5); };`, want: `{"late":true}`},
	{name: "async hook returning a value with cb declared", script: `module.exports = async (c, s, a, x, cb) => ({n: 1});`, want: `{"n":1}`},
	{name: "async hook taking cb that never calls it", script: `module.exports = async (c, s, a, x, cb) => {};`, engine: sandbox.ErrTimeout},
	// Node-era helpers that threw "Object has no member" (values from Node 20).
	{name: "Node-era helpers", script: `const util = require('util'), assert = require('assert'), E = require('events');
module.exports = (c, s, a, x, cb) => {
  const t = Buffer.alloc(4); Buffer.from('hi').copy(t, 1);
  const e = new E(); const seen = []; e.on('x', () => seen.push('on')); e.prependOnceListener('x', () => seen.push('first')); e.emit('x'); e.emit('x');
  assert.ifError(null);
  cb(null, [Buffer.isBuffer(Buffer.from('a')), Buffer.isBuffer('a'), Buffer.allocUnsafe(3).length, t.toString('hex'), Buffer.from('a').compare(Buffer.from('b')),
    util.isString('s'), util.isObject(null), util.isPrimitive(1), typeof util.debuglog('x'), seen, E.listenerCount(e, 'x'), process.on('x', () => {}) === process]);
};`, want: `[true,false,3,"00686900",-1,true,false,true,"function",["first","on","on"],1,true]`},
	// JSON.parse fails in Node's words (expected text from Node 20).
	{name: "JSON.parse errors like Node", script: `module.exports = (c, s, a, x, cb) => {
  const out = [];
  for (const t of ['<html>', '', '{"a":1', '{"a":1}x', 'undefined', '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>', '{"a" 0}', '"abc']) {
    try { JSON.parse(t); out.push('ok'); } catch (e) { out.push(e.name + ': ' + e.message); }
  }
  cb(null, out.concat([JSON.parse('{"n":[1,{"b":true}]}', (k, v) => v === true ? 'yes' : v).n[1].b]));
};`, want: `["SyntaxError: Unexpected token '<', \"<html>\" is not valid JSON","SyntaxError: Unexpected end of JSON input","SyntaxError: Expected ',' or '}' after property value in JSON at position 6","SyntaxError: Unexpected non-whitespace character after JSON at position 7","SyntaxError: \"undefined\" is not valid JSON","SyntaxError: Unexpected token '<', \"<!DOCTYPE \"... is not valid JSON","SyntaxError: Expected ':' after property name in JSON at position 5","SyntaxError: Unterminated string in JSON at position 4","yes"]`},
	{name: "rejected", script: `module.exports = async () => { throw new TypeError('t'); };`, wantErr: &sandbox.HookError{Name: "TypeError", Message: "t"}},
	{name: "error classes extend Error", script: `module.exports = (c, s, a, x, cb) => { const e = new ServerError('m'); cb(null, [e instanceof Error, e instanceof ServerError, e.name, String(e), e.message]); };`,
		want: `[true,true,"ServerError","ServerError: m","m"]`},
	{name: "first cb wins", script: `module.exports = (c, s, a, x, cb) => { cb(null, 1); cb(null, 2); };`, want: `1`, log: "warn:cb called more than once; ignored"},
	{name: "cb after timer", script: `module.exports = (c, s, a, x, cb) => { setTimeout(() => cb(null, 'late'), 10); };`, want: `"late"`},
	{name: "no wait for timers after cb", script: `module.exports = (c, s, a, x, cb) => { setTimeout(() => {}, 60000); cb(null, 1); };`, want: `1`},
	{name: "interval and clear", script: `module.exports = (c, s, a, x, cb) => { let n = 0; const i = setInterval(() => { if (++n === 3) { clearInterval(i); cb(null, n); } }, 1); };`, want: `3`},
	{name: "immediate before timeout", script: `module.exports = (c, s, a, x, cb) => { const o = []; setTimeout(() => { o.push('t'); cb(null, o); }, 2); setImmediate(() => o.push('i')); Promise.resolve().then(() => o.push('p')); };`, want: `["p","i","t"]`},
	// The hook runs as Node runs an I/O callback: its immediates come
	// before any timer, even one already due when they were scheduled.
	{name: "immediate before an expired timer", script: `module.exports = (c, s, a, x, cb) => { const o = []; setTimeout(() => { o.push('t'); cb(null, o); }, 1); const t = Date.now(); while (Date.now() - t < 5) {} setImmediate(() => o.push('i')); };`, want: `["i","t"]`},
	{name: "strict and es2020", script: "'use strict';\nclass A { #x = 1; get x() { return this.#x; } }\nmodule.exports = (c, s, a, x, cb) => { const {id, ...rest} = c; cb(null, {id, keys: Object.keys(rest), t: `${new A().x}`, o: x?.webtask?.meta?.none ?? 'dflt', spread: [...s]}); };",
		want: `{"id":"c1","keys":["name","tenant","metadata"],"t":"1","o":"dflt","spread":["read:users"]}`},
	{name: "secrets", script: `module.exports = (c, s, a, x, cb) => cb(null, x.webtask.secrets.KEY);`, want: `"s3cret"`},
	{name: "console", script: `module.exports = (c, s, a, x, cb) => { console.log('hi %s', 'there', {a: 1, b: 'x', n: {d: [1, 2]}}); console.warn(42); console.error(new Error('e').message); console.info([1, 'a']); cb(); };`,
		want: `null`, log: "log:hi there { a: 1, b: 'x', n: { d: [ 1, 2 ] } }|warn:42|error:e|info:[ 1, 'a' ]"},
	// Console lines read as Node prints them (expected text from Node 20):
	// Map, Set, Buffer, class names, quotes, %i/%f, and an object wider than
	// 80 columns broken over lines, short array entries in columns.
	{name: "console like Node", script: `module.exports = (c, s, a, x, cb) => {
  console.log(new Map([['a', {x: 1}]]), new Set([1]), Buffer.from('hi'));
  console.log(new (class Foo { constructor() { this.x = 1; } })(), {s: "it's", '$k': 1}, Object.create(null), [Symbol('s'), -0]);
  console.log('%i|%f|%s', '42.5x', '1.5e1x', {a: {b: 1}});
  console.log({id: 'c1', name: 'client', tenant: 't', metadata: {plan: 'full', region: 'eu-west-1', tier: 'gold'}});
  console.log([1, 2, 3, 4, 5, 6, 7]);
  console.log(require('util').inspect({a: {b: {c: {d: 1}}}}), require('util').inspect('x'));
  cb();
};`, want: `null`, log: "log:Map(1) { 'a' => { x: 1 } } Set(1) { 1 } <Buffer 68 69>|" +
		`log:Foo { x: 1 } { s: "it's", '$k': 1 } [Object: null prototype] {} [ Symbol(s), -0 ]|` +
		"log:42|15|{ a: [Object] }|" +
		"log:{\n  id: 'c1',\n  name: 'client',\n  tenant: 't',\n  metadata: { plan: 'full', region: 'eu-west-1', tier: 'gold' }\n}|" +
		"log:[\n  1, 2, 3, 4,\n  5, 6, 7\n]|" +
		"log:{ a: { b: { c: [Object] } } } 'x'"},
	// The rest of Node's console: a hook timing its API call with
	// console.time failed with "Object has no member 'time'".
	{name: "console time, count, assert, group", script: `module.exports = (c, s, a, x, cb) => {
  console.time('api'); console.timeEnd('api'); console.timeEnd('api');
  console.count(); console.count('x'); console.count();
  console.assert(1 === 1, 'never'); console.assert(false, 'failed %s', 'here');
  console.group('G'); console.log({a: 1}); console.groupEnd(); console.log('out');
  console.table([1]); console.trace('where'); console.clear();
  cb();
};`, want: `null`, log: "log:default: 1|log:x: 1|log:default: 2|warn:Assertion failed: failed here|log:G|log:  { a: 1 }|log:out|log:[ 1 ]|error:Trace: where"},
	{name: "module.exports not a function", script: `module.exports = 42;`, engine: &sandbox.CompileError{}},
	{name: "module init throws", script: `throw new Error('init');`, wantErr: &sandbox.HookError{Name: "Error", Message: "init"}},
	{name: "deep recursion", script: `function f(n) { return f(n + 1) + 1; } module.exports = (c, s, a, x, cb) => cb(null, f(0));`, wantErr: &sandbox.HookError{Name: "RangeError", Message: "Maximum call stack size exceeded"}},
	{name: "circular response", script: `module.exports = (c, s, a, x, cb) => { const o = {}; o.o = o; cb(null, o); };`, wantErr: &sandbox.HookError{Name: "TypeError"}},
	{name: "huge response", script: `module.exports = (c, s, a, x, cb) => cb(null, {a: 'x'.repeat(300 * 1024)});`, engine: sandbox.ErrTooLarge},
	{name: "never called cb", script: `module.exports = () => {};`, engine: sandbox.ErrTimeout},
	{name: "never settling promise", script: `module.exports = () => new Promise(() => {});`, engine: sandbox.ErrTimeout},
	{name: "infinite loop", script: `module.exports = () => { while (true) {} };`, engine: sandbox.ErrTimeout},
	{name: "interval storm", script: `module.exports = () => { setInterval(() => {}, 0); };`, engine: sandbox.ErrTimeout},
	{name: "immediate storm", script: `module.exports = () => { const f = () => setImmediate(f); f(); };`, engine: sandbox.ErrTimeout},
	{name: "catastrophic regex", script: `module.exports = (c, s, a, x, cb) => cb(null, /(a+)+$/.test('a'.repeat(40) + 'b'));`, want: `false`},
	{name: "timer exception fails", script: `module.exports = () => { setTimeout(() => { throw new ServerError('in timer'); }, 1); };`, wantErr: &sandbox.HookError{Name: "ServerError", Message: "in timer"}},
	{name: "process stub", script: `module.exports = (c, s, a, x, cb) => cb(null, [typeof process.exit, typeof process.cwd, Object.keys(process.env).length, Object.isFrozen(process)]);`, want: `["undefined","undefined",0,true]`},
	{name: "buffer url textencoder", script: `module.exports = (c, s, a, x, cb) => { const u = new URL('https://a.com/p?q=1&r=2'); const p = new URLSearchParams('a=1&b=2'); cb(null, [Buffer.from('hi').toString('base64'), u.host, u.searchParams.get('r'), p.get('b'), new TextDecoder().decode(new TextEncoder().encode('é')), typeof structuredClone]); };`,
		want: `["aGk=","a.com","2","2","é","undefined"]`},
}

func joinLogs(ls []sandbox.LogLine) string {
	var parts []string
	for _, l := range ls {
		parts = append(parts, l.Level+":"+l.Text)
	}
	return strings.Join(parts, "|")
}

func runSemantics(t *testing.T, e sandbox.Engine) {
	for _, tc := range semanticsCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// Only the cases about the deadline get a short one: the others
			// end on their own, and a loaded machine (a worker starting,
			// every case at once) must not turn them into timeouts.
			timeout := 10 * time.Second
			if tc.engine == sandbox.ErrTimeout {
				timeout = 400 * time.Millisecond
			}
			var live []sandbox.LogLine
			out, err := e.Run(context.Background(), sandbox.Invocation{Script: tc.script, Args: simpleArgs, Timeout: timeout}, func(l sandbox.LogLine) { live = append(live, l) })
			checkOutcome(t, tc, out, err)
			if len(live) != len(out.Logs) {
				t.Errorf("live logs %d, outcome logs %d", len(live), len(out.Logs))
			}
		})
	}
}

func checkOutcome(t *testing.T, tc semCase, out sandbox.Outcome, err error) {
	t.Helper()
	switch {
	case tc.engine != nil:
		var ce *sandbox.CompileError
		if errors.As(tc.engine, &ce) {
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want sandbox.CompileError", err)
			}
		} else if !errors.Is(err, tc.engine) {
			t.Fatalf("err = %v (out %+v), want %v", err, out, tc.engine)
		}
	case err != nil:
		t.Fatalf("err = %v", err)
	case tc.wantErr != nil:
		if out.Err == nil || out.Err.Name != tc.wantErr.Name || (tc.wantErr.Message != "" && out.Err.Message != tc.wantErr.Message) {
			t.Fatalf("Err = %+v, want %+v (response %s)", out.Err, tc.wantErr, out.Response)
		}
	default:
		if out.Err != nil {
			t.Fatalf("Err = %+v", out.Err)
		}
		if string(out.Response) != tc.want {
			t.Fatalf("response = %s, want %s", out.Response, tc.want)
		}
	}
	if tc.log != "" && !strings.Contains(joinLogs(out.Logs), tc.log) {
		t.Fatalf("logs = %q, want %q", joinLogs(out.Logs), tc.log)
	}
}

func TestInProcessSemantics(t *testing.T) {
	e, _ := NewInProcess(sandbox.Options{})
	t.Cleanup(func() { e.Close() })
	runSemantics(t, e)
}

func TestPoolSemantics(t *testing.T) {
	runSemantics(t, startPool(t, sandbox.Options{Workers: 2, MemoryLimit: 128 << 20}))
}
