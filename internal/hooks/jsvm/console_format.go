package jsvm

import (
	"math"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// Console formatting follows Node's util.format closely enough that log lines
// read the same as they did in Auth0 (a webtask ran Node): strings print raw at
// top level, objects print as `{ a: 1, b: 'x' }`, nested beyond depth 2 as
// [Object]. Node's line wrapping past 72 columns is not reproduced: a log line
// is one line here.

const (
	inspectDepth    = 2
	inspectMaxItems = 100
)

func (v *vmState) format(args []goja.Value) string {
	if len(args) == 0 {
		return ""
	}
	var b strings.Builder
	rest := args
	if s, ok := args[0].Export().(string); ok && goja.IsString(args[0]) {
		rest = args[1:]
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c != '%' || i+1 == len(s) {
				b.WriteByte(c)
				continue
			}
			verb := s[i+1]
			if verb == '%' {
				b.WriteByte('%')
				i++
				continue
			}
			if len(rest) == 0 || !strings.ContainsRune("sdifjoOc", rune(verb)) {
				b.WriteByte(c)
				continue
			}
			a := rest[0]
			rest = rest[1:]
			i++
			switch verb {
			case 's':
				if _, isObj := a.(*goja.Object); isObj {
					v.inspect(&b, a, 1, nil)
				} else {
					b.WriteString(a.String())
				}
			case 'd', 'i':
				f := a.ToFloat()
				if verb == 'i' && !math.IsNaN(f) && !math.IsInf(f, 0) {
					f = math.Trunc(f)
				}
				b.WriteString(v.rt.ToValue(f).String())
			case 'f':
				b.WriteString(v.rt.ToValue(a.ToFloat()).String())
			case 'j':
				s, err := v.jsonStringify(v.jsonObj, a)
				if err != nil {
					b.WriteString("[Circular]")
				} else {
					b.WriteString(s.String())
				}
			case 'o', 'O':
				v.inspect(&b, a, 0, nil)
			case 'c':
				// CSS styling: consumed and ignored, as in Node.
			}
		}
	} else {
		v.inspect(&b, args[0], 0, nil)
		rest = args[1:]
	}
	for _, a := range rest {
		b.WriteByte(' ')
		if goja.IsString(a) {
			b.WriteString(a.String())
		} else {
			v.inspect(&b, a, 0, nil)
		}
	}
	return b.String()
}

func (v *vmState) inspect(b *strings.Builder, val goja.Value, depth int, seen []*goja.Object) {
	switch {
	case val == nil || goja.IsUndefined(val):
		b.WriteString("undefined")
		return
	case goja.IsNull(val):
		b.WriteString("null")
		return
	case goja.IsString(val):
		if depth == 0 {
			b.WriteString(val.String())
		} else {
			b.WriteString(quoteJS(val.String()))
		}
		return
	case goja.IsBigInt(val):
		b.WriteString(val.String())
		b.WriteByte('n')
		return
	}
	obj, ok := val.(*goja.Object)
	if !ok {
		b.WriteString(val.String())
		return
	}
	for _, s := range seen {
		if s == obj {
			b.WriteString("[Circular]")
			return
		}
	}
	if _, isFn := goja.AssertFunction(obj); isFn {
		name := obj.Get("name")
		if name == nil || name.String() == "" {
			b.WriteString("[Function (anonymous)]")
		} else {
			b.WriteString("[Function: " + name.String() + "]")
		}
		return
	}
	switch obj.ClassName() {
	case "Error":
		if st := obj.Get("stack"); st != nil && goja.IsString(st) {
			b.WriteString(st.String())
		} else {
			b.WriteString(obj.String())
		}
		return
	case "Date", "RegExp":
		if obj.ClassName() == "Date" {
			if f, ok := goja.AssertFunction(obj.Get("toISOString")); ok {
				if s, err := f(obj); err == nil {
					b.WriteString(s.String())
					return
				}
			}
		}
		b.WriteString(obj.String())
		return
	case "Array":
		if depth > inspectDepth {
			b.WriteString("[Array]")
			return
		}
		n := int(obj.Get("length").ToInteger())
		if n == 0 {
			b.WriteString("[]")
			return
		}
		b.WriteString("[ ")
		for i := 0; i < n && i < inspectMaxItems; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			v.inspect(b, obj.Get(strconv.Itoa(i)), depth+1, append(seen, obj))
		}
		if n > inspectMaxItems {
			b.WriteString(", ... " + strconv.Itoa(n-inspectMaxItems) + " more items")
		}
		b.WriteString(" ]")
		return
	}
	if depth > inspectDepth {
		b.WriteString("[Object]")
		return
	}
	keys := obj.Keys()
	if len(keys) == 0 {
		b.WriteString("{}")
		return
	}
	b.WriteString("{ ")
	for i, k := range keys {
		if i >= inspectMaxItems {
			b.WriteString(", ... " + strconv.Itoa(len(keys)-inspectMaxItems) + " more items")
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if isIdentifier(k) {
			b.WriteString(k)
		} else {
			b.WriteString(quoteJS(k))
		}
		b.WriteString(": ")
		v.inspect(b, obj.Get(k), depth+1, append(seen, obj))
	}
	b.WriteString(" }")
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || r == '$' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}

func quoteJS(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'':
			b.WriteString(`\'`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}
