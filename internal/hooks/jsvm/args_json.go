package jsvm

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/dop251/goja"
)

// parseArg builds the JavaScript value of one JSON argument, the same value
// the runtime's JSON.parse would give: fresh objects and arrays, properties
// in source order, created as own data properties (so a "__proto__" key is a
// plain property), numbers and strings converted as goja converts them.
// goja's JSON.parse goes through encoding/json's token stream, which was 40%
// of a worker's CPU for a simple hook; this walks the bytes directly. The
// input is first checked with json.Valid, so the walker may assume the
// grammar; ok is false when the caller must fall back to JSON.parse (invalid
// JSON, whose error it reports).
func parseArg(rt *goja.Runtime, data []byte) (v goja.Value, ok bool) {
	if !json.Valid(data) {
		return nil, false
	}
	p := argParser{rt: rt, b: data}
	v, err := p.value()
	if err != nil {
		return nil, false
	}
	return v, true
}

type argParser struct {
	rt *goja.Runtime
	b  []byte
	i  int
}

var errArgSyntax = errors.New("jsvm: unexpected JSON")

func (p *argParser) skip() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *argParser) value() (goja.Value, error) {
	p.skip()
	if p.i >= len(p.b) {
		return nil, errArgSyntax
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		obj := p.rt.NewObject()
		for {
			p.skip()
			if p.b[p.i] == '}' {
				p.i++
				return obj, nil
			}
			if p.b[p.i] == ',' {
				p.i++
				p.skip()
			}
			key, err := p.str()
			if err != nil {
				return nil, err
			}
			p.skip()
			p.i++ // ':'
			val, err := p.value()
			if err != nil {
				return nil, err
			}
			if err := obj.DefineDataProperty(key, val, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_TRUE); err != nil {
				return nil, err
			}
		}
	case c == '[':
		p.i++
		var vals []any
		for {
			p.skip()
			if p.b[p.i] == ']' {
				p.i++
				return p.rt.NewArray(vals...), nil
			}
			if p.b[p.i] == ',' {
				p.i++
			}
			val, err := p.value()
			if err != nil {
				return nil, err
			}
			vals = append(vals, val)
		}
	case c == '"':
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		return p.rt.ToValue(s), nil
	case c == 't':
		p.i += 4
		return p.rt.ToValue(true), nil
	case c == 'f':
		p.i += 5
		return p.rt.ToValue(false), nil
	case c == 'n':
		p.i += 4
		return goja.Null(), nil
	default:
		start := p.i
		for p.i < len(p.b) {
			c := p.b[p.i]
			if c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' || (c >= '0' && c <= '9') {
				p.i++
				continue
			}
			break
		}
		f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
		if err != nil {
			// Out of range: leave it to JSON.parse.
			return nil, err
		}
		return p.rt.ToValue(f), nil
	}
}

// str reads a string token; one with escapes or non-UTF-8 bytes is decoded
// by encoding/json, as goja's JSON.parse does.
func (p *argParser) str() (string, error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", errArgSyntax
	}
	start := p.i
	p.i++
	simple := true
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c == '"':
			p.i++
			raw := p.b[start+1 : p.i-1]
			if simple && utf8.Valid(raw) {
				return string(raw), nil
			}
			var s string
			err := json.Unmarshal(p.b[start:p.i], &s)
			return s, err
		case c == '\\':
			simple = false
			p.i += 2
		default:
			p.i++
		}
	}
	return "", errArgSyntax
}
