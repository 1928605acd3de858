package jsvm

import "github.com/dop251/goja"

// webSource defines the WHATWG fetch API (fetch, Headers, Request, Response,
// AbortController, AbortSignal) on top of one Go native, natives.fetch, which
// performs the request with net/http through the egress policy (fetch.go).
// Bodies are buffered (both ways, capped), so Response.body is null and the
// reading methods resolve from memory. Like the prelude, it runs once per
// runtime, before the module.
const webSource = `(function (g, natives) {
	'use strict';
	const B = g.Buffer;
	function def(name, value) {
		Object.defineProperty(g, name, {value: value, writable: true, configurable: true, enumerable: false});
	}
	const norm = n => {
		n = String(n);
		if (!/^[!#$%&'*+\-.^_` + "`" + `|~0-9A-Za-z]+$/.test(n)) throw new TypeError('Headers: invalid header name "' + n + '"');
		return n.toLowerCase();
	};
	const normValue = v => String(v).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
	const LIST = Symbol('list');
	class Headers {
		constructor(init) {
			this[LIST] = [];
			if (init == null) return;
			if (init instanceof Headers) { for (const [k, v] of init[LIST]) this[LIST].push([k, v]); return; }
			if (typeof init[Symbol.iterator] === 'function') {
				for (const pair of init) {
					const p = Array.from(pair);
					if (p.length !== 2) throw new TypeError('Headers: each header must be a [name, value] pair');
					this.append(p[0], p[1]);
				}
				return;
			}
			if (typeof init === 'object') { for (const k of Object.keys(init)) this.append(k, init[k]); return; }
			throw new TypeError('Headers: unsupported init');
		}
		append(name, value) { this[LIST].push([norm(name), normValue(value)]); }
		set(name, value) { const n = norm(name); this.delete(n); this[LIST].push([n, normValue(value)]); }
		delete(name) { const n = norm(name); this[LIST] = this[LIST].filter(e => e[0] !== n); }
		get(name) {
			const n = norm(name);
			const vs = this[LIST].filter(e => e[0] === n).map(e => e[1]);
			if (!vs.length) return null;
			return vs.join(', ');
		}
		getSetCookie() { return this[LIST].filter(e => e[0] === 'set-cookie').map(e => e[1]); }
		has(name) { const n = norm(name); return this[LIST].some(e => e[0] === n); }
		forEach(fn, thisArg) { for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this); }
		*entries() {
			const names = [...new Set(this[LIST].map(e => e[0]))].sort();
			for (const n of names) yield [n, this.get(n)];
		}
		*keys() { for (const [k] of this.entries()) yield k; }
		*values() { for (const [, v] of this.entries()) yield v; }
		[Symbol.iterator]() { return this.entries(); }
		get [Symbol.toStringTag]() { return 'Headers'; }
	}

	// toBytes turns a body init into [ArrayBuffer|undefined, default content type].
	function toBytes(body) {
		if (body == null) return [undefined, null];
		if (typeof body === 'string') return [copy(B.from(body, 'utf8')), 'text/plain;charset=UTF-8'];
		if (body instanceof g.URLSearchParams) return [copy(B.from(body.toString(), 'utf8')), 'application/x-www-form-urlencoded;charset=UTF-8'];
		if (body instanceof ArrayBuffer) return [body.slice(0), null];
		if (ArrayBuffer.isView(body)) return [copy(body), null];
		return [copy(B.from(String(body), 'utf8')), 'text/plain;charset=UTF-8'];
	}
	function copy(view) { return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength); }
	const utf8 = buf => buf === undefined ? '' : B.from(buf).toString('utf8');

	const BODY = Symbol('body');
	const RAW = Symbol('raw'); // Response init flag: body is already an ArrayBuffer
	const USED = Symbol('used');
	class Body {
		get bodyUsed() { return this[USED]; }
		get body() { return null; }
		_take() {
			if (this[USED]) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
			this[USED] = true;
			return Promise.resolve(this[BODY] === undefined ? new ArrayBuffer(0) : this[BODY].slice(0));
		}
		arrayBuffer() { return this._take(); }
		text() { return this._take().then(utf8); }
		json() { return this.text().then(JSON.parse); }
		bytes() { return this._take().then(b => new Uint8Array(b)); }
	}

	class Request extends Body {
		constructor(input, init) {
			super();
			init = init || {};
			let base = {};
			if (input instanceof Request) base = input;
			else {
				const raw = String(input);
				let u;
				// g.URL is the prelude's, whose href carries the path as
				// WHATWG parses it (trailing slash, '//' and escapes kept).
				try { u = new g.URL(raw); input = u.href; }
				catch (e) { throw new TypeError('Failed to parse URL from ' + raw); }
				base = {url: input, method: 'GET', headers: undefined, redirect: 'follow', [BODY]: undefined, signal: null};
			}
			this.url = base.url;
			this.method = String(init.method || base.method || 'GET').toUpperCase();
			this.headers = new Headers(init.headers !== undefined ? init.headers : base.headers);
			this.redirect = init.redirect || base.redirect || 'follow';
			if (!['follow', 'manual', 'error'].includes(this.redirect)) throw new TypeError('Request: invalid redirect mode "' + this.redirect + '"');
			this.signal = init.signal !== undefined ? init.signal : (base.signal || null);
			this[USED] = false;
			if (init.body !== undefined && init.body !== null) {
				if (this.method === 'GET' || this.method === 'HEAD') throw new TypeError('Request with GET/HEAD method cannot have body.');
				const [bytes, type] = toBytes(init.body);
				this[BODY] = bytes;
				if (type && !this.headers.has('content-type')) this.headers.set('content-type', type);
			} else {
				this[BODY] = base[BODY];
			}
		}
		clone() { return new Request(this); }
		get [Symbol.toStringTag]() { return 'Request'; }
	}

	class Response extends Body {
		constructor(body, init) {
			super();
			init = init || {};
			const status = init.status === undefined ? 200 : Number(init.status);
			if (!(status >= 200 && status <= 599) && !init[RAW]) throw new RangeError('Response: status must be in 200-599, got ' + init.status);
			this.status = status;
			this.statusText = init.statusText === undefined ? '' : String(init.statusText);
			this.headers = new Headers(init.headers);
			this.url = init.url || '';
			this.redirected = !!init.redirected;
			this.type = init.type || 'default';
			this[USED] = false;
			const [bytes, type] = init[RAW] ? [body, null] : toBytes(body);
			this[BODY] = bytes;
			if (type && !this.headers.has('content-type')) this.headers.set('content-type', type);
		}
		get ok() { return this.status >= 200 && this.status <= 299; }
		clone() {
			if (this[USED]) throw new TypeError('Response.clone: Body has already been consumed.');
			return new Response(this[BODY], {[RAW]: true, status: this.status, statusText: this.statusText, headers: this.headers, url: this.url, redirected: this.redirected, type: this.type});
		}
		static json(data, init) {
			const r = new Response(JSON.stringify(data), init);
			r.headers.set('content-type', 'application/json');
			return r;
		}
		static error() { return new Response(null, {[RAW]: true, status: 0, type: 'error'}); }
		get [Symbol.toStringTag]() { return 'Response'; }
	}
	function abortError(reason) {
		if (reason !== undefined) return reason;
		const e = new Error('This operation was aborted');
		e.name = 'AbortError';
		e.code = 20;
		return e;
	}
	class AbortSignal {
		constructor() { this.aborted = false; this.reason = undefined; this._l = []; this.onabort = null; }
		addEventListener(type, fn) { if (type === 'abort' && typeof fn === 'function') this._l.push(fn); }
		removeEventListener(type, fn) { this._l = this._l.filter(f => f !== fn); }
		throwIfAborted() { if (this.aborted) throw this.reason; }
		_abort(reason) {
			if (this.aborted) return;
			this.aborted = true;
			this.reason = abortError(reason);
			const ev = {type: 'abort', target: this};
			if (typeof this.onabort === 'function') this.onabort(ev);
			for (const fn of this._l.slice()) fn.call(this, ev);
		}
		static abort(reason) { const s = new AbortSignal(); s._abort(reason); return s; }
		static timeout(ms) {
			const s = new AbortSignal();
			g.setTimeout(() => { const e = new Error('The operation was aborted due to timeout'); e.name = 'TimeoutError'; e.code = 23; s._abort(e); }, ms);
			return s;
		}
		get [Symbol.toStringTag]() { return 'AbortSignal'; }
	}
	class AbortController {
		constructor() { this.signal = new AbortSignal(); }
		abort(reason) { this.signal._abort(reason); }
	}

	function fetch(input, init) {
		let req;
		try { req = new Request(input, init); } catch (e) { return Promise.reject(e); }
		const signal = req.signal;
		if (signal && signal.aborted) return Promise.reject(signal.reason);
		const headers = [];
		for (const [k, v] of req.headers[LIST]) headers.push(k, v);
		let op;
		try { op = natives.fetch(req.method, req.url, headers, req[BODY], req.redirect); }
		catch (e) { return Promise.reject(e); }
		let onAbort;
		if (signal && typeof signal.addEventListener === 'function') {
			onAbort = () => op.abort();
			signal.addEventListener('abort', onAbort);
		}
		return op.promise.then(r => {
			if (onAbort) signal.removeEventListener('abort', onAbort);
			// An abort before this job ran wins over a response that had
			// already arrived, as in Node: the promise was still pending.
			if (signal && signal.aborted) throw signal.reason;
			const h = new Headers();
			for (let i = 0; i < r.headers.length; i += 2) h.append(r.headers[i], r.headers[i + 1]);
			return new Response(r.body, {[RAW]: true, status: r.status, statusText: r.statusText, headers: h, url: r.url, redirected: r.redirected, type: 'basic'});
		}, e => {
			if (onAbort) signal.removeEventListener('abort', onAbort);
			if (e && e.name === 'AbortError' && signal && signal.aborted) throw signal.reason;
			throw e;
		});
	}

	def('Headers', Headers);
	def('Request', Request);
	def('Response', Response);
	def('AbortController', AbortController);
	def('AbortSignal', AbortSignal);
	def('fetch', fetch);
})`

var webProgram = goja.MustCompile("tokenhook:web", webSource, true)
