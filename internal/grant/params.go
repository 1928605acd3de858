package grant

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
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
	switch ct {
	case "application/x-www-form-urlencoded":
		return parseForm(body)
	case "application/json":
		return parseJSON(body)
	default:
		return nil, errors.New("Content-Type must be application/x-www-form-urlencoded or application/json")
	}
}

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

func parseJSON(body []byte) (params, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, errors.New("Request body is not a valid JSON object")
	}
	p := make(params, len(raw))
	for k, v := range raw {
		if string(v) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("Parameter '%s' must be a string", k)
		}
		p[k] = s
	}
	return p, nil
}
