package jsvm

import (
	"math"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// Console formatting follows Node's util.format so that log lines read the
// same as they did in Auth0 (a webtask ran Node): strings print raw at top
// level, objects print as `{ a: 1, b: 'x' }`, nested beyond depth 2 as
// [Object], and an object that does not fit in 80 columns is broken over
// lines, one entry per line, as Node breaks it.

const (
	inspectDepth    = 2
	maxInspectDepth = 64 // util.inspect's depth: null, bounded all the same
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
					// Node inspects an object for %s with depth 0: its
					// nested objects print as [Object].
					v.inspect(&b, a, inspectDepth, nil)
				} else {
					b.WriteString(a.String())
				}
			case 'd':
				b.WriteString(v.rt.ToValue(a.ToFloat()).String())
			case 'i', 'f':
				// parseInt and parseFloat of the argument, as Node does.
				parse := v.parseInt
				if verb == 'f' {
					parse = v.parseFloat
				}
				if r, err := parse(goja.Undefined(), a); err == nil {
					b.WriteString(r.String())
				} else {
					b.WriteString("NaN")
				}
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

// inspectTop is util.inspect and console.dir: as inspect at the top level,
// but a string is quoted.
func (v *vmState) inspectTop(b *strings.Builder, val goja.Value) {
	if goja.IsString(val) {
		b.WriteString(quoteJS(val.String()))
		return
	}
	v.inspect(b, val, 0, nil)
}

func (v *vmState) inspect(b *strings.Builder, val goja.Value, depth int, seen []*goja.Object) {
	b.WriteString(v.insp(val, depth, 0, seen))
}

// insp formats val as Node's util.inspect does at nesting depth (0: the
// top level, where strings print raw) and indentation indent.
func (v *vmState) insp(val goja.Value, depth, indent int, seen []*goja.Object) string {
	switch {
	case val == nil || goja.IsUndefined(val):
		return "undefined"
	case goja.IsNull(val):
		return "null"
	case goja.IsString(val):
		if depth == 0 {
			return val.String()
		}
		return quoteJS(val.String())
	case goja.IsBigInt(val):
		return val.String() + "n"
	}
	if sym, ok := val.(*goja.Symbol); ok {
		return "Symbol(" + sym.String() + ")"
	}
	obj, ok := val.(*goja.Object)
	if !ok {
		if f, ok := val.Export().(float64); ok && f == 0 && math.Signbit(f) {
			return "-0"
		}
		return val.String()
	}
	for _, s := range seen {
		if s == obj {
			return "[Circular]"
		}
	}
	if _, isFn := goja.AssertFunction(obj); isFn {
		name := obj.Get("name")
		if name == nil || name.String() == "" {
			return "[Function (anonymous)]"
		}
		return "[Function: " + name.String() + "]"
	}
	switch obj.ClassName() {
	case "Error":
		if st := obj.Get("stack"); st != nil && goja.IsString(st) {
			return st.String()
		}
		return obj.String()
	case "Date":
		if f, ok := goja.AssertFunction(obj.Get("toISOString")); ok {
			if s, err := f(obj); err == nil {
				return s.String()
			}
		}
		return obj.String()
	case "RegExp":
		return obj.String()
	case "Array":
		if depth > v.inspDepth {
			return "[Array]"
		}
		n := int(obj.Get("length").ToInteger())
		if n == 0 {
			return "[]"
		}
		seen = append(seen, obj)
		v.curDepth = depth
		v.curDepth = depth
		out := make([]string, 0, min(n, inspectMaxItems)+1)
		numeric := true
		for i := 0; i < n && i < inspectMaxItems; i++ {
			e := obj.Get(strconv.Itoa(i))
			if e == nil || !(goja.IsNumber(e) || goja.IsBigInt(e)) {
				numeric = false
			}
			out = append(out, v.insp(e, depth+1, indent+2, seen))
		}
		items := len(out)
		if n > inspectMaxItems {
			out = append(out, "... "+strconv.Itoa(n-inspectMaxItems)+" more items")
		}
		return v.reduceToSingleString(out, "[", "]", depth, indent, true, items, numeric)
	}
	// A class instance, a Map or Set, a Buffer, an object without a
	// prototype: named as Node names them.
	prefix := ""
	proto := obj.Prototype()
	if proto == nil {
		prefix = "[Object: null prototype] "
	} else if proto == v.bufferProto {
		return v.inspectBuffer(obj)
	} else if c, ok := proto.Get("constructor").(*goja.Object); ok {
		if n := c.Get("name"); n != nil && goja.IsString(n) && n.String() != "Object" && isIdentifier(n.String()) {
			prefix = n.String() + " "
		}
	}
	if prefix == "Map " || prefix == "Set " {
		return v.inspectCollection(obj, prefix == "Map ", depth, indent, seen)
	}
	if depth > v.inspDepth {
		if prefix != "" && prefix[0] != '[' {
			return "[" + prefix[:len(prefix)-1] + "]"
		}
		return "[Object]"
	}
	keys := obj.Keys()
	if len(keys) == 0 {
		return prefix + "{}"
	}
	seen = append(seen, obj)
	v.curDepth = depth
	out := make([]string, 0, min(len(keys), inspectMaxItems)+1)
	for i, k := range keys {
		if i >= inspectMaxItems {
			out = append(out, "... "+strconv.Itoa(len(keys)-inspectMaxItems)+" more items")
			break
		}
		name := k
		if !isIdentifier(k) {
			name = quoteJS(k)
		}
		out = append(out, name+": "+v.insp(obj.Get(k), depth+1, indent+2, seen))
	}
	return v.reduceToSingleString(out, prefix+"{", "}", depth, indent, false, 0, false)
}

// reduceToSingleString joins the entries of an object or array as Node
// does (compact mode 3, 80 columns): on one line when it fits, else one
// entry per line; more than 6 short array entries are grouped in aligned
// columns.
//
// Only the innermost three levels of nesting are joined on one line: after
// its entries were formatted, v.curDepth is the depth of the last object
// formatted among them (Node's ctx.currentDepth).
func (v *vmState) reduceToSingleString(out []string, open, close string, depth, indent int, isArray bool, items int, numeric bool) string {
	entries := len(out)
	if isArray && entries > 6 {
		out = v.groupArrayElements(out, indent, items, numeric)
	}
	if v.curDepth-depth < 3 && entries == len(out) {
		start := len(out) + indent + utf16Len(open) + 10
		total := len(out) + start
		fits := total+len(out) <= v.inspBreak
		for _, e := range out {
			if !fits {
				break
			}
			total += utf16Len(e)
			fits = total <= v.inspBreak && !strings.Contains(e, "\n")
		}
		if fits {
			return open + " " + strings.Join(out, ", ") + " " + close
		}
	}
	ind := "\n" + strings.Repeat(" ", indent)
	return open + ind + "  " + strings.Join(out, ","+ind+"  ") + ind + close
}

// breakLength is Node's default line width for inspection.
const breakLength = 80

// groupArrayElements is Node's grouping of many short array entries into
// columns (numbers right-aligned, anything else left-aligned).
func (v *vmState) groupArrayElements(out []string, indent, items int, numeric bool) []string {
	const separatorSpace = 2
	dataLen := make([]int, items)
	total, maxLen := 0, 0
	for i := 0; i < items; i++ {
		l := utf16Len(out[i])
		dataLen[i] = l
		total += l + separatorSpace
		maxLen = max(maxLen, l)
	}
	actualMax := maxLen + separatorSpace
	if !(actualMax*3+indent < v.inspBreak && (float64(total)/float64(actualMax) > 5 || maxLen <= 6)) {
		return out
	}
	averageBias := math.Sqrt(float64(actualMax) - float64(total)/float64(len(out)))
	biasedMax := math.Max(float64(actualMax)-3-averageBias, 1)
	columns := min(int(math.Round(math.Sqrt(2.5*biasedMax*float64(items))/biasedMax)), (v.inspBreak-indent)/actualMax, 3*4, 15)
	if columns <= 1 {
		return out
	}
	maxLine := make([]int, columns)
	for i := 0; i < columns; i++ {
		w := 0
		for j := i; j < items; j += columns {
			w = max(w, dataLen[j])
		}
		maxLine[i] = w + separatorSpace
	}
	var tmp []string
	for i := 0; i < items; i += columns {
		end := min(i+columns, items)
		var b strings.Builder
		j := i
		for ; j < end-1; j++ {
			cell := out[j] + ", "
			pad := strings.Repeat(" ", max(0, maxLine[j-i]-utf16Len(cell)))
			if numeric {
				b.WriteString(pad + cell)
			} else {
				b.WriteString(cell + pad)
			}
		}
		if numeric {
			b.WriteString(strings.Repeat(" ", max(0, maxLine[j-i]-separatorSpace-dataLen[j])) + out[j])
		} else {
			b.WriteString(out[j])
		}
		tmp = append(tmp, b.String())
	}
	return append(tmp, out[items:]...)
}

// inspectCollection prints a Map as Map(n) { k => v } and a Set as
// Set(n) { v }.
func (v *vmState) inspectCollection(obj *goja.Object, isMap bool, depth, indent int, seen []*goja.Object) string {
	size := obj.Get("size").ToInteger()
	name := "Set"
	if isMap {
		name = "Map"
	}
	if depth > v.inspDepth {
		return "[" + name + "]"
	}
	open := name + "(" + strconv.FormatInt(size, 10) + ") {"
	forEach, ok := goja.AssertFunction(obj.Get("forEach"))
	if size == 0 || !ok {
		return open + "}"
	}
	seen = append(seen, obj)
	v.curDepth = depth
	var out []string
	_, _ = forEach(obj, v.rt.ToValue(func(call goja.FunctionCall) goja.Value {
		if len(out) >= inspectMaxItems {
			return goja.Undefined()
		}
		e := v.insp(call.Argument(0), depth+1, indent+2, seen)
		if isMap {
			e = v.insp(call.Argument(1), depth+1, indent+2, seen) + " => " + e
		}
		out = append(out, e)
		return goja.Undefined()
	}))
	if int64(len(out)) < size {
		out = append(out, "... "+strconv.FormatInt(size-int64(len(out)), 10)+" more items")
	}
	return v.reduceToSingleString(out, open, "}", depth, indent, false, 0, false)
}

// inspectBuffer prints a Buffer as <Buffer 68 69>, at most 50 bytes.
func (v *vmState) inspectBuffer(obj *goja.Object) string {
	const hex = "0123456789abcdef"
	n := int(obj.Get("length").ToInteger())
	var b strings.Builder
	b.WriteString("<Buffer")
	for i := 0; i < n && i < 50; i++ {
		c := obj.Get(strconv.Itoa(i)).ToInteger()
		b.WriteByte(' ')
		b.WriteByte(hex[(c>>4)&0xf])
		b.WriteByte(hex[c&0xf])
	}
	if n > 50 {
		b.WriteString(" ... " + strconv.Itoa(n-50) + " more bytes")
	}
	b.WriteByte('>')
	return b.String()
}

// isIdentifier is Node's rule for printing a key unquoted.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}

// quoteJS quotes as Node does: single quotes, or double quotes for a
// string holding single quotes only, or backticks for one holding both.
func quoteJS(s string) string {
	q := '\''
	if strings.ContainsRune(s, '\'') {
		if !strings.ContainsRune(s, '"') {
			q = '"'
		} else if !strings.ContainsRune(s, '`') {
			q = '`'
		}
	}
	var b strings.Builder
	b.WriteRune(q)
	for _, r := range s {
		switch r {
		case q:
			b.WriteByte('\\')
			b.WriteRune(r)
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
	b.WriteRune(q)
	return b.String()
}
