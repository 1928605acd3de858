package jsvm

import "github.com/dop251/goja"

// preludeSource defines the globals Auth0 prepended to every hook script
// (compat-spec §3.1) and the frozen process stub. It runs once per runtime,
// before the module. The Go natives it wraps are passed as arguments so they
// never become globals themselves.
const preludeSource = `(function (g, natives) {
	'use strict';
	function def(name, value) {
		Object.defineProperty(g, name, {value: value, writable: true, configurable: true, enumerable: false});
	}
	function errorClass(name) {
		const C = ({[name]: class extends Error {
			constructor(message) { super(message); }
		}})[name];
		Object.defineProperty(C.prototype, 'name', {value: name, writable: true, configurable: true, enumerable: false});
		return C;
	}
	def('InvalidScopeError', errorClass('InvalidScopeError'));
	def('InvalidRequestError', errorClass('InvalidRequestError'));
	def('ServerError', errorClass('ServerError'));
	// Auth0's pre-user-registration error: message for the log,
	// friendlyMessage (default: message) for the user.
	const PUR = errorClass('PreUserRegistrationError');
	def('PreUserRegistrationError', class PreUserRegistrationError extends PUR {
		constructor(message, friendlyMessage) {
			super(message);
			this.friendlyMessage = friendlyMessage === undefined ? this.message : String(friendlyMessage);
		}
	});
	def('global', g);
	def('queueMicrotask', function queueMicrotask(fn) {
		if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
		Promise.resolve().then(() => fn());
	});
	const B = g.Buffer;
	// goja_nodejs's Buffer cannot be built from a length, which is what the
	// inherited Uint8Array slice/subarray do through the species constructor;
	// Node's Buffer slices share memory, so views over the same bytes are right.
	function view(start, end) {
		const len = this.length;
		let s = start === undefined ? 0 : Math.trunc(start) || 0;
		let e = end === undefined ? len : Math.trunc(end) || 0;
		if (s < 0) s = Math.max(len + s, 0); else s = Math.min(s, len);
		if (e < 0) e = Math.max(len + e, 0); else e = Math.min(e, len);
		return B.from(this.buffer, this.byteOffset + s, Math.max(e - s, 0));
	}
	Object.defineProperty(B.prototype, 'slice', {value: view, writable: true, configurable: true});
	Object.defineProperty(B.prototype, 'subarray', {value: view, writable: true, configurable: true});
	// goja_nodejs's Buffer knows utf8, hex and base64 only; Node's other
	// common encodings (base64url for JWT parts, latin1/binary, ascii) are
	// mapped onto those here, with byteLength, isEncoding and toJSON.
	const nativeFrom = B.from;
	const nativeToString = B.prototype.toString;
	function enc(e) { return typeof e === 'string' ? e.toLowerCase() : e; }
	function bytesOf(str, e) {
		const out = new Array(str.length);
		for (let i = 0; i < str.length; i++) out[i] = str.charCodeAt(i) & (e === 'ascii' ? 0x7f : 0xff);
		return nativeFrom.call(B, out);
	}
	Object.defineProperty(B, 'from', {value: function from(v, e, len) {
		if (typeof v === 'string') {
			e = enc(e);
			if (e === 'base64url') return nativeFrom.call(B, v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
			if (e === 'latin1' || e === 'binary' || e === 'ascii') return bytesOf(v, e);
			if (e === 'utf16le' || e === 'utf-16le' || e === 'ucs2' || e === 'ucs-2') {
				const out = new Array(v.length * 2);
				for (let i = 0; i < v.length; i++) { const c = v.charCodeAt(i); out[2 * i] = c & 0xff; out[2 * i + 1] = c >> 8; }
				return nativeFrom.call(B, out);
			}
		}
		return nativeFrom.apply(B, arguments);
	}, writable: true, configurable: true});
	Object.defineProperty(B.prototype, 'toString', {value: function toString(e, start, end) {
		e = enc(e);
		const b = (start !== undefined || end !== undefined) ? view.call(this, start, end) : this;
		if (e === 'base64url') return nativeToString.call(b, 'base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
		if (e === 'latin1' || e === 'binary' || e === 'ascii') {
			let out = '';
			for (let i = 0; i < b.length; i++) out += String.fromCharCode(e === 'ascii' ? b[i] & 0x7f : b[i]);
			return out;
		}
		if (e === 'utf16le' || e === 'utf-16le' || e === 'ucs2' || e === 'ucs-2') {
			let out = '';
			for (let i = 0; i + 1 < b.length; i += 2) out += String.fromCharCode(b[i] | (b[i + 1] << 8));
			return out;
		}
		return nativeToString.call(b, e === undefined ? 'utf8' : e);
	}, writable: true, configurable: true});
	Object.defineProperty(B.prototype, 'toJSON', {value: function toJSON() {
		return {type: 'Buffer', data: Array.from(this)};
	}, writable: true, configurable: true});
	const encodings = ['utf8', 'utf-8', 'hex', 'base64', 'base64url', 'latin1', 'binary', 'ascii', 'utf16le', 'utf-16le', 'ucs2', 'ucs-2'];
	// Buffer.isBuffer and allocUnsafe (zero-filled here), buf.copy and
	// buf.compare, which Node-era code uses.
	Object.defineProperty(B, 'isBuffer', {value: function isBuffer(b) { return b instanceof B; }, writable: true, configurable: true});
	for (const name of ['allocUnsafe', 'allocUnsafeSlow']) {
		Object.defineProperty(B, name, {value: {[name](n) { return B.alloc(n); }}[name], writable: true, configurable: true});
	}
	Object.defineProperty(B.prototype, 'copy', {value: function copy(target, targetStart, sourceStart, sourceEnd) {
		const ts = targetStart === undefined ? 0 : Math.trunc(targetStart) || 0;
		const ss = sourceStart === undefined ? 0 : Math.trunc(sourceStart) || 0;
		const se = sourceEnd === undefined ? this.length : Math.min(Math.trunc(sourceEnd) || 0, this.length);
		let n = 0;
		for (let i = ss; i < se && ts + n < target.length; i++, n++) target[ts + n] = this[i];
		return n;
	}, writable: true, configurable: true});
	Object.defineProperty(B.prototype, 'compare', {value: function compare(target) { return B.compare(this, target); }, writable: true, configurable: true});
	Object.defineProperty(B, 'compare', {value: function compare(a, b) {
		const n = Math.min(a.length, b.length);
		for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
		return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
	}, writable: true, configurable: true});
	Object.defineProperty(B, 'isEncoding', {value: function isEncoding(e) {
		return typeof e === 'string' && encodings.indexOf(e.toLowerCase()) >= 0;
	}, writable: true, configurable: true});
	Object.defineProperty(B, 'byteLength', {value: function byteLength(v, e) {
		if (typeof v !== 'string') return v.byteLength;
		return B.from(v, e).length;
	}, writable: true, configurable: true});
	class TextEncoder {
		get encoding() { return 'utf-8'; }
		encode(s = '') { const b = B.from(String(s), 'utf8'); return new Uint8Array(b.buffer, b.byteOffset, b.length); }
	}
	class TextDecoder {
		constructor(enc = 'utf-8') {
			enc = String(enc).toLowerCase();
			if (enc !== 'utf-8' && enc !== 'utf8') throw new RangeError('The "' + enc + '" encoding is not supported');
		}
		get encoding() { return 'utf-8'; }
		decode(u) {
			if (u === undefined) return '';
			if (u instanceof ArrayBuffer) return B.from(u).toString('utf8');
			return B.from(u.buffer, u.byteOffset, u.byteLength).toString('utf8');
		}
	}
	// atob and btoa are globals in Node 16+; they map bytes to the code
	// points 0..255 (a string of wider characters is refused, as in Node).
	function charError(msg) { const e = new Error(msg); e.name = 'InvalidCharacterError'; e.code = 5; return e; }
	def('btoa', function btoa(s) {
		if (arguments.length === 0) throw new TypeError('The "data" argument must be specified');
		s = String(s);
		const bytes = new Array(s.length);
		for (let i = 0; i < s.length; i++) {
			const c = s.charCodeAt(i);
			if (c > 255) throw charError('Invalid character');
			bytes[i] = c;
		}
		return B.from(bytes).toString('base64');
	});
	def('atob', function atob(s) {
		if (arguments.length === 0) throw new TypeError('The "data" argument must be specified');
		s = String(s).replace(/[\t\n\f\r ]/g, '');
		if (s.length % 4 === 0) s = s.replace(/==?$/, '');
		if (s.length % 4 === 1 || /[^A-Za-z0-9+\/]/.test(s)) throw charError('The string to be decoded is not correctly encoded.');
		const b = B.from(s, 'base64');
		let out = '';
		for (let i = 0; i < b.length; i++) out += String.fromCharCode(b[i]);
		return out;
	});
	const NativeURL = g.URL;
	if (typeof NativeURL === 'function') {
		// goja_nodejs's URL keeps its path as a Go file path: it runs
		// path.Clean on it, which drops a trailing slash and collapses '//'
		// (https://a/v2/ became https://a/v2), and it resolved a relative path
		// against the base's root. For the special schemes hooks call (http,
		// https, ws, wss, ftp) the subclass below computes the path itself, as
		// the WHATWG URL standard's path parsing does, keeps it beside the
		// native object and splices it into href, pathname, toString and
		// toJSON. Everything else (host, port, query, fragment, other schemes)
		// stays the native object's.
		const np = NativeURL.prototype;
		const nativeHref = Object.getOwnPropertyDescriptor(np, 'href');
		const nativePathname = Object.getOwnPropertyDescriptor(np, 'pathname');
		const nativeToString = np.toString;
		// The path as WHATWG serializes it ('/a//b/'), per URL object; absent
		// when the native path is used as it is.
		const paths = new WeakMap();
		const schemeRe = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;
		const special = {http: true, https: true, ws: true, wss: true, ftp: true};
		// The basic URL parser first drops leading and trailing C0 controls
		// and spaces (not in a setter) and every tab and newline.
		function tidy(s, trim) {
			if (trim) s = s.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '');
			return s.replace(/[\t\n\r]/g, '');
		}
		// The path percent-encode set: C0 controls, space, " # < > ? { },
		// the backquote and everything above '~', as UTF-8. '%' stays as
		// written (an existing escape is neither decoded nor encoded again);
		// a lone surrogate becomes U+FFFD.
		function encodeChar(c) {
			const n = c.charCodeAt(0);
			if (n > 0x20 && n < 0x7f && '"#<>?\x60{}'.indexOf(c) < 0) return c;
			try { return encodeURIComponent(c); } catch (e) { return '%EF%BF%BD'; }
		}
		// Path state of the URL standard's basic URL parser, for a special
		// URL: raw is the path after the first slash (or, for a relative
		// reference, after the base's directory); segs is the path list it
		// extends, e.g. the base's path with its last segment removed. Both
		// '/' and '\\' end a segment; '..' (also spelled with %2e) removes
		// the previous segment, '.' is dropped, and either of them last
		// leaves an empty final segment, so the path ends with '/'.
		function parsePath(raw, segs) {
			const chars = Array.from(raw);
			let buf = '';
			for (let i = 0; i <= chars.length; i++) {
				const c = chars[i];
				if (c === undefined || c === '/' || c === '\\') {
					const b = buf.toLowerCase();
					if (b === '..' || b === '.%2e' || b === '%2e.' || b === '%2e%2e') {
						segs.pop();
						if (c === undefined) segs.push('');
					} else if (b === '.' || b === '%2e') {
						if (c === undefined) segs.push('');
					} else {
						segs.push(buf);
					}
					buf = '';
				} else {
					buf += encodeChar(c);
				}
			}
			return segs;
		}
		function serialize(segs) { return '/' + segs.join('/'); }
		function segsOf(path) { return path.slice(1).split('/'); }
		// The WHATWG path of an absolute URL string (tidied), or undefined
		// when its scheme is not one handled here. The authority is skipped
		// as the standard does for special schemes: any run of slashes, then
		// everything up to the next slash, '?' or '#'.
		function absolutePath(s) {
			const m = schemeRe.exec(s);
			if (!m || !special[m[1].toLowerCase()]) return undefined;
			const rest = s.slice(m[0].length).replace(/^[\/\\]*[^\/\\?#]*/, '');
			const raw = /^[^?#]*/.exec(rest)[0];
			return serialize(parsePath(raw.replace(/^[\/\\]/, ''), []));
		}
		function pathOfBase(base) {
			if (base instanceof URL && paths.has(base)) return paths.get(base);
			return absolutePath(tidy(String(base), true));
		}
		// The path of input resolved against base, per the standard's
		// relative state; undefined leaves the native path in place.
		function resolvedPath(s, base) {
			const m = schemeRe.exec(s);
			if (m) {
				// 'http:x' against an http base is relative in the standard;
				// rare enough to leave to the native parser.
				if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:[\/\\]/.test(s) && special[m[1].toLowerCase()]) return undefined;
				return absolutePath(s);
			}
			const bp = pathOfBase(base);
			if (bp === undefined) return undefined;
			if (/^[\/\\]{2}/.test(s)) return absolutePath('http:' + s);
			const raw = /^[^?#]*/.exec(s)[0];
			if (/^[\/\\]/.test(s)) return serialize(parsePath(raw.slice(1), []));
			if (raw === '') return bp;
			const segs = segsOf(bp);
			segs.pop();
			return serialize(parsePath(raw, segs));
		}
		class URL extends NativeURL {
			constructor(input, base) {
				let s = String(input);
				let path;
				if (base === undefined) {
					s = tidy(s, true);
					super(s);
					path = absolutePath(s);
				} else {
					const t = tidy(s, true);
					s = t;
					path = resolvedPath(t, base);
					// The native parser resolves a relative path against the
					// base's root: hand it the path joined to the base's
					// directory instead, so its host, query and fragment come
					// out right (the path itself is replaced above anyway).
					if (t !== '' && !schemeRe.test(t) && !/^[\/\\?#]/.test(t)) {
						const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:(\/\/[^\/?#]*)?([^?#]*)/.exec(String(base).trim());
						const p = m ? m[2] : '';
						s = (p.slice(0, p.lastIndexOf('/') + 1) || '/') + t;
					}
					super(s, base);
				}
				if (path !== undefined) paths.set(this, path);
			}
			get href() {
				// The native toString, unlike its href getter, first writes
				// searchParams changes into the query.
				const n = nativeToString.call(this);
				const p = paths.get(this);
				if (p === undefined) return n;
				// The native href is scheme://authority/path?query#fragment; its
				// userinfo has '/' escaped and its path has '?' and '#'
				// escaped, so the path is from the first '/' after '//' to the
				// first '?' or '#'.
				const a = n.indexOf('//');
				if (a < 0) return n;
				let i = n.indexOf('/', a + 2);
				const q = n.slice(a + 2).search(/[?#]/);
				const e = q < 0 ? n.length : a + 2 + q;
				if (i < 0 || i > e) i = e;
				return n.slice(0, i) + p + n.slice(e);
			}
			set href(v) {
				nativeHref.set.call(this, v);
				const p = absolutePath(tidy(String(v), true));
				if (p === undefined) paths.delete(this); else paths.set(this, p);
			}
			get pathname() {
				const p = paths.get(this);
				return p === undefined ? nativePathname.get.call(this) : p;
			}
			// The setter parses with a state override: a relative value gets
			// a leading '/', and '?' and '#' are part of the path (encoded).
			set pathname(v) {
				if (!paths.has(this)) { nativePathname.set.call(this, v); return; }
				const raw = tidy(String(v), false);
				paths.set(this, serialize(parsePath(raw.replace(/^[\/\\]/, ''), [])));
			}
			toString() { return this.href; }
			toJSON() { return this.href; }
		}
		def('URL', URL);
		natives.URL = URL;
	}
	def('TextEncoder', TextEncoder);
	def('TextDecoder', TextDecoder);
	// Node's timers return a Timeout object (ref, unref, hasRef; a number
	// through Symbol.toPrimitive, which is how clearTimeout reads it).
	// Custom error classes call V8's Error.captureStackTrace.
	class Timeout {
		constructor(id) { Object.defineProperty(this, '_id', {value: id}); this._ref = true; }
		ref() { natives.timerRef(this._id, true); this._ref = true; return this; }
		unref() { natives.timerRef(this._id, false); this._ref = false; return this; }
		hasRef() { return this._ref; }
		[Symbol.toPrimitive]() { return this._id; }
	}
	for (const name of ['setTimeout', 'setInterval', 'setImmediate']) {
		const native = g[name];
		def(name, {[name]: function () { return new Timeout(native.apply(undefined, arguments)); }}[name]);
	}
	// util.promisify(setTimeout) is a sleep in Node, through this symbol.
	const custom = Symbol.for('nodejs.util.promisify.custom');
	Object.defineProperty(g.setTimeout, custom, {value: function (ms, value) { return new Promise(r => g.setTimeout(r, ms, value)); }});
	Object.defineProperty(g.setImmediate, custom, {value: function (value) { return new Promise(r => g.setImmediate(r, value)); }});
	// Node names the UTC zone in full in Date's toString.
	for (const name of ['toString', 'toTimeString']) {
		const native = Date.prototype[name];
		Object.defineProperty(Date.prototype, name, {writable: true, configurable: true, enumerable: false,
			value: {[name]() { return native.call(this).replace(/ \(UTC\)$/, ' (Coordinated Universal Time)'); }}[name]});
	}
	const NativeError = g.Error;
	Object.defineProperty(NativeError, 'captureStackTrace', {writable: true, configurable: true, enumerable: false,
		value: function captureStackTrace(obj) {
			if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) {
				throw new TypeError('The "targetObject" argument must be of type object');
			}
			const st = String(new NativeError().stack || '');
			const nl = st.indexOf('\n');
			let head = 'Error';
			try { if (obj instanceof NativeError) head = String(obj); } catch (_) {}
			Object.defineProperty(obj, 'stack', {value: head + (nl >= 0 ? st.slice(nl) : ''), writable: true, configurable: true, enumerable: false});
		}});
	NativeError.stackTraceLimit = 10;
	// goja's Number.prototype.toLocaleString reads its locale argument as a
	// radix and throws: format as Node's default (en-US) locale does, with
	// the decimal, percent and currency styles and the fraction digits.
	const symbols = {USD: '$', EUR: '€', GBP: '£', JPY: '¥', INR: '₹', CNY: 'CN¥', CAD: 'CA$', AUD: 'A$'};
	Object.defineProperty(Number.prototype, 'toLocaleString', {writable: true, configurable: true, enumerable: false,
		value: function toLocaleString(locales, options) {
			const n = Number.prototype.valueOf.call(this);
			if (n !== n) return 'NaN';
			const o = options === undefined || options === null ? {} : Object(options);
			const style = o.style === undefined ? 'decimal' : String(o.style);
			const dflt = style === 'currency' ? 2 : style === 'percent' ? 0 : 3;
			const minF = o.minimumFractionDigits === undefined ? (style === 'currency' ? 2 : 0) : Math.trunc(o.minimumFractionDigits);
			const maxF = o.maximumFractionDigits === undefined ? Math.max(minF, dflt) : Math.trunc(o.maximumFractionDigits);
			if (!(minF >= 0 && minF <= 100 && maxF >= minF && maxF <= 100)) throw new RangeError('maximumFractionDigits value is out of range.');
			const v = style === 'percent' ? n * 100 : n;
			let out;
			if (!isFinite(v)) out = '∞';
			else {
				const parts = Math.abs(v).toFixed(maxF).split('.');
				let int = parts[0], frac = parts[1] || '';
				while (frac.length > minF && frac[frac.length - 1] === '0') frac = frac.slice(0, -1);
				if (o.useGrouping !== false) int = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
				out = frac ? int + '.' + frac : int;
			}
			if (style === 'percent') out += '%';
			if (style === 'currency') {
				const c = String(o.currency).toUpperCase();
				out = (symbols[c] || c + '\u00a0') + out;
			}
			return v < 0 || Object.is(v, -0) ? '-' + out : out;
		}});
	// JSON.parse's errors in V8's words (Node's): goja's are Go's
	// ("invalid character '<' looking for beginning of value"), and a hook
	// parsing an upstream HTML error page fails the token with that text.
	// The text is worked out only when parsing failed.
	function jsonErrorMessage(s) {
		if (s === 'undefined' || s === 'NaN' || s === 'Infinity' || s === '-Infinity' || s === '[object Object]') return '"' + s + '" is not valid JSON';
		const n = s.length;
		let i = 0;
		function Fail(m) { this.m = m; }
		const at = m => new Fail(m + ' in JSON at position ' + i);
		function unexpected(msg) {
			if (msg) return at(msg);
			if (i >= n) return new Fail('Unexpected end of JSON input');
			const c = s[i];
			if (c === '"') return at('Unexpected string');
			if (c === '-' || (c >= '0' && c <= '9')) return at('Unexpected number');
			const tok = "Unexpected token '" + c + "', ";
			if (n < 21) return new Fail(tok + '"' + s + '" is not valid JSON');
			if (i < 10) return new Fail(tok + '"' + s.slice(0, i + 10) + '"... is not valid JSON');
			if (i < n - 10) return new Fail(tok + '..."' + s.slice(i - 10, i + 10) + '"... is not valid JSON');
			return new Fail(tok + '..."' + s.slice(i - 10) + '" is not valid JSON');
		}
		function ws() { while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++; }
		const digit = c => c >= '0' && c <= '9';
		function str() {
			i++;
			for (;;) {
				if (i >= n) { i = n; throw at('Unterminated string'); }
				const c = s.charCodeAt(i);
				if (c === 34) { i++; return; }
				if (c === 92) {
					i++;
					if (i >= n) throw new Fail('Unexpected end of JSON input');
					const e = s[i];
					if ('"\\/bfnrt'.indexOf(e) >= 0) { i++; continue; }
					if (e === 'u') {
						for (let k = 1; k <= 4; k++) {
							if (i + k >= n || !/[0-9a-fA-F]/.test(s[i + k])) { i += k; throw at('Bad Unicode escape'); }
						}
						i += 5;
						continue;
					}
					throw at('Bad escaped character');
				}
				if (c < 0x20) throw at('Bad control character in string literal');
				i++;
			}
		}
		function num() {
			if (s[i] === '-') { i++; if (!digit(s[i] || '')) throw at('No number after minus sign'); }
			if (s[i] === '0') { i++; if (digit(s[i] || '')) throw unexpected(); }
			else while (digit(s[i] || '')) i++;
			if (s[i] === '.') { i++; if (!digit(s[i] || '')) throw at('Unterminated fractional number'); while (digit(s[i] || '')) i++; }
			if (s[i] === 'e' || s[i] === 'E') {
				i++;
				if (s[i] === '+' || s[i] === '-') i++;
				if (!digit(s[i] || '')) throw at('Exponent part is missing a number');
				while (digit(s[i] || '')) i++;
			}
		}
		function value() {
			ws();
			if (i >= n) throw unexpected();
			const c = s[i];
			if (c === '{') {
				i++; ws();
				if (s[i] === '}') { i++; return; }
				if (s[i] !== '"') throw unexpected("Expected property name or '}'");
				for (let first = true; ; first = false) {
					str(); ws();
					if (s[i] !== ':') throw unexpected(first ? "Expected ':' after property name" : undefined);
					i++; value(); ws();
					if (s[i] === ',') { i++; ws(); if (s[i] !== '"') throw unexpected('Expected double-quoted property name'); continue; }
					if (s[i] === '}') { i++; return; }
					throw unexpected("Expected ',' or '}' after property value");
				}
			}
			if (c === '[') {
				i++; ws();
				if (s[i] === ']') { i++; return; }
				for (;;) {
					value(); ws();
					if (s[i] === ',') { i++; continue; }
					if (s[i] === ']') { i++; return; }
					throw unexpected("Expected ',' or ']' after array element");
				}
			}
			if (c === '"') return str();
			if (c === '-' || digit(c)) return num();
			for (const lit of ['true', 'false', 'null']) {
				if (c !== lit[0]) continue;
				for (let k = 0; k < lit.length; k++, i++) if (i >= n || s[i] !== lit[k]) throw unexpected();
				return;
			}
			throw unexpected();
		}
		try {
			value(); ws();
			if (i < n) throw new Fail('Unexpected non-whitespace character after JSON at position ' + i);
		} catch (e) {
			if (e instanceof Fail) return e.m;
			throw e;
		}
		return null;
	}
	const nativeParse = JSON.parse;
	Object.defineProperty(JSON, 'parse', {writable: true, configurable: true, enumerable: false,
		value: function parse(text, reviver) {
			try {
				return nativeParse(text, reviver);
			} catch (e) {
				const m = e instanceof SyntaxError ? jsonErrorMessage(String(text)) : null;
				if (m === null) throw e;
				throw new SyntaxError(m);
			}
		}});
	// Dates' toLocale*String and a minimal Intl (DateTimeFormat,
	// NumberFormat) in Node's default en-US locale: goja's ignore their
	// options and use another format, and it has no Intl, which hooks
	// formatting a date for an e-mail or a log use. Other locales format
	// as en-US; a named timeZone is resolved by Go's time zone database.
	const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
	const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
	const DATE_FIELDS = ['weekday', 'year', 'month', 'day'];
	const TIME_FIELDS = ['hour', 'minute', 'second'];
	const STYLES = {
		full: {weekday: 'long', year: 'numeric', month: 'long', day: 'numeric'},
		long: {year: 'numeric', month: 'long', day: 'numeric'},
		medium: {year: 'numeric', month: 'short', day: 'numeric'},
		short: {year: '2-digit', month: 'numeric', day: 'numeric'},
	};
	const TIME_STYLES = {
		full: {hour: 'numeric', minute: '2-digit', second: '2-digit', timeZoneName: 'long'},
		long: {hour: 'numeric', minute: '2-digit', second: '2-digit', timeZoneName: 'short'},
		medium: {hour: 'numeric', minute: '2-digit', second: '2-digit'},
		short: {hour: 'numeric', minute: '2-digit'},
	};
	function dateOptions(options, required, defaults) {
		const o = Object.assign({}, options === undefined || options === null ? {} : Object(options));
		if (o.dateStyle !== undefined || o.timeStyle !== undefined) {
			if (required === 'date' && o.timeStyle !== undefined) throw new TypeError('Invalid option : timeStyle');
			if (required === 'time' && o.dateStyle !== undefined) throw new TypeError('Invalid option : dateStyle');
			const r = Object.assign({}, STYLES[o.dateStyle] || {}, TIME_STYLES[o.timeStyle] || {});
			r.timeZone = o.timeZone; r.hour12 = o.hour12; r.styled = o.dateStyle;
			return r;
		}
		const hasDate = DATE_FIELDS.some(f => o[f] !== undefined);
		const hasTime = TIME_FIELDS.some(f => o[f] !== undefined);
		if ((required === 'date' || required === 'any') && !hasDate && !(required === 'any' && hasTime)) {
			if (defaults === 'date' || defaults === 'all') { o.year = o.month = o.day = 'numeric'; }
		}
		if ((required === 'time' || required === 'any') && !hasTime && !(required === 'any' && hasDate)) {
			if (defaults === 'time' || defaults === 'all') { o.hour = o.minute = o.second = 'numeric'; }
		}
		return o;
	}
	function pad2(n) { return n < 10 ? '0' + n : String(n); }
	function formatDate(date, o) {
		let t = Number(Date.prototype.getTime.call(date));
		if (t !== t) return 'Invalid Date';
		let zone;
		const p = {};
		if (o.timeZone !== undefined) {
			const z = natives.tzOffset(String(o.timeZone), t);
			zone = z;
			const u = new Date(t + z.offset * 60000);
			p.y = u.getUTCFullYear(); p.mo = u.getUTCMonth(); p.d = u.getUTCDate(); p.wd = u.getUTCDay();
			p.h = u.getUTCHours(); p.mi = u.getUTCMinutes(); p.s = u.getUTCSeconds();
		} else {
			p.y = date.getFullYear(); p.mo = date.getMonth(); p.d = date.getDate(); p.wd = date.getDay();
			p.h = date.getHours(); p.mi = date.getMinutes(); p.s = date.getSeconds();
		}
		let datePart = '';
		const textMonth = o.month === 'long' || o.month === 'short' || o.month === 'narrow';
		const wd = o.weekday === undefined ? '' : o.weekday === 'long' ? DAYS[p.wd] : o.weekday === 'narrow' ? DAYS[p.wd][0] : DAYS[p.wd].slice(0, 3);
		const year = o.year === undefined ? '' : o.year === '2-digit' ? pad2(p.y % 100) : String(p.y);
		const day = o.day === undefined ? '' : o.day === '2-digit' ? pad2(p.d) : String(p.d);
		if (textMonth) {
			const m = o.month === 'long' ? MONTHS[p.mo] : o.month === 'narrow' ? MONTHS[p.mo][0] : MONTHS[p.mo].slice(0, 3);
			datePart = m + (day ? ' ' + day : '') + (year ? (day ? ', ' : ' ') + year : '');
		} else if (o.month !== undefined || day || year) {
			const m = o.month === undefined ? '' : o.month === '2-digit' ? pad2(p.mo + 1) : String(p.mo + 1);
			datePart = [m, day, year].filter(x => x !== '').join('/');
		}
		if (wd) datePart = datePart ? wd + ', ' + datePart : wd;
		let timePart = '';
		if (o.hour !== undefined || o.minute !== undefined || o.second !== undefined) {
			const h12 = o.hour12 === undefined ? (o.hourCycle === undefined ? true : o.hourCycle === 'h12' || o.hourCycle === 'h11') : Boolean(o.hour12);
			const parts = [];
			if (o.hour !== undefined) {
				// hour12: false is ICU's h24 cycle in en-US: midnight is 24.
				const h = h12 ? (p.h % 12 === 0 ? 12 : p.h % 12) : (p.h === 0 && o.hour12 === false ? 24 : p.h);
				parts.push(o.hour === '2-digit' || (!h12 && o.minute !== undefined) ? pad2(h) : String(h));
			}
			if (o.minute !== undefined) parts.push(o.hour !== undefined || o.minute === '2-digit' ? pad2(p.mi) : String(p.mi));
			if (o.second !== undefined) parts.push(parts.length || o.second === '2-digit' ? pad2(p.s) : String(p.s));
			timePart = parts.join(':');
			if (o.hour !== undefined && h12) timePart += p.h < 12 ? ' AM' : ' PM';
		}
		if (o.timeZoneName !== undefined) {
			const z = zone || natives.tzOffset('', t);
			const zn = o.timeZoneName === 'long' && z.name === 'UTC' ? 'Coordinated Universal Time' : z.name;
			if (timePart) timePart += ' ' + zn; else datePart = datePart ? datePart + ', ' + zn : zn;
		}
		if (datePart && timePart) {
			const sep = o.month === 'long' || o.styled === 'long' || o.styled === 'full' ? ' at ' : datePart === wd ? ' ' : ', ';
			return datePart + sep + timePart;
		}
		return datePart || timePart;
	}
	for (const [name, required, defaults] of [['toLocaleString', 'any', 'all'], ['toLocaleDateString', 'date', 'date'], ['toLocaleTimeString', 'time', 'time']]) {
		Object.defineProperty(Date.prototype, name, {writable: true, configurable: true, enumerable: false,
			value: {[name](locales, options) { return formatDate(this, dateOptions(options, required, defaults)); }}[name]});
	}
	const numberToLocale = Number.prototype.toLocaleString;
	// Intl's constructors may be called without new, and format is bound
	// (dates.map(fmt.format) works), as in Node.
	function DateTimeFormat(locales, options) {
		if (!(this instanceof DateTimeFormat)) return new DateTimeFormat(locales, options);
		const o = dateOptions(options, 'any', 'date');
		if (o.timeZone !== undefined) natives.tzOffset(String(o.timeZone), 0);
		Object.defineProperty(this, 'format', {value: function format(date) { return formatDate(date === undefined ? new Date() : new Date(Number(date)), o); }});
		Object.defineProperty(this, 'resolvedOptions', {value: function resolvedOptions() {
			const tz = o.timeZone === undefined ? natives.tzOffset('', Date.now()).zone : String(o.timeZone);
			return {locale: 'en-US', calendar: 'gregory', numberingSystem: 'latn', timeZone: tz};
		}});
	}
	function NumberFormat(locales, options) {
		if (!(this instanceof NumberFormat)) return new NumberFormat(locales, options);
		numberToLocale.call(0, 'en-US', options); // option errors now, as in Node
		Object.defineProperty(this, 'format', {value: function format(n) { return numberToLocale.call(Number(n), 'en-US', options); }});
		Object.defineProperty(this, 'resolvedOptions', {value: function resolvedOptions() { return {locale: 'en-US', numberingSystem: 'latn'}; }});
	}
	def('Intl', Object.freeze({DateTimeFormat: DateTimeFormat, NumberFormat: NumberFormat,
		getCanonicalLocales: function getCanonicalLocales() { return ['en-US']; }}));
	// process is a frozen stub: no exit, no cwd, no real environment. Scripts
	// that feature-detect Node find something sensible; nothing reaches the
	// host. env is the execution's own object (the hook's secrets, as webtask
	// exposed them), fresh for every execution.
	const versions = Object.freeze({node: '18.20.0', tokenhook: '1'});
	// Monotonic clocks for hooks that time their calls: process.hrtime,
	// process.uptime and performance.now, from the runtime's start.
	function hrtime(prev) {
		const ns = natives.monoNanos();
		let sec = Math.floor(ns / 1e9), nsec = ns % 1e9;
		if (Array.isArray(prev)) {
			sec -= prev[0]; nsec -= prev[1];
			if (nsec < 0) { sec--; nsec += 1e9; }
		}
		return [sec, nsec];
	}
	hrtime.bigint = function bigint() { return BigInt(natives.monoNanos()); };
	const timeOrigin = Date.now() - natives.monoNanos() / 1e6;
	def('performance', Object.freeze({
		now: function now() { return natives.monoNanos() / 1e6; },
		timeOrigin: timeOrigin,
		toJSON: function toJSON() { return {timeOrigin: timeOrigin}; },
	}));
	def('process', Object.freeze({
		get env() { return natives.env(); },
		version: 'v18.20.0',
		versions: versions,
		platform: 'linux',
		argv: Object.freeze([]),
		hrtime: hrtime,
		// process events: a hook's listeners are accepted and never called
		// (the worker is not the hook's to watch).
		on: function on() { return this; }, once: function once() { return this; }, off: function off() { return this; },
		addListener: function addListener() { return this; }, removeListener: function removeListener() { return this; },
		removeAllListeners: function removeAllListeners() { return this; }, emit: function emit() { return false; },
		listeners: function listeners() { return []; }, listenerCount: function listenerCount() { return 0; },
		emitWarning: function emitWarning(w) { console.warn('Warning:', w instanceof Error ? w.message : String(w)); },
		arch: 'x64', pid: 1, title: 'node',
		uptime: function uptime() { return natives.monoNanos() / 1e9; },
		nextTick: function nextTick(fn, ...args) {
			if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
			Promise.resolve().then(() => fn(...args));
		},
	}));
})`

// modulesSource implements the small pure-JavaScript built-in modules. Each
// entry is the body of a function (module, exports, require).
var modulesSource = map[string]string{
	"events": `
'use strict';
function EventEmitter() { this._events = Object.create(null); this._max = 10; }
EventEmitter.EventEmitter = EventEmitter;
EventEmitter.defaultMaxListeners = 10;
EventEmitter.prototype._list = function (name) {
	if (!this._events) this._events = Object.create(null);
	return this._events[name] || (this._events[name] = []);
};
EventEmitter.prototype.on = EventEmitter.prototype.addListener = function (name, fn) {
	if (typeof fn !== 'function') throw new TypeError('The "listener" argument must be of type function');
	this._list(name).push({fn: fn, once: false});
	return this;
};
EventEmitter.prototype.prependListener = function (name, fn) { this._list(name).unshift({fn: fn, once: false}); return this; };
EventEmitter.prototype.once = function (name, fn) {
	if (typeof fn !== 'function') throw new TypeError('The "listener" argument must be of type function');
	this._list(name).push({fn: fn, once: true});
	return this;
};
EventEmitter.prototype.off = EventEmitter.prototype.removeListener = function (name, fn) {
	const l = this._list(name);
	for (let i = l.length - 1; i >= 0; i--) { if (l[i].fn === fn) { l.splice(i, 1); break; } }
	return this;
};
EventEmitter.prototype.removeAllListeners = function (name) {
	if (name === undefined) this._events = Object.create(null); else delete this._list(name) && delete this._events[name];
	return this;
};
EventEmitter.prototype.emit = function (name, ...args) {
	const l = this._events && this._events[name];
	if (!l || l.length === 0) {
		if (name === 'error') { throw args[0] instanceof Error ? args[0] : new Error('Unhandled error. (' + String(args[0]) + ')'); }
		return false;
	}
	for (const h of l.slice()) {
		if (h.once) this.removeListener(name, h.fn);
		h.fn.apply(this, args);
	}
	return true;
};
EventEmitter.prototype.listenerCount = function (name) { return this._list(name).length; };
EventEmitter.prototype.listeners = function (name) { return this._list(name).map(h => h.fn); };
EventEmitter.prototype.eventNames = function () { return Object.keys(this._events || {}).filter(k => this._events[k].length > 0); };
EventEmitter.prototype.setMaxListeners = function (n) { this._max = n; return this; };
EventEmitter.prototype.getMaxListeners = function () { return this._max; };
EventEmitter.prototype.prependOnceListener = function (name, fn) {
	if (typeof fn !== 'function') throw new TypeError('The "listener" argument must be of type function');
	this._list(name).unshift({fn: fn, once: true});
	return this;
};
EventEmitter.prototype.rawListeners = EventEmitter.prototype.listeners;
EventEmitter.listenerCount = function (emitter, name) { return emitter.listenerCount(name); };
EventEmitter.errorMonitor = Symbol('events.errorMonitor');
EventEmitter.once = function (emitter, name) {
	return new Promise((resolve, reject) => {
		emitter.once(name, (...args) => resolve(args));
		if (name !== 'error') emitter.once('error', reject);
	});
};
module.exports = EventEmitter;
`,
	"assert": `
'use strict';
class AssertionError extends Error {
	constructor(opts) {
		super(opts.message || (String(opts.actual) + ' ' + opts.operator + ' ' + String(opts.expected)));
		this.actual = opts.actual; this.expected = opts.expected; this.operator = opts.operator;
		this.code = 'ERR_ASSERTION';
	}
}
Object.defineProperty(AssertionError.prototype, 'name', {value: 'AssertionError', configurable: true, writable: true});
function fail(actual, expected, message, operator) {
	if (message instanceof Error) throw message;
	throw new AssertionError({actual, expected, message, operator});
}
function deepEqual(a, b, strict) {
	if (strict ? Object.is(a, b) : (a == b)) return true;
	if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
	if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
	if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
	const ka = Object.keys(a), kb = Object.keys(b);
	if (ka.length !== kb.length) return false;
	for (const k of ka) { if (!Object.prototype.hasOwnProperty.call(b, k) || !deepEqual(a[k], b[k], strict)) return false; }
	return true;
}
function assert(value, message) { if (!value) fail(value, true, message || 'The expression evaluated to a falsy value', '=='); }
assert.ok = assert;
assert.AssertionError = AssertionError;
assert.fail = function (message) { fail(undefined, undefined, message || 'Failed', 'fail'); };
assert.equal = function (a, b, m) { if (!(a == b)) fail(a, b, m, '=='); };
assert.notEqual = function (a, b, m) { if (a == b) fail(a, b, m, '!='); };
assert.strictEqual = function (a, b, m) { if (!Object.is(a, b)) fail(a, b, m, 'strictEqual'); };
assert.notStrictEqual = function (a, b, m) { if (Object.is(a, b)) fail(a, b, m, 'notStrictEqual'); };
assert.deepEqual = function (a, b, m) { if (!deepEqual(a, b, false)) fail(a, b, m, 'deepEqual'); };
assert.deepStrictEqual = function (a, b, m) { if (!deepEqual(a, b, true)) fail(a, b, m, 'deepStrictEqual'); };
assert.notDeepStrictEqual = function (a, b, m) { if (deepEqual(a, b, true)) fail(a, b, m, 'notDeepStrictEqual'); };
assert.throws = function (fn, expected, m) {
	try { fn(); } catch (e) {
		if (typeof expected === 'function' && expected.prototype !== undefined && !(e instanceof expected)) throw e;
		if (expected instanceof RegExp && !expected.test(String(e && e.message || e))) fail(e, expected, m, 'throws');
		return;
	}
	fail(undefined, expected, typeof expected === 'string' ? expected : m || 'Missing expected exception.', 'throws');
};
assert.doesNotThrow = function (fn, m) { try { fn(); } catch (e) { fail(e, undefined, m || 'Got unwanted exception.', 'doesNotThrow'); } };
assert.match = function (s, re, m) { if (!re.test(s)) fail(s, re, m, 'match'); };
assert.doesNotMatch = function (s, re, m) { if (re.test(s)) fail(s, re, m, 'doesNotMatch'); };
assert.notDeepEqual = function (a, b, m) { if (deepEqual(a, b, false)) fail(a, b, m, 'notDeepEqual'); };
assert.ifError = function (v) { if (v !== null && v !== undefined) throw v instanceof Error ? v : new AssertionError({message: 'ifError got unwanted exception: ' + String(v), actual: v, expected: null, operator: 'ifError'}); };
assert.rejects = async function (p, expected, m) {
	try { await (typeof p === 'function' ? p() : p); } catch (e) { return; }
	fail(undefined, expected, typeof expected === 'string' ? expected : m || 'Missing expected rejection.', 'rejects');
};
assert.doesNotReject = async function (p, m) {
	try { await (typeof p === 'function' ? p() : p); } catch (e) { fail(e, undefined, m || 'Got unwanted rejection.', 'doesNotReject'); }
};
assert.strict = assert;
module.exports = assert;
`,
	"querystring": `
'use strict';
function enc(v) {
	switch (typeof v) {
	case 'string': return encodeURIComponent(v);
	case 'number': return isFinite(v) ? String(v) : '';
	case 'bigint': return String(v);
	case 'boolean': return v ? 'true' : 'false';
	default: return '';
	}
}
function unescape(s) { try { return decodeURIComponent(s); } catch (e) { return s; } }
function parse(str, sep, eq, options) {
	sep = sep || '&'; eq = eq || '=';
	const out = Object.create(null);
	if (typeof str !== 'string' || str.length === 0) return out;
	let max = (options && typeof options.maxKeys === 'number') ? options.maxKeys : 1000;
	let parts = str.split(sep);
	if (max > 0) parts = parts.slice(0, max);
	for (const part of parts) {
		if (part === '') continue;
		const i = part.indexOf(eq);
		const k = unescape((i >= 0 ? part.slice(0, i) : part).replace(/\+/g, ' '));
		const v = unescape((i >= 0 ? part.slice(i + eq.length) : '').replace(/\+/g, ' '));
		if (!(k in out)) out[k] = v;
		else if (Array.isArray(out[k])) out[k].push(v);
		else out[k] = [out[k], v];
	}
	return out;
}
function stringify(obj, sep, eq) {
	sep = sep || '&'; eq = eq || '=';
	if (obj === null || typeof obj !== 'object') return '';
	const parts = [];
	for (const k of Object.keys(obj)) {
		const v = obj[k];
		const ks = encodeURIComponent(k) + eq;
		if (Array.isArray(v)) { for (const x of v) parts.push(ks + enc(x)); } else parts.push(ks + enc(v));
	}
	return parts.join(sep);
}
module.exports = {parse, stringify, decode: parse, encode: stringify, escape: encodeURIComponent, unescape};
`,
	"string_decoder": `
'use strict';
const {Buffer} = require('buffer');
// StringDecoder keeps the bytes of an incomplete UTF-8 (or base64/hex) sequence
// between writes so that multi-byte characters split across chunks decode.
class StringDecoder {
	constructor(encoding) {
		this.encoding = (encoding || 'utf8').toLowerCase().replace('-', '');
		this.pending = Buffer.alloc(0);
	}
	write(buf) {
		if (typeof buf === 'string') return buf;
		let b = this.pending.length ? Buffer.concat([this.pending, buf]) : Buffer.from(buf);
		let end = b.length;
		if (this.encoding === 'utf8') {
			// Find the start of a trailing incomplete sequence.
			for (let i = Math.max(0, b.length - 3); i < b.length; i++) {
				const c = b[i];
				const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
				if (need && i + need > b.length) { end = i; break; }
			}
		} else if (this.encoding === 'base64') {
			end = b.length - (b.length % 3);
		}
		this.pending = b.slice(end);
		return b.slice(0, end).toString(this.encoding);
	}
	end(buf) {
		let s = buf ? this.write(buf) : '';
		if (this.pending.length) { s += this.pending.toString(this.encoding); this.pending = Buffer.alloc(0); }
		return s;
	}
}
module.exports = {StringDecoder};
`,
	"url": `
'use strict';
// The WHATWG URL comes from goja_nodejs; Node's legacy API (parse, format,
// resolve), which much Auth0 hook code still calls, is added here on top.
const base = require('tokenhook:url');
const querystring = require('querystring');
const slashed = {'http:': true, 'https:': true, 'ftp:': true, 'gopher:': true, 'file:': true, 'ws:': true, 'wss:': true};
const hostless = {'javascript:': true};
function Url() {
	this.protocol = null; this.slashes = null; this.auth = null; this.host = null;
	this.port = null; this.hostname = null; this.hash = null; this.search = null;
	this.query = null; this.pathname = null; this.path = null; this.href = null;
}
function parse(str, parseQueryString, slashesDenoteHost) {
	if (str instanceof Url) return str;
	if (typeof str !== 'string') throw new TypeError('The "url" argument must be of type string. Received ' + (str === null ? 'null' : typeof str));
	const u = new Url();
	let rest = str.trim();
	const h = rest.indexOf('#');
	if (h >= 0) { u.hash = rest.slice(h); rest = rest.slice(0, h); }
	const q = rest.indexOf('?');
	if (q >= 0) { u.search = rest.slice(q); u.query = rest.slice(q + 1); rest = rest.slice(0, q); }
	const pm = /^([a-zA-Z][a-zA-Z0-9+.-]*:)/.exec(rest);
	let proto = null;
	if (pm) { proto = pm[1].toLowerCase(); u.protocol = proto; rest = rest.slice(pm[1].length); }
	const slashes = rest.startsWith('//') && !(proto && hostless[proto]);
	if (slashes && (proto || slashesDenoteHost)) { u.slashes = true; }
	if (!(proto && hostless[proto]) && ((slashes && (proto || slashesDenoteHost)) || (proto && !slashed[proto]))) {
		if (slashes) rest = rest.slice(2);
		let end = rest.search(/[\/]/);
		if (end < 0) end = rest.length;
		let host = rest.slice(0, end);
		rest = rest.slice(end);
		const at = host.lastIndexOf('@');
		if (at >= 0) { u.auth = decodeURIComponent(host.slice(0, at)); host = host.slice(at + 1); }
		const pt = /:([0-9]*)$/.exec(host);
		if (pt) { if (pt[1]) u.port = pt[1]; host = host.slice(0, host.length - pt[0].length); }
		let hostname = host.toLowerCase();
		if (hostname.startsWith('[') && hostname.endsWith(']')) hostname = hostname.slice(1, -1);
		u.hostname = hostname;
		u.host = (host.startsWith('[') ? '[' + hostname + ']' : hostname) + (u.port ? ':' + u.port : '');
	}
	if (rest) u.pathname = rest;
	if (proto && slashed[proto] && u.hostname !== null && !u.pathname) u.pathname = '/';
	if (parseQueryString) u.query = querystring.parse(u.query || '');
	if (u.pathname || u.search) u.path = (u.pathname || '') + (u.search || '');
	u.href = format(u);
	return u;
}
function format(obj) {
	if (typeof obj === 'string') obj = parse(obj);
	else if (obj === null || typeof obj !== 'object') throw new TypeError('The "urlObject" argument must be one of type object or string.');
	else if (typeof base.URL === 'function' && obj instanceof base.URL) return obj.toString();
	let auth = obj.auth || '';
	if (auth) auth = encodeURIComponent(auth).replace(/%3A/i, ':') + '@';
	let protocol = obj.protocol || '';
	let pathname = obj.pathname || '';
	let hash = obj.hash || '';
	let host = false;
	if (obj.host) host = auth + obj.host;
	else if (obj.hostname) {
		host = auth + (String(obj.hostname).indexOf(':') >= 0 ? '[' + obj.hostname + ']' : obj.hostname);
		if (obj.port) host += ':' + obj.port;
	}
	let query = '';
	if (obj.query !== null && typeof obj.query === 'object') query = querystring.stringify(obj.query);
	let search = obj.search || (query && ('?' + query)) || '';
	if (protocol && protocol.slice(-1) !== ':') protocol += ':';
	if (obj.slashes || ((!protocol || slashed[protocol]) && host !== false)) {
		host = '//' + (host || '');
		if (pathname && pathname[0] !== '/') pathname = '/' + pathname;
	} else if (!host) host = '';
	if (hash && hash[0] !== '#') hash = '#' + hash;
	if (search && search[0] !== '?') search = '?' + search;
	pathname = pathname.replace(/[?#]/g, encodeURIComponent);
	search = search.replace('#', '%23');
	return protocol + host + pathname + search + hash;
}
function removeDots(path) {
	const out = [];
	const segs = path.split('/');
	for (let i = 0; i < segs.length; i++) {
		const seg = segs[i];
		if (seg === '..') { if (out.length > 1 || (out.length === 1 && out[0] !== '')) out.pop(); if (i === segs.length - 1) out.push(''); }
		else if (seg === '.') { if (i === segs.length - 1) out.push(''); }
		else out.push(seg);
	}
	return out.join('/');
}
// resolve merges a relative reference into a base as RFC 3986 §5.2 does
// (the WHATWG URL at hand resolves relative paths from the root).
function resolve(from, to) {
	from = String(from); to = String(to);
	if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(to)) return format(parse(to));
	const b = parse(from);
	const origin = (b.protocol || '') + (b.slashes || b.host ? '//' : '') + (b.auth ? b.auth + '@' : '') + (b.host || '');
	if (to.startsWith('//')) return format(parse((b.protocol || '') + to));
	if (to === '') return origin + (b.pathname || '') + (b.search || '');
	if (to[0] === '#') return origin + (b.pathname || '') + (b.search || '') + to;
	if (to[0] === '?') return origin + (b.pathname || '') + to;
	const h = to.search(/[?#]/);
	const tp = h < 0 ? to : to.slice(0, h);
	const tail = h < 0 ? '' : to.slice(h);
	let path;
	if (tp[0] === '/') path = tp;
	else {
		const bp = b.pathname || (b.host ? '/' : '');
		path = bp.slice(0, bp.lastIndexOf('/') + 1) + tp;
	}
	return origin + removeDots(path) + tail;
}
Url.prototype.format = function () { return format(this); };
base.Url = Url;
base.parse = parse;
base.format = format;
base.resolve = resolve;
module.exports = base;
`,
	"util": `
'use strict';
const natives = require('tokenhook:util');
function inherits(ctor, superCtor) {
	Object.defineProperty(ctor, 'super_', {value: superCtor, writable: true, configurable: true});
	Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}
const custom = Symbol.for('nodejs.util.promisify.custom');
function promisify(fn) {
	if (typeof fn !== 'function') throw new TypeError('The "original" argument must be of type function');
	if (typeof fn[custom] === 'function') return fn[custom];
	return function (...args) {
		return new Promise((resolve, reject) => {
			fn.call(this, ...args, (err, value) => err ? reject(err) : resolve(value));
		});
	};
}
promisify.custom = custom;
function callbackify(fn) {
	return function (...args) {
		const cb = args.pop();
		fn.apply(this, args).then(v => cb(null, v), e => cb(e));
	};
}
function deprecate(fn) { return fn; }
const types = {
	isPromise: v => v instanceof Promise,
	isDate: v => v instanceof Date,
	isRegExp: v => v instanceof RegExp,
	isNativeError: v => v instanceof Error,
};
// The legacy type checks (deprecated, still used by Node 12-era code), and
// the logging helpers, which write through console.
function isPrimitive(v) { return v === null || (typeof v !== 'object' && typeof v !== 'function'); }
function debuglog() { const f = function () {}; f.enabled = false; return f; }
function log(...args) {
	const d = new Date(), p = n => (n < 10 ? '0' : '') + n;
	const m = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()];
	console.log('%s - %s', d.getDate() + ' ' + m + ' ' + [p(d.getHours()), p(d.getMinutes()), p(d.getSeconds())].join(':'), natives.format(...args));
}
module.exports = {
	isBoolean: v => typeof v === 'boolean', isNumber: v => typeof v === 'number', isString: v => typeof v === 'string',
	isSymbol: v => typeof v === 'symbol', isUndefined: v => v === undefined, isNull: v => v === null,
	isNullOrUndefined: v => v === null || v === undefined, isFunction: v => typeof v === 'function',
	isObject: v => v !== null && typeof v === 'object', isPrimitive, isBuffer: v => Buffer.isBuffer(v),
	isDate: v => v instanceof Date, isRegExp: v => v instanceof RegExp, isError: v => v instanceof Error,
	debuglog, debug: debuglog, log, formatWithOptions: (opts, ...args) => natives.format(...args),
	stripVTControlCharacters: s => String(s).replace(/\u001b\[[0-9;]*[A-Za-z]/g, ''),
	toUSVString: s => String(s).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd'),
	format: natives.format, inspect: natives.inspect, inherits, promisify, callbackify, deprecate, types,
	isArray: Array.isArray, isDeepStrictEqual: (a, b) => { try { require('assert').deepStrictEqual(a, b); return true; } catch (e) { return false; } },
	TextEncoder: globalThis.TextEncoder, TextDecoder: globalThis.TextDecoder,
};
`,
}

// Programs shared by every runtime: goja Programs are immutable and may run
// in many runtimes at once, so these are compiled once per process.
var (
	preludeProgram = goja.MustCompile("tokenhook:prelude", preludeSource, true)
	modulePrograms = func() map[string]*goja.Program {
		m := make(map[string]*goja.Program, len(modulesSource))
		for name, src := range modulesSource {
			m[name] = goja.MustCompile("node:"+name, "(function (module, exports, require) {"+src+"\n})", false)
		}
		return m
	}()
)
