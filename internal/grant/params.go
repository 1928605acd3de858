package grant

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// MaxBodyBytes bounds a token request body.
const MaxBodyBytes = 64 << 10

// params are the request's parameters, from a form or a JSON object.
type params map[string]string

// parseParams reads the body once, as RFC 6749 §4.4.2 form parameters or,
// as Auth0 also accepts, a flat JSON object of strings.
func parseParams(r *http.Request) (params, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil && r.Header.Get("Content-Type") != "" {
		return nil, errors.New("Content-Type header is not valid")
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, fmt.Errorf("Request body is too large (limit %d bytes)", MaxBodyBytes)
		}
		return nil, errors.New("Request body could not be read")
	}
	var p params
	switch ct {
	case "application/x-www-form-urlencoded":
		p, err = parseForm(body)
	case "application/json":
		p, err = parseJSON(body)
	default:
		return nil, errors.New("Content-Type must be application/x-www-form-urlencoded or application/json")
	}
	if err != nil {
		return nil, err
	}
	// Every parameter may reach storage (a username is looked up, a
	// client_id logged) and a hook: refuse bytes no database text holds
	// here, once, rather than let PostgreSQL answer them with an error.
	for k, v := range p {
		if !isText(k) {
			return nil, errors.New("Parameter names must be valid UTF-8 without NUL characters")
		}
		if !isText(v) {
			return nil, fmt.Errorf("Parameter '%s' must be valid UTF-8 without NUL characters", k)
		}
	}
	return p, nil
}

// isText reports whether s is valid UTF-8 without NUL.
func isText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

func parseForm(body []byte) (params, error) {
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errors.New("Request body is not a valid form")
	}
	p := make(params, len(values))
	for k, v := range values {
		// RFC 6749 §3.2: parameters must not be included more than once.
		if len(v) > 1 {
			return nil, fmt.Errorf("Parameter '%s' must not be repeated", k)
		}
		p[k] = v[0]
	}
	return p, nil
}

// parseJSON reads a flat JSON object of strings (null means absent). A
// key given twice is refused like a repeated form field (RFC 6749 §3.2):
// encoding/json would silently keep the last, so a proxy or WAF that
// reads the first would see a different request than this server.
func parseJSON(body []byte) (params, error) {
	errInvalid := errors.New("Request body is not a valid JSON object")
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errInvalid
	}
	p := params{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errInvalid
		}
		k, ok := tok.(string)
		if !ok {
			return nil, errInvalid
		}
		if seen[k] {
			return nil, fmt.Errorf("Parameter '%s' must not be repeated", k)
		}
		seen[k] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errInvalid
		}
		if string(v) == "null" {
			continue
		}
		var str string
		if err := json.Unmarshal(v, &str); err != nil {
			return nil, fmt.Errorf("Parameter '%s' must be a string", k)
		}
		p[k] = str
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, errInvalid
	}
	// Nothing but white space may follow the object, as json.Unmarshal
	// requires.
	if _, err := dec.Token(); err != io.EOF {
		return nil, errInvalid
	}
	return p, nil
}
