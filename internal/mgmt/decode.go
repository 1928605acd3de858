package mgmt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxBody bounds every request body: the largest legitimate one (a hook
// script, later) is far below it, and reading stops there.
const maxBody = 1 << 20

// decodeWrite reads the request of a write route that takes no query
// parameters: any parameter is a 400, then the body as decodeBody reads it.
func decodeWrite(w http.ResponseWriter, r *http.Request, dst any) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	return decodeBody(w, r, dst)
}

// decodeBody reads a JSON or form body into dst (a pointer to a struct with
// json tags) strictly: unknown properties are a 400, as on Auth0 (compat-spec
// §4), and property names match exactly (encoding/json alone would accept
// "NAME" for "name"). An empty body decodes as {} so that required-property
// checks, not a parse error, tell the caller what is missing.
func decodeBody(w http.ResponseWriter, r *http.Request, dst any) error {
	raw, form, err := readBody(w, r)
	if err != nil {
		return err
	}
	if form {
		if raw, err = formToJSON(raw, reflect.TypeOf(dst).Elem()); err != nil {
			return err
		}
	}
	return decodeJSON(raw, dst)
}

// readBody reads a size-limited body of an accepted media type. An empty
// body reads as "{}"; form reports an application/x-www-form-urlencoded
// body, which the caller converts.
func readBody(w http.ResponseWriter, r *http.Request) (raw []byte, form bool, err error) {
	raw, err = io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, false, newErrorf(http.StatusRequestEntityTooLarge, codeTooLarge,
				"Payload content length greater than maximum allowed: %d", maxBody)
		}
		return nil, false, newError(http.StatusBadRequest, codeInvalidBody, "Could not read the request body")
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return []byte("{}"), false, nil
	}
	ct := r.Header.Get("Content-Type")
	mt, _, perr := mime.ParseMediaType(ct)
	switch {
	case ct == "" || perr != nil:
		return nil, false, newError(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"Unsupported Media Type: send application/json or application/x-www-form-urlencoded")
	case mt == "application/json":
		if !utf8.Valid(raw) || hasNULEscape(raw) {
			return nil, false, errNotText
		}
		return raw, false, nil
	case mt == "application/x-www-form-urlencoded":
		if vals, err := url.ParseQuery(string(raw)); err == nil {
			for k, vs := range vals {
				if !storable(k) {
					return nil, false, errNotText
				}
				for _, v := range vs {
					if !storable(v) {
						return nil, false, errNotText
					}
				}
			}
		}
		return raw, true, nil
	default:
		return nil, false, newErrorf(http.StatusUnsupportedMediaType, codeUnsupportedMedia,
			"Unsupported Media Type: %s (send application/json or application/x-www-form-urlencoded)", mt)
	}
}

// errNotText refuses a body whose strings no database column can hold as
// they are: invalid UTF-8, or NUL (which PostgreSQL text refuses, and
// which SQLite would store silently).
var errNotText = newError(http.StatusBadRequest, codeInvalidBody, "Payload validation error: 'strings must be valid UTF-8 without NUL characters'.")

// storable reports whether s is valid UTF-8 without NUL.
func storable(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// hasNULEscape reports whether JSON text raw has a \u0000 escape (a raw
// NUL inside a string is invalid JSON already).
func hasNULEscape(raw []byte) bool {
	for i := 0; i < len(raw)-1; i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] == 'u' && bytes.HasPrefix(raw[i+2:], []byte("0000")) {
			return true
		}
		i++ // the escaped character, which may be a backslash
	}
	return false
}

func decodeJSON(raw []byte, dst any) error {
	if !json.Valid(raw) {
		return newError(http.StatusBadRequest, codeInvalidBody, "Invalid request payload JSON format")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return errBody("Expected type object but found type %s", jsonKind(raw))
	}
	known := jsonFields(reflect.TypeOf(dst).Elem())
	for k := range top {
		if _, ok := known[k]; !ok {
			return errBody("Additional properties not allowed: %s", k)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errBodyOn(te.Field, "Expected type %s but found type %s", goKind(te.Type), te.Value)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return errBody("Additional properties not allowed: %s", strings.Trim(f, `"`))
		}
		return newError(http.StatusBadRequest, codeInvalidBody, "Invalid request payload JSON format")
	}
	return nil
}

// nullable is a PATCH property Auth0 lets be null: Set tells a property
// that was sent from one that was absent (kept as it is), and Value is nil
// when it was sent as null (removed).
type nullable[T any] struct {
	Set   bool
	Value *T
}

// UnmarshalJSON is called for null too (encoding/json does so for a
// non-pointer field), which is what tells null from absent.
func (n *nullable[T]) UnmarshalJSON(b []byte) error {
	n.Set, n.Value = true, nil
	if string(b) == "null" {
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.Value = &v
	return nil
}

// formType is the type a form value of this property converts to.
func (nullable[T]) formType() reflect.Type { return reflect.TypeFor[T]() }

// errBodyOn is Auth0's "Payload validation error: '<msg>' on property <p>."
func errBodyOn(prop, format string, args ...any) *apiError {
	return newErrorf(http.StatusBadRequest, codeInvalidBody,
		"Payload validation error: '%s' on property %s.", fmt.Sprintf(format, args...), prop)
}

// jsonFields maps a struct's JSON property names to their field types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	if t.Kind() != reflect.Struct {
		return out
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// formToJSON turns a form body into the JSON the same struct would accept,
// guided by the struct's field types because a form carries only strings:
// booleans and integers are parsed, repeated keys (or "key[]") make arrays,
// "key[sub]" makes a string map. Keys the struct does not know are passed
// through so the strict JSON step rejects them with the usual message.
func formToJSON(raw []byte, t reflect.Type) ([]byte, error) {
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, newError(http.StatusBadRequest, codeInvalidBody, "Invalid request payload form format")
	}
	fields := jsonFields(t)
	obj := map[string]any{}
	for key, vals := range form {
		name, sub, isMap := strings.Cut(key, "[")
		if isMap {
			sub = strings.TrimSuffix(sub, "]")
		}
		ft, ok := fields[name]
		if !ok {
			obj[key] = vals
			continue
		}
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if n, ok := reflect.Zero(ft).Interface().(interface{ formType() reflect.Type }); ok {
			ft = n.formType()
		}
		if isMap && sub != "" {
			if ft.Kind() != reflect.Map {
				return nil, errBodyOn(name, "Expected type %s but found type object", goKind(ft))
			}
			m, _ := obj[name].(map[string]any)
			if m == nil {
				m = map[string]any{}
				obj[name] = m
			}
			m[sub] = vals[len(vals)-1]
			continue
		}
		switch ft.Kind() {
		case reflect.String:
			if len(vals) != 1 {
				return nil, errBodyOn(name, "Expected type string but found type array")
			}
			obj[name] = vals[0]
		case reflect.Bool:
			b, err := strconv.ParseBool(vals[len(vals)-1])
			if err != nil {
				return nil, errBodyOn(name, "Expected type boolean but found type string")
			}
			obj[name] = b
		case reflect.Int, reflect.Int64:
			n, err := strconv.Atoi(vals[len(vals)-1])
			if err != nil {
				return nil, errBodyOn(name, "Expected type integer but found type string")
			}
			obj[name] = n
		case reflect.Slice:
			if ft.Elem().Kind() != reflect.String {
				return nil, errBodyOn(name, "Arrays of objects cannot be sent as a form; use application/json")
			}
			// "key=" alone stands for an empty array.
			arr := []string{}
			for _, v := range vals {
				if v != "" {
					arr = append(arr, v)
				}
			}
			obj[name] = arr
		default:
			return nil, errBodyOn(name, "Expected type %s but found type string", goKind(ft))
		}
	}
	return json.Marshal(obj)
}

// goKind names a Go type the way JSON Schema (and Auth0's messages) do.
func goKind(t reflect.Type) string {
	if t == nil {
		return "unknown"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	default:
		return "object"
	}
}

// jsonKind names the JSON type of a valid JSON value.
func jsonKind(raw []byte) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "null"
	}
	switch raw[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}
