// tokenhook Node.js hook runner. Embedded in the tokenhook binary and started
// by internal/hooks/noderun, one process per hook version (ScriptKey). It
// reads frames from fd 3 and writes frames to fd 4 (protocol.go describes
// them); stdout and stderr are only kept by the parent for crash reports.
'use strict';

const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const util = require('util');
const vm = require('vm');
const dns = require('dns');
const Module = require('module');
const { AsyncLocalStorage, AsyncResource, createHook } = require('async_hooks');

// Frame types and statuses: keep in step with protocol.go.
const F_CONFIG = 1, F_RUN = 2, F_CANCEL = 3, F_LOG = 4, F_RESULT = 5, F_READY = 6,
  F_DONE = 7, F_HOSTCALL = 8, F_HOSTREPLY = 9, F_PREPARE = 10;
const S_OK = 0, S_SCRIPT = 1, S_COMPILE = 2, S_TIMEOUT = 3, S_TOOLARGE = 5, S_CANCELED = 6;
const LEVELS = { log: 0, info: 1, warn: 2, error: 3 };
const HOST_GET = 1, HOST_SET = 2;
const MAX_STORAGE = 500 * 1024;

// Everything the runner itself relies on is captured here, before any hook
// code runs, so a hook replacing globals cannot change how results travel.
const B = Buffer;
const jsonStringify = JSON.stringify, jsonParse = JSON.parse;
const dateNow = Date.now;
const { setTimeout: sT, clearTimeout: cT, setImmediate: sI, clearImmediate: cI } = globalThis;

let cfg = null;
const exit = process.exit.bind(process);
const out = new net.Socket({ fd: 4, readable: false, writable: true });
const inp = new net.Socket({ fd: 3, readable: true, writable: false });
out.on('error', () => exit(70));
inp.on('error', () => exit(70));
// The parent closing our input means shut down; fire-and-forget work is
// not waited for then.
inp.on('end', () => exit(0));

// ---- frames -------------------------------------------------------------

function u64(n) { const b = B.allocUnsafe(8); b.writeUInt32LE(n % 4294967296, 0); b.writeUInt32LE(Math.floor(n / 4294967296), 4); return b; }
function u32(n) { const b = B.allocUnsafe(4); b.writeUInt32LE(n >>> 0, 0); return b; }
function u8(n) { return B.from([n]); }
function str(s) { const b = B.from(s, 'utf8'); return B.concat([u32(b.length), b]); }

// Frames are queued and written together once the callbacks and microtasks
// of the current turn have run (a write is a system call and a wake-up of
// the parent; an execution's result and its end often come in one turn).
let outQ = [];
let flushing = false;
function send(type, id, parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const hdr = B.allocUnsafe(13);
  hdr.writeUInt32LE(n + 9, 0);
  hdr[4] = type;
  hdr.writeUInt32LE(id % 4294967296, 5);
  hdr.writeUInt32LE(Math.floor(id / 4294967296), 9);
  outQ.push(hdr);
  for (const p of parts) outQ.push(p);
  if (!flushing) {
    flushing = true;
    outside(() => sI(flush));
  }
}
function flush() {
  // Executions answered this turn whose work is already over end here, so
  // their done frame shares the write.
  for (const ex of lingering) if (!busy(ex)) end(ex);
  if (lingering.size) schedulePoll(20);
  flushing = false;
  const b = outQ.length === 1 ? outQ[0] : B.concat(outQ);
  outQ = [];
  out.write(b);
}

class Reader {
  constructor(b) { this.b = b; this.o = 0; }
  u8() { return this.b[this.o++]; }
  u32() { const v = this.b.readUInt32LE(this.o); this.o += 4; return v; }
  u64() { const lo = this.b.readUInt32LE(this.o), hi = this.b.readUInt32LE(this.o + 4); this.o += 8; return hi * 4294967296 + lo; }
  bytes() { const n = this.u32(); const v = this.b.subarray(this.o, this.o + n); this.o += n; return v; }
  rest() { const v = this.b.subarray(this.o); this.o = this.b.length; return v; }
}

let pending = B.alloc(0);
inp.on('data', (chunk) => {
  pending = pending.length ? B.concat([pending, chunk]) : chunk;
  while (pending.length >= 4) {
    const n = pending.readUInt32LE(0);
    if (pending.length < 4 + n) break;
    const type = pending[4];
    const id = pending.readUInt32LE(9) * 4294967296 + pending.readUInt32LE(5);
    const payload = pending.subarray(13, 4 + n);
    pending = pending.subarray(4 + n);
    try {
      dispatch(type, id, payload);
    } catch (e) {
      // A bug of the runner itself: the parent sees the worker die.
      process.stderr.write('runner: ' + (e && e.stack) + '\n');
      exit(70);
    }
  }
});

function dispatch(type, id, payload) {
  switch (type) {
    case F_CONFIG: configure(jsonParse(payload.toString('utf8'))); break;
    case F_RUN: startRun(id, new Reader(payload)); break;
    case F_CANCEL: { const ex = execs.get(id); if (ex) { answer(ex, S_CANCELED, [B.from('canceled')]); end(ex); } break; }
    case F_HOSTREPLY: hostReply(id, new Reader(payload)); break;
    case F_PREPARE:
      // Load the module ahead of the first execution; its console lines
      // belong to no execution and are dropped.
      if (!hookFn && !loadError) {
        const envJSON = payload.length ? new Reader(payload).bytes().toString('utf8') : '';
        loadModule({ id: 0, env: Object.assign(Object.create(null), envJSON ? jsonParse(envJSON) : {}), ended: true });
      }
      break;
  }
}

// ---- executions and their async context ----------------------------------

// Every execution runs in its own async context, so console lines, process.env,
// storage calls and the timers and sockets it creates are attributed to it,
// even when several executions of this hook are in flight at once.
const als = new AsyncLocalStorage();
const execs = new Map();
// outside runs fn in no execution's context (the runner's own timers).
// Not als.exit: that disables the store, and with it Node's async and
// promise hooks, and enables them again, on every call.
function outside(fn) { return als.run(undefined, fn); }

// Resources that keep an execution alive after its answer (fire-and-forget
// work). Promises and ticks are short-lived or follow from these.
const TRACKED = new Set(['Timeout', 'Immediate', 'TCPWRAP', 'TCPCONNECTWRAP', 'GETADDRINFOREQWRAP',
  'GETNAMEINFOREQWRAP', 'QUERYWRAP', 'FSREQCALLBACK', 'SHUTDOWNWRAP', 'PIPEWRAP', 'PIPECONNECTWRAP']);
// Requests (as opposed to handles and timers) call back exactly once; the
// after hook of that callback is their end.
const REQUESTS = new Set(['TCPCONNECTWRAP', 'GETADDRINFOREQWRAP', 'GETNAMEINFOREQWRAP', 'QUERYWRAP',
  'FSREQCALLBACK', 'SHUTDOWNWRAP', 'PIPECONNECTWRAP']);
const requests = new Map(); // asyncId of a request in flight -> execution

// No destroy hook: with one, Node tracks the destruction of every promise
// (a weak callback each), which makes promise-heavy hook code (fetch, axios)
// several times slower. Ended timers and closed handles are recognised
// where they are looked at instead (gone), requests by their callback.
createHook({
  init(asyncId, type, _trigger, resource) {
    if (!TRACKED.has(type)) return;
    const st = als.getStore();
    if (!st || !st.ex) return;
    const ex = st.ex;
    if (ex.ended) {
      // An execution past its deadline may not start new work.
      if (type === 'Timeout' || type === 'Immediate') queueMicrotask(() => cancelResource(type, resource));
      return;
    }
    // A pooled connection taken up for a new request (http's agent) is
    // announced as a ReusedHandle wrapping the connection's handle.
    if (typeof resource.hasRef !== 'function' && resource.handle && typeof resource.handle.hasRef === 'function') {
      resource = resource.handle;
    }
    ex.res.set(asyncId, { type, resource });
    if (REQUESTS.has(type)) requests.set(asyncId, ex);
    // An execution that keeps starting timers or connections before its
    // answer drops the ended ones as it goes.
    if (ex.res.size >= ex.pruneAt) {
      prune(ex);
      ex.pruneAt = Math.max(64, ex.res.size * 2);
    }
  },
  after(asyncId) {
    const ex = requests.get(asyncId);
    if (ex === undefined) return;
    requests.delete(asyncId);
    ex.res.delete(asyncId);
  },
}).enable();

// gone says whether a tracked timer or handle has ended: a timer that ran
// or was cleared; a handle that was closed, or taken up by a later request
// under a new async id (what a destroy hook would have reported).
function gone(asyncId, r) {
  if (r.type === 'Timeout' || r.type === 'Immediate') return r.resource._destroyed === true;
  if (REQUESTS.has(r.type)) return false;
  try { return r.resource.getAsyncId() !== asyncId; } catch (_) { return false; }
}

function prune(ex) {
  for (const [asyncId, r] of ex.res) if (gone(asyncId, r)) ex.res.delete(asyncId);
}

// A connection kept alive by an earlier execution and taken up again by
// this one (http's agent, fetch's pool) is ref'd for the new request: from
// then on it keeps the new execution alive too.
{
  const origRef = net.Socket.prototype.ref;
  net.Socket.prototype.ref = function () {
    const st = als.getStore();
    const ex = st && st.ex;
    const h = this._handle;
    if (ex && !ex.ended && h && typeof h.getAsyncId === 'function') {
      const id = h.getAsyncId();
      if (!ex.res.has(id)) ex.res.set(id, { type: 'TCPWRAP', resource: h });
    }
    return origRef.apply(this, arguments);
  };
}

function cancelResource(type, r) {
  try {
    if (type === 'Timeout') cT(r);
    else if (type === 'Immediate') cI(r);
  } catch (_) { /* already gone */ }
}

function busy(ex) {
  if (ex.host > 0) return true;
  for (const [asyncId, r] of ex.res) {
    if (gone(asyncId, r)) { ex.res.delete(asyncId); continue; }
    const { resource } = r;
    if (typeof resource.hasRef !== 'function') return true;
    try { if (resource.hasRef()) return true; } catch (_) { return true; }
  }
  return false;
}

// Lingering executions (answered, work still running) are polled for
// idleness; the timer belongs to no execution and keeps no process alive.
const lingering = new Set();
let pollTimer = null;
function pollLingering() {
  pollTimer = null;
  for (const ex of lingering) if (!busy(ex)) end(ex);
  if (lingering.size) schedulePoll(20);
}
function schedulePoll(ms) {
  if (pollTimer) return;
  outside(() => { pollTimer = sT(pollLingering, ms); pollTimer.unref(); });
}

function end(ex) {
  if (ex.ended) return;
  ex.ended = true;
  lingering.delete(ex);
  cT(ex.deadlineTimer);
  execs.delete(ex.id);
  for (const [asyncId, { type, resource }] of ex.res) {
    cancelResource(type, resource);
    if (requests.get(asyncId) === ex) requests.delete(asyncId);
  }
  ex.res.clear();
  for (const [cid, h] of hostCalls) if (h.ex === ex) hostCalls.delete(cid);
  send(F_DONE, ex.id, []);
}

// ---- console --------------------------------------------------------------

function emit(level, text) {
  const st = als.getStore();
  const ex = st && (st.ex || st.logEx);
  if (!ex || ex.ended || ex.dropped) return;
  let b = B.from(text, 'utf8');
  if (ex.logLines >= cfg.maxLogLines || ex.logBytes + b.length > cfg.maxLogBytes) {
    // The line that crosses the byte budget keeps what fits (one
    // console.log of a large object still shows its start), then the
    // execution's lines stop.
    const room = cfg.maxLogBytes - ex.logBytes;
    if (ex.logLines < cfg.maxLogLines && room > 0) {
      let n = room;
      while (n > 0 && (b[n] & 0xC0) === 0x80) n--;
      sendLog(ex, level, B.concat([b.subarray(0, n), B.from('…', 'utf8')]));
    }
    ex.dropped = true;
    level = LEVELS.warn;
    b = B.from('log limit reached; further lines of this execution are dropped', 'utf8');
  }
  sendLog(ex, level, b);
}

function sendLog(ex, level, b) {
  ex.logLines++;
  ex.logBytes += b.length;
  send(F_LOG, ex.id, [u64(dateNow() * 1e6), u8(level), b]);
}

const fmt = (args) => util.formatWithOptions({ colors: false }, ...args);
function lineStream(level) {
  const self = () => stream;
  const stream = { write(chunk) { emit(level, String(chunk).replace(/\n$/, '')); return true; },
    on: self, once: self, off: self, removeListener: self, listenerCount: () => 0, emit: () => false };
  return stream;
}
const hookConsole = new console.Console({ stdout: lineStream(LEVELS.log), stderr: lineStream(LEVELS.error), colorMode: false });
hookConsole.log = (...a) => emit(LEVELS.log, fmt(a));
hookConsole.debug = hookConsole.log;
hookConsole.info = (...a) => emit(LEVELS.info, fmt(a));
hookConsole.warn = (...a) => emit(LEVELS.warn, fmt(a));
hookConsole.error = (...a) => emit(LEVELS.error, fmt(a));
hookConsole.dir = (o, opts) => emit(LEVELS.log, util.inspect(o, Object.assign({ customInspect: false }, opts, { colors: false })));
Object.defineProperty(globalThis, 'console', { value: hookConsole, writable: true, configurable: true, enumerable: false });
process.on('warning', (w) => emit(LEVELS.warn, String(w && w.stack || w)));

// ---- process.env: one object per execution --------------------------------

const noEnv = Object.create(null);
function curEnv() { const st = als.getStore(); return (st && st.env) || noEnv; }
const envProxy = new Proxy(Object.create(null), {
  get(_, k) { return typeof k === 'string' ? curEnv()[k] : undefined; },
  set(_, k, v) { if (typeof k === 'string') curEnv()[k] = String(v); return true; },
  has(_, k) { return typeof k === 'string' && k in curEnv(); },
  deleteProperty(_, k) { delete curEnv()[k]; return true; },
  ownKeys() { return Object.keys(curEnv()); },
  getOwnPropertyDescriptor(_, k) {
    const e = curEnv();
    if (typeof k !== 'string' || !(k in e)) return undefined;
    return { value: e[k], writable: true, enumerable: true, configurable: true };
  },
  defineProperty(_, k, d) { if (typeof k === 'string' && 'value' in d) curEnv()[k] = String(d.value); return true; },
});
Object.defineProperty(process, 'env', { value: envProxy, writable: true, configurable: true, enumerable: true });

// ---- Auth0's globals ---------------------------------------------------------

function errorClass(name) {
  const C = ({ [name]: class extends Error { constructor(message) { super(message); } } })[name];
  Object.defineProperty(C.prototype, 'name', { value: name, writable: true, configurable: true, enumerable: false });
  return C;
}
for (const n of ['InvalidScopeError', 'InvalidRequestError', 'ServerError']) {
  Object.defineProperty(globalThis, n, { value: errorClass(n), writable: true, configurable: true, enumerable: false });
}
// Auth0's pre-user-registration error: message for the log,
// friendlyMessage (default: message) for the user.
{
  const PUR = errorClass('PreUserRegistrationError');
  const C = class PreUserRegistrationError extends PUR {
    constructor(message, friendlyMessage) {
      super(message);
      this.friendlyMessage = friendlyMessage === undefined ? this.message : String(friendlyMessage);
    }
  };
  Object.defineProperty(globalThis, 'PreUserRegistrationError', { value: C, writable: true, configurable: true, enumerable: false });
}

// packFriendly mirrors sandbox.PackFriendly: both texts of a
// PreUserRegistrationError travel as a JSON array in the message, cut to fit.
function packFriendly(message, friendly) {
  for (;;) {
    const s = JSON.stringify([message, friendly]);
    if (B.byteLength(s, 'utf8') <= cfg.maxErrorMessage) return s;
    if (message.length >= friendly.length) message = message.slice(0, Math.floor(message.length * 3 / 4)) + '…';
    else friendly = friendly.slice(0, Math.floor(friendly.length * 3 / 4)) + '…';
  }
}

// ---- escapes closed -------------------------------------------------------------

// The permission model already refuses process.binding; these close it on
// Node versions without one, and the other doors to native code.
for (const k of ['binding', '_linkedBinding', 'dlopen', 'kill', '_kill']) {
  const name = k;
  if (k in process) {
    try {
      Object.defineProperty(process, k, {
        value: function () { const e = new Error('process.' + name + ' is not available to hooks'); e.code = 'ERR_ACCESS_DENIED'; throw e; },
        // Writable: Node's own lazily loaded internals may assign some of
        // these; the originals stay out of reach either way.
        writable: true, configurable: true,
      });
    } catch (_) { /* keep the original */ }
  }
}
// The worker is shared by the executions of this hook in flight: exit()
// fails the calling execution instead of ending all of them.
process.exit = function () { const e = new Error('process.exit is not available to hooks'); e.code = 'ERR_ACCESS_DENIED'; throw e; };

// Built-ins hooks may not load. child_process and worker_threads are
// refused by the permission model when they are used (a package may
// require them without using them); without one (Node 18, 19) they are
// refused here too.
const BLOCKED = new Set(['cluster', 'inspector', 'inspector/promises', 'repl', 'v8', 'trace_events', 'wasi', 'dgram']);
let locked = false;
function blocked(request) {
  const r = typeof request === 'string' && request.startsWith('node:') ? request.slice(5) : request;
  if (!locked || !(BLOCKED.has(r) || (cfg && !cfg.permission && (r === 'child_process' || r === 'worker_threads')))) return null;
  const e = new Error("Module '" + r + "' is not available to hooks");
  e.code = 'ERR_ACCESS_DENIED';
  return e;
}
const origLoad = Module._load;
Module._load = function (request) {
  const e = blocked(request);
  if (e) throw e;
  return origLoad.apply(this, arguments);
};
if (typeof process.getBuiltinModule === 'function') {
  const gbm = process.getBuiltinModule;
  process.getBuiltinModule = function (id) {
    const e = blocked(id);
    if (e) throw e;
    return gbm.call(process, id);
  };
}
// The same doors, for code that reaches these modules some other way (a
// dependency's dynamic import()).
{
  const deny = (what) => function () { const e = new Error(what + ' is not available to hooks'); e.code = 'ERR_ACCESS_DENIED'; throw e; };
  const v8 = require('v8');
  for (const k of ['setFlagsFromString', 'setHeapSnapshotNearHeapLimit', 'writeHeapSnapshot', 'getHeapSnapshot']) if (v8[k]) v8[k] = deny('v8.' + k);
  const dgram = require('dgram');
  for (const k of ['bind', 'connect', 'send']) dgram.Socket.prototype[k] = deny('UDP (dgram)');
}

// ---- egress -------------------------------------------------------------------------

function parseIP(s) {
  if (typeof s !== 'string') return null;
  s = s.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const v = net.isIP(s);
  if (v === 4) return { v: 4, b: s.split('.').map(Number) };
  if (v !== 6) return null;
  let tail = [];
  const m = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (m) {
    const p = m[1].split('.').map(Number);
    tail = [((p[0] << 8) | p[1]), ((p[2] << 8) | p[3])];
    s = s.slice(0, -m[1].length) + '0:0';
  }
  let [head, rest] = s.split('::');
  const hs = head ? head.split(':') : [];
  const rs = rest !== undefined ? (rest ? rest.split(':') : []) : null;
  let groups;
  if (rs === null) groups = hs; else groups = hs.concat(new Array(8 - hs.length - rs.length).fill('0'), rs);
  groups = groups.map((g) => parseInt(g, 16));
  if (tail.length) { groups[6] = tail[0]; groups[7] = tail[1]; }
  const b = [];
  for (const g of groups) b.push(g >> 8, g & 255);
  // IPv4-mapped addresses are matched as the IPv4 address they are.
  if (b.slice(0, 10).every((x) => x === 0) && b[10] === 255 && b[11] === 255) return { v: 4, b: b.slice(12) };
  return { v: 6, b };
}
function parseCIDR(c) {
  const [a, bits] = c.split('/');
  let ip = parseIP(a);
  if (!ip) return null;
  let n = bits === undefined ? ip.b.length * 8 : Number(bits);
  if (ip.v === 4 && net.isIP(a.replace(/^\[|\]$/g, '')) === 6) n -= 96; // ::ffff:a.b.c.d/n
  return { ip, bits: n, text: c };
}
function contains(p, ip) {
  if (p.ip.v !== ip.v) return false;
  let bits = p.bits;
  for (let i = 0; i < ip.b.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 255 : (255 << (8 - bits)) & 255;
    if ((p.ip.b[i] & mask) !== (ip.b[i] & mask)) return false;
  }
  return true;
}
function buildPolicy(spec) {
  const p = { allowNets: [], allowHosts: [], denyNets: [], denyHosts: [], defaults: [], embeddings: [] };
  for (const [list, nets, hosts] of [[spec.allow, p.allowNets, p.allowHosts], [spec.deny, p.denyNets, p.denyHosts]]) {
    for (const e of list || []) {
      const c = e.includes('/') || net.isIP(e) ? parseCIDR(e) : null;
      if (c) nets.push(c); else hosts.push(String(e).toLowerCase());
    }
  }
  for (const r of spec.defaultDeny || []) { const c = parseCIDR(r.cidr); if (c) p.defaults.push({ c, name: r.name }); }
  for (const e of spec.ipv4Embeddings || []) { const c = parseCIDR(e); if (c) p.embeddings.push(c); }
  return p;
}
function matchHost(list, host) {
  if (!host) return null;
  host = String(host).toLowerCase().replace(/\.$/, '');
  for (const e of list) if (e === host || (e[0] === '.' && host.endsWith(e))) return e;
  return null;
}
// egressCheck mirrors egress.Policy.Check: deny names, deny nets, allow
// names, allow nets, then the default deny list. It returns null or the rule.
function egressCheck(host, addr) {
  const p = policy;
  const ip = parseIP(addr);
  if (!ip) return 'no address';
  const forms = [ip];
  if (ip.v === 6) for (const e of p.embeddings) if (contains(e, ip)) forms.push({ v: 4, b: ip.b.slice(12) });
  let h;
  if ((h = matchHost(p.denyHosts, host))) return '--hook-egress-deny ' + h.replace(/^\./, '');
  for (const n of p.denyNets) for (const f of forms) if (contains(n, f)) return '--hook-egress-deny ' + n.text;
  if (matchHost(p.allowHosts, host)) return null;
  for (const n of p.allowNets) for (const f of forms) if (contains(n, f)) return null;
  for (const r of p.defaults) for (const f of forms) if (contains(r.c, f)) return r.name + ' addresses are not allowed (--hook-egress-allow adds destinations)';
  return null;
}
let policy = buildPolicy({});

// Every TCP connection, whatever made it (net, tls, http, https, fetch, an npm
// client), ends in the TCP handle's connect/connect6 with a resolved address:
// IP literals, names after DNS, each hop of a redirect, each address tried by
// happy eyeballs. The check sits there. A refusal is the ordinary
// ECONNREFUSED path of Node itself; the socket's error message is then
// rewritten to name the policy.
const refused = new WeakMap();
let openSockets = 0;
const counted = new WeakSet();
(function guardTCP() {
  const probe = new net.Socket();
  probe.on('error', () => {});
  probe.connect({ port: 9, host: 'probe.invalid', lookup: (h, o, cb) => cb(new Error('probe')) });
  const TCPProto = Object.getPrototypeOf(probe._handle);
  probe.destroy();
  const ECONNREFUSED = -os.constants.errno.ECONNREFUSED;
  const EMFILE = -os.constants.errno.EMFILE;
  for (const m of ['connect', 'connect6']) {
    const orig = TCPProto[m];
    Object.defineProperty(TCPProto, m, {
      value: function (req, address, port) {
        const owner = this.owner || null;
        const host = owner && typeof owner._host === 'string' ? owner._host : '';
        const rule = egressCheck(host, address);
        if (rule !== null) {
          if (owner) refused.set(owner, { host, address, port, rule });
          return ECONNREFUSED;
        }
        if (owner && cfg && openSockets >= cfg.maxSockets) {
          refused.set(owner, { host, address, port, rule: null });
          return EMFILE;
        }
        if (owner && !counted.has(owner)) {
          counted.add(owner);
          openSockets++;
          owner.once('close', () => { openSockets--; });
        }
        return orig.apply(this, arguments);
      },
      writable: false, configurable: false,
    });
  }
  const origDestroy = net.Socket.prototype.destroy;
  net.Socket.prototype.destroy = function (err, cb) {
    const r = err && refused.get(this);
    if (r && (err.code === 'ECONNREFUSED' || err.code === 'EMFILE')) {
      const dest = (r.host && r.host !== r.address ? r.host + ' (' + r.address + ')' : r.address) + ':' + r.port;
      err.message = r.rule === null
        ? 'connect EMFILE ' + dest + ': too many open sockets in this hook (limit ' + cfg.maxSockets + ')'
        : 'connect ECONNREFUSED ' + dest + ': refused by the hook egress policy: ' + r.rule;
    }
    return origDestroy.call(this, err, cb);
  };
})();
// DNS servers and UDP are other ways out; hooks need neither.
function refusedByPolicy(what) {
  return function () { const e = new Error(what + ' is refused by the hook egress policy'); e.code = 'ECONNREFUSED'; throw e; };
}
for (const o of [dns, dns.promises, dns.Resolver && dns.Resolver.prototype, dns.promises.Resolver && dns.promises.Resolver.prototype]) {
  if (o && o.setServers) o.setServers = refusedByPolicy('changing DNS servers');
}

// ---- the hook module -------------------------------------------------------------------

let hookFn = null, loadError = null;

// name@version (webtask's inline pin) resolves to the installed name.
function stripVersion(id) {
  if (typeof id !== 'string' || id.startsWith('.') || id.startsWith('/')) return id;
  const m = id.match(/^((?:@[^/@]+\/)?[^/@]+)@[^/]+(\/.*)?$/);
  return m ? m[1] + (m[2] || '') : id;
}

function compileError(e, filename) {
  // V8's SyntaxError stack starts with "file:line", the source line and a
  // caret line. At the end of the input the caret line is only the padding
  // up to the position, with no caret: the column is just past it.
  const lines = String(e && e.stack || '').split('\n');
  let line = 0, col = 0;
  const m = lines[0] && lines[0].startsWith(filename + ':') ? lines[0].slice(filename.length + 1).match(/^(\d+)/) : null;
  if (m) {
    line = Number(m[1]);
    const caret = lines[2] || '', c = caret.indexOf('^');
    col = c >= 0 ? c + 1 : /^\s*$/.test(caret) ? caret.length + 1 : 0;
  }
  return { status: S_COMPILE, line, col, message: capMsg(String(e && e.message || e)) };
}

function loadModule(ex) {
  const dir = cfg.modulesDir || cfg.runnerDir;
  const filename = path.join(dir, 'hook.js');
  let fn;
  try {
    fn = vm.compileFunction(cfg.script, ['exports', 'require', 'module', '__filename', '__dirname'], { filename });
  } catch (e) {
    loadError = compileError(e, filename);
    return;
  }
  const m = new Module(filename, null);
  m.filename = filename;
  m.paths = cfg.modulesDir ? [path.join(cfg.modulesDir, 'node_modules')] : [];
  const req = function require(id) {
    try {
      return m.require(stripVersion(id));
    } catch (e) {
      // Node's message goes on with "Require stack:" and the runner's
      // temporary paths, which a token's error must not show.
      const cut = e && e.code === 'MODULE_NOT_FOUND' && typeof e.message === 'string' ? e.message.indexOf('\nRequire stack:') : -1;
      if (cut > 0) { e.message = e.message.slice(0, cut); delete e.requireStack; }
      throw e;
    }
  };
  req.resolve = (id, o) => Module._resolveFilename(stripVersion(id), m, false, o);
  req.cache = Module._cache;
  // Module scope outlives this first execution (a warm webtask): what it
  // starts is not cancelled with the execution, but its lines are the
  // execution's.
  let threw = false, err;
  als.run({ ex: null, logEx: ex, env: ex.env }, () => {
    try { fn.call(m.exports, m.exports, req, m, filename, dir); } catch (e) { threw = true; err = e; }
  });
  if (threw) return { thrown: err };
  if (typeof m.exports !== 'function') {
    loadError = { status: S_COMPILE, line: 0, col: 0, message: 'module.exports is not a function' };
    return;
  }
  hookFn = m.exports;
  m.loaded = true;
}

// ---- runs ----------------------------------------------------------------------------------

function capMsg(s) {
  const b = B.from(String(s), 'utf8');
  if (b.length <= cfg.maxErrorMessage) return String(s);
  let n = cfg.maxErrorMessage;
  while (n > 0 && (b[n] & 0xc0) === 0x80) n--;
  return b.subarray(0, n).toString('utf8') + '…';
}

function describe(v) {
  try {
    // An Error, or a plain object carrying a message: Auth0's compilers read
    // err.name and err.message of whatever cb received.
    if (v instanceof Error || (v && typeof v === 'object' && (Object.prototype.toString.call(v) === '[object Error]' ||
        (Object.prototype.toString.call(v) === '[object Object]' && v.message !== undefined && v.message !== null)))) {
      const d = { name: v.name === undefined ? '' : String(v.name), message: v.message === undefined ? '' : String(v.message) };
      if (d.name === 'PreUserRegistrationError' && v.friendlyMessage !== undefined && v.friendlyMessage !== null) {
        d.message = packFriendly(d.message, String(v.friendlyMessage));
      }
      return d;
    }
    if (v === undefined || v === null) return { name: 'Error', message: 'Promise rejected with ' + v };
    return { name: '', message: String(v) };
  } catch (_) {
    return { name: '', message: 'unprintable error value' };
  }
}

function answer(ex, status, parts) {
  if (ex.answered) return;
  ex.answered = true;
  send(F_RESULT, ex.id, [u8(status), u64(Math.max(0, Number(process.hrtime.bigint() - ex.start)))].concat(parts));
}

function settle(ex, err, value, fromCB) {
  if (ex.answered) {
    if (fromCB && !ex.ended) emit(LEVELS.warn, 'cb called more than once; ignored');
    return;
  }
  if (err !== undefined && err !== null) {
    const d = describe(err);
    answer(ex, S_SCRIPT, [str(d.name.length > 100 ? d.name.slice(0, 100) : d.name), B.from(capMsg(d.message), 'utf8')]);
  } else {
    let s;
    try {
      s = value === undefined || value === null ? 'null' : jsonStringify(value);
      if (s === undefined) s = 'null';
    } catch (e) {
      const d = describe(e);
      answer(ex, S_SCRIPT, [str(d.name), B.from(capMsg(d.message), 'utf8')]);
      afterAnswer(ex);
      return;
    }
    const b = B.from(s, 'utf8');
    if (b.length > cfg.maxResponse) answer(ex, S_TOOLARGE, [B.from('response too large')]);
    else answer(ex, S_OK, [b]);
  }
  afterAnswer(ex);
}

function afterAnswer(ex) {
  if (ex.ended) return;
  // Checked when the answer is written (flush), then polled.
  lingering.add(ex);
}

function startRun(id, r) {
  const timeoutNs = r.u64();
  const ctxArg = r.u32() - 1;
  const envJSON = r.bytes().toString('utf8');
  const n = r.u32();
  const raw = [];
  for (let i = 0; i < n; i++) raw.push(r.bytes().toString('utf8'));
  const env = Object.assign(Object.create(null), envJSON ? jsonParse(envJSON) : {});
  const ex = { id, start: process.hrtime.bigint(), env, res: new Map(), host: 0, answered: false, ended: false,
    logLines: 0, logBytes: 0, dropped: false, storageVersion: '', pruneAt: 64 };
  execs.set(id, ex);
  outside(() => {
    ex.deadlineTimer = sT(() => {
      if (!ex.answered) answer(ex, S_TIMEOUT, [B.from('deadline')]);
      end(ex);
    }, Math.max(1, Math.floor(timeoutNs / 1e6)));
  });
  als.run({ ex, env }, () => run(ex, raw, ctxArg));
}

function run(ex, raw, ctxArg) {
  if (!hookFn && !loadError) {
    const r = loadModule(ex);
    if (r && r.thrown !== undefined) { settle(ex, r.thrown, undefined, false); return; }
  }
  if (loadError) {
    const le = loadError;
    answer(ex, le.status, [u32(le.line), u32(le.col), B.from(le.message, 'utf8')]);
    end(ex);
    return;
  }
  let args;
  try {
    args = raw.map((a) => (a.length ? jsonParse(a) : undefined));
  } catch (e) {
    settle(ex, new Error('argument is not valid JSON'), undefined, false);
    return;
  }
  if (ctxArg >= 0 && ctxArg < args.length && args[ctxArg] && typeof args[ctxArg] === 'object') {
    const c = args[ctxArg];
    if (!c.webtask || typeof c.webtask !== 'object') c.webtask = {};
    c.webtask.storage = makeStorage(ex);
  }
  const cb = function (err, value) { settle(ex, err, value, true); };
  let ret;
  try {
    ret = hookFn.apply(undefined, args.concat([cb]));
  } catch (e) {
    settle(ex, e === undefined ? new Error('undefined thrown') : e, undefined, false);
    return;
  }
  if (ret && (typeof ret === 'object' || typeof ret === 'function')) {
    let then;
    try { then = ret.then; } catch (e) { settle(ex, e, undefined, false); return; }
    if (typeof then === 'function') {
      try {
        // A hook that takes cb answers through it: its Promise resolving
        // with nothing (an async function calling cb from a callback) is
        // not the answer, as Auth0 ignored the return value.
        const takesCb = hookFn.length > args.length;
        then.call(ret, (v) => { if (v !== undefined || !takesCb) settle(ex, null, v, false); }, (e) => settle(ex, e === undefined || e === null ? new Error('Promise rejected with ' + e) : e, undefined, false));
      } catch (e) { settle(ex, e, undefined, false); }
    }
  }
}

// ---- context.webtask.storage -------------------------------------------------------------

const hostCalls = new Map();
let nextHostCall = 1;

function hostCall(ex, op, parts, done) {
  if (ex.ended) { sI(() => done(new Error('the execution has ended'))); return; }
  const cid = nextHostCall++;
  ex.host++;
  hostCalls.set(cid, { ex, done: AsyncResource.bind(done) });
  send(F_HOSTCALL, ex.id, [u64(cid), u8(op)].concat(parts));
}

function hostReply(cid, r) {
  const h = hostCalls.get(cid);
  if (!h) return;
  hostCalls.delete(cid);
  h.ex.host--;
  const status = r.u8();
  h.done(status, r);
}

function storageError(message, code) { const e = new Error(message); if (code) e.code = code; return e; }

function makeStorage(ex) {
  const storage = {
    get(options, cb) {
      if (typeof options === 'function') cb = options;
      if (typeof cb !== 'function') throw new TypeError('storage.get requires a callback');
      hostCall(ex, HOST_GET, [], (status, r) => {
        if (status !== 0) { cb(storageError(r ? r.rest().toString('utf8') : 'storage unavailable')); return; }
        const version = r.bytes().toString('utf8');
        const data = r.rest();
        ex.storageVersion = version;
        let v;
        try { v = data.length ? jsonParse(data.toString('utf8')) : undefined; } catch (e) { cb(e); return; }
        cb(null, v);
      });
    },
    set(data, options, cb) {
      if (typeof options === 'function') { cb = options; options = {}; }
      if (typeof cb !== 'function') cb = () => {};
      let s;
      try { s = jsonStringify(data); } catch (e) { sI(() => cb(e)); return; }
      if (s === undefined) s = 'null';
      if (B.byteLength(s) > MAX_STORAGE) { sI(() => cb(storageError('Storage data is limited to 500 KB', 400))); return; }
      const force = options && options.force ? 1 : 0;
      hostCall(ex, HOST_SET, [u8(force), str(ex.storageVersion), B.from(s, 'utf8')], (status, r) => {
        if (status === 0) { ex.storageVersion = r.rest().toString('utf8'); cb(null); return; }
        if (status === 1) { cb(storageError('Conflict: the storage data was written by someone else since it was read', 409)); return; }
        cb(storageError(r ? r.rest().toString('utf8') : 'storage unavailable'));
      });
    },
  };
  return storage;
}

// ---- start -----------------------------------------------------------------------------

function configure(c) {
  cfg = c;
  cfg.runnerDir = path.dirname(__filename);
  policy = buildPolicy(c.egress || {});
  send(F_READY, 0, [B.from(process.version, 'utf8')]);
}

// An exception escaping a hook's callback fails the execution it belongs
// to; the worker keeps serving the others.
function onUncaught(e) {
  const st = als.getStore();
  const ex = st && st.ex;
  if (ex && !ex.answered) { settle(ex, e, undefined, false); return; }
  if (ex) { emit(LEVELS.error, 'Uncaught ' + (e && e.stack ? e.stack : String(e))); return; }
  process.stderr.write('runner: uncaught ' + (e && e.stack) + '\n');
}
process.on('uncaughtException', onUncaught);
// An unhandled rejection before the answer fails the execution once it has
// nothing else pending (no timer, socket, request or storage call): while
// work runs the hook may still await the promise and handle it, as Node 12
// (Auth0's runtime) allowed; the embedded engine does the same.
const rejecting = new Set();
let rejectTimer = null;
function failRejected(ex, e) {
  settle(ex, e === undefined || e === null ? new Error('Promise rejected with ' + e) : e, undefined, false);
}
function pollRejections() {
  rejectTimer = null;
  for (const ex of rejecting) {
    if (ex.answered || ex.ended || ex.rejections.size === 0) { rejecting.delete(ex); continue; }
    if (!busy(ex)) { rejecting.delete(ex); failRejected(ex, ex.rejections.values().next().value); }
  }
  if (rejecting.size) outside(() => { rejectTimer = sT(pollRejections, 10); rejectTimer.unref(); });
}
process.on('unhandledRejection', (e, p) => {
  const st = als.getStore();
  const ex = st && st.ex;
  if (ex && !ex.answered) {
    if (!busy(ex)) { failRejected(ex, e); return; }
    if (!ex.rejections) ex.rejections = new Map();
    ex.rejections.set(p, e);
    rejecting.add(ex);
    if (!rejectTimer) outside(() => { rejectTimer = sT(pollRejections, 10); rejectTimer.unref(); });
    return;
  }
  if (ex) emit(LEVELS.error, 'Unhandled promise rejection: ' + (e && e.stack ? e.stack : String(e)));
});
process.on('rejectionHandled', (p) => {
  for (const ex of rejecting) if (ex.rejections) ex.rejections.delete(p);
});
locked = true;
