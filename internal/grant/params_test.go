package grant

import (
	"strings"
	"testing"
)

func TestParseJSON(t *testing.T) {
	ok := []struct {
		body string
		want params
	}{
		{`{"grant_type":"password","scope":null}`, params{"grant_type": "password"}},
		{` {"a":"x","b":"\u00e9"} ` + "\n", params{"a": "x", "b": "é"}},
		{`{}`, params{}},
		// Keys differing in case are different parameters.
		{`{"scope":"a","Scope":"b"}`, params{"scope": "a", "Scope": "b"}},
	}
	for _, c := range ok {
		got, err := parseJSON([]byte(c.body))
		if err != nil || len(got) != len(c.want) {
			t.Errorf("%s: %v, %v", c.body, got, err)
			continue
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: %q = %q, want %q", c.body, k, got[k], v)
			}
		}
	}
	bad := map[string]string{
		`{"client_id":"a","client_id":"b"}`: "Parameter 'client_id' must not be repeated",
		`{"audience":null,"audience":"x"}`:  "Parameter 'audience' must not be repeated",
		`{"a":1}`:                           "Parameter 'a' must be a string",
		`{"a":{"b":"c"}}`:                   "Parameter 'a' must be a string",
		`{"a":"x"} {"b":"y"}`:               "not a valid JSON object",
		`{"a":"x",}`:                        "not a valid JSON object",
		`["a"]`:                             "not a valid JSON object",
		`{"a":"x"`:                          "not a valid JSON object",
		`"a"`:                               "not a valid JSON object",
		``:                                  "not a valid JSON object",
	}
	for body, want := range bad {
		if _, err := parseJSON([]byte(body)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
}
