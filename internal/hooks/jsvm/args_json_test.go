package jsvm

import (
	"testing"

	"github.com/dop251/goja"
)

// TestParseArgMatchesJSONParse pins parseArg to what JSON.parse gives.
func TestParseArgMatchesJSONParse(t *testing.T) {
	rt := goja.New()
	check, err := rt.RunString(`(function (a, b) {
		const d = v => JSON.stringify(v, (k, x) => (typeof x === 'object' && x !== null && !Array.isArray(x))
			? Object.assign({proto: Object.getPrototypeOf(x) === Object.prototype, keys: Object.keys(x)}, x) : x);
		return d(a) + ' | ' + typeof a + (Array.isArray(a) ? 'A' : '') + ' ' + Object.is(a, -0) + ' ' + (a !== a) + '\n' +
		       d(b) + ' | ' + typeof b + (Array.isArray(b) ? 'A' : '') + ' ' + Object.is(b, -0) + ' ' + (b !== b);
	})`)
	if err != nil {
		t.Fatal(err)
	}
	fn, _ := goja.AssertFunction(check)
	parse, _ := goja.AssertFunction(rt.Get("JSON").ToObject(rt).Get("parse"))
	for _, in := range []string{
		`{"b":1,"a":[1,2,{"x":null}],"c":"s","d":true,"e":false}`,
		` { "__proto__" : {"polluted": 1}, "k": [ ] , "o": { } } `,
		`{"a":1,"a":2,"1":"one","0":"zero"}`,
		`"esc \" \\ \/ \b\f\n\r\t \u00e9 \ud83d\ude00 é 😀"`,
		`[-0, 0, 1e3, -1.5e-7, 12345678901234567890, 0.1, 1E+2]`,
		`null`, `true`, `[]`, `{}`, `[[[]]]`, `""`,
	} {
		got, ok := parseArg(rt, []byte(in))
		if !ok {
			t.Fatalf("%s: parseArg refused", in)
		}
		want, err := parse(goja.Undefined(), rt.ToValue(in))
		if err != nil {
			t.Fatal(err)
		}
		res, err := fn(goja.Undefined(), got, want)
		if err != nil {
			t.Fatal(err)
		}
		var a, b string
		for i, line := range splitLines(res.String()) {
			if i == 0 {
				a = line
			} else {
				b = line
			}
		}
		if a != b {
			t.Errorf("%s:\nparseArg   %s\nJSON.parse %s", in, a, b)
		}
	}
	for _, bad := range []string{`{`, `[1,]`, `{"a" 1}`, `01`, `1e999`, "\"\xff\""} {
		if v, ok := parseArg(rt, []byte(bad)); ok && bad != "\"\xff\"" {
			t.Errorf("%q: parseArg accepted it as %v", bad, v)
		}
	}
}

func splitLines(s string) []string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return []string{s[:i], s[i+1:]}
		}
	}
	return []string{s}
}
