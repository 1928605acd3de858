package actions

import (
	"encoding/json"
	"reflect"
	"testing"
)

func BenchmarkBuildEvent(b *testing.B) {
	in := &Input{Tenant: "t", Client: Client{ClientID: "cid", Name: "M2M", Metadata: map[string]string{"tier": "gold"}},
		Audience: "https://api.example.com/", Requested: []string{"read:a"},
		Request: Request{IP: "10.0.0.1", Method: "POST", Host: "auth.example.com", UserAgent: "ua/1",
			Params: map[string]string{"grant_type": "client_credentials", "client_id": "cid", "client_secret": "s", "audience": "https://api.example.com/"}}}
	st := &state{scope: []string{"read:a"}}
	b.ReportAllocs()
	for range b.N {
		if _, err := buildEvent(CredentialsExchange, in, st, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFastEventMatches: the hand-written credentials-exchange event is
// the reference encoding, value for value, including text that needs
// escaping and invalid UTF-8.
func TestFastEventMatches(t *testing.T) {
	for _, in := range []*Input{
		{},
		{Tenant: "t<&>", Client: Client{ClientID: "c\"id", Name: "n\x00\xff", Metadata: map[string]string{"a": "1", "b\n": "2"}},
			Audience: "https://api/", Requested: []string{"a", "b"},
			Request: Request{IP: "::1", Host: "[::1]:8443", UserAgent: "ua\u2028", Language: "de;q=1",
				Params: map[string]string{"password": "p", "client_secret": "s", "x": "y\tz"}}},
	} {
		for _, st := range []*state{{}, {scope: []string{"s"}, accessClaims: map[string]json.RawMessage{"k": json.RawMessage(`{"a":[1,"<"]}`), "j": json.RawMessage(`null`)}}} {
			for _, secrets := range []map[string]string{nil, {"K": "v"}} {
				fast, err := buildEvent(CredentialsExchange, in, st, secrets)
				if err != nil {
					t.Fatal(err)
				}
				ref, err := credentialsExchangeEventJSON(in, st, secrets)
				if err != nil {
					t.Fatal(err)
				}
				var a, b any
				if err := json.Unmarshal(fast, &a); err != nil {
					t.Fatalf("hand-written event is not JSON: %v\n%s", err, fast)
				}
				json.Unmarshal(ref, &b)
				if !reflect.DeepEqual(a, b) {
					t.Fatalf("events differ:\nfast %s\nref  %s", fast, ref)
				}
			}
		}
	}
}
