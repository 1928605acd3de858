package jsvm

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja_nodejs/buffer"
	"github.com/google/uuid"
)

// maxRandomBytes bounds randomBytes so one call cannot allocate without limit.
const maxRandomBytes = 1 << 20

// hashes maps Node's algorithm names to Go constructors. Only digests a hook
// plausibly needs (signatures, cache keys, Gravatar URLs) are offered.
var hashes = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha256": sha256.New, "sha384": sha512.New384, "sha512": sha512.New,
}

// newCryptoModule implements the subset of Node's crypto module hooks use,
// in Go: createHash, createHmac, randomBytes, randomUUID, timingSafeEqual,
// getHashes.
func newCryptoModule(v *vmState) goja.Value {
	rt := v.rt
	exports := rt.NewObject()
	// goja_nodejs's encoders know utf8, hex and base64; the prelude's
	// Buffer.from and toString add base64url, latin1, ascii and utf16le,
	// which hooks use for digests (an HMAC in base64url signs a JWT).
	native := func(enc goja.Value) bool {
		switch strings.ToLower(enc.String()) {
		case "utf8", "utf-8", "hex", "base64":
			return true
		}
		return goja.IsUndefined(enc) || goja.IsNull(enc)
	}
	bytesOf := func(val, enc goja.Value) []byte {
		if goja.IsString(val) && !native(enc) && v.bufferFrom != nil {
			if b, err := v.bufferFrom(goja.Undefined(), val, enc); err == nil {
				val, enc = b, goja.Undefined()
			}
		}
		return buffer.DecodeBytes(rt, val, enc)
	}
	encode := func(data []byte, enc goja.Value) goja.Value {
		if native(enc) || v.bufferToString == nil {
			return buffer.EncodeBytes(rt, data, enc)
		}
		s, err := v.bufferToString(buffer.EncodeBytes(rt, data, goja.Undefined()), enc)
		if err != nil {
			panic(err)
		}
		return s
	}
	newHashObject := func(h hash.Hash) *goja.Object {
		o := rt.NewObject()
		finished := false
		_ = o.Set("update", func(call goja.FunctionCall) goja.Value {
			if finished {
				panic(v.newError("Error", "Digest already called"))
			}
			h.Write(bytesOf(call.Argument(0), call.Argument(1)))
			return o
		})
		_ = o.Set("digest", func(call goja.FunctionCall) goja.Value {
			if finished {
				panic(v.newError("Error", "Digest already called"))
			}
			finished = true
			return encode(h.Sum(nil), call.Argument(0))
		})
		return o
	}
	algo := func(val goja.Value) func() hash.Hash {
		f, ok := hashes[strings.ToLower(strings.ReplaceAll(val.String(), "-", ""))]
		if !ok {
			panic(v.newError("Error", "Digest method not supported"))
		}
		return f
	}
	_ = exports.Set("createHash", func(call goja.FunctionCall) goja.Value {
		return newHashObject(algo(call.Argument(0))())
	})
	_ = exports.Set("createHmac", func(call goja.FunctionCall) goja.Value {
		f := algo(call.Argument(0))
		return newHashObject(hmac.New(f, bytesOf(call.Argument(1), goja.Undefined())))
	})
	_ = exports.Set("getHashes", func(goja.FunctionCall) goja.Value {
		return rt.ToValue([]string{"md5", "sha1", "sha256", "sha384", "sha512"})
	})
	_ = exports.Set("randomBytes", func(call goja.FunctionCall) goja.Value {
		n := call.Argument(0).ToInteger()
		if n < 0 || n > maxRandomBytes {
			panic(v.newError("RangeError", "The value of \"size\" is out of range."))
		}
		b := make([]byte, n)
		_, _ = rand.Read(b)
		buf := buffer.WrapBytes(rt, b)
		if cb, ok := goja.AssertFunction(call.Argument(1)); ok {
			// The callback form is answered synchronously; nothing observable differs for a hook.
			_, err := cb(goja.Undefined(), goja.Null(), buf)
			if err != nil {
				panic(err)
			}
			return goja.Undefined()
		}
		return buf
	})
	_ = exports.Set("randomUUID", func(goja.FunctionCall) goja.Value {
		return rt.ToValue(uuid.NewString())
	})
	_ = exports.Set("timingSafeEqual", func(call goja.FunctionCall) goja.Value {
		a, b := bytesOf(call.Argument(0), goja.Undefined()), bytesOf(call.Argument(1), goja.Undefined())
		if len(a) != len(b) {
			panic(v.newError("RangeError", "Input buffers must have the same byte length"))
		}
		return rt.ToValue(subtle.ConstantTimeCompare(a, b) == 1)
	})
	return exports
}
