package hooks

import (
	"context"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokenhook/tokenhook/internal/hooks/jsvm"
	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
)

// TestPointTable checks that every entry of the table is complete and
// agrees with itself: its starter code compiles and takes its arguments,
// its default payload fills every argument but context, and the starter
// run on the default payload issues the payload's scopes.
func TestPointTable(t *testing.T) {
	engine, err := jsvm.NewInProcess(sandbox.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	r := &Runner{Engine: engine}
	params := regexp.MustCompile(`module\.exports = function\(([^)]*)\)`)
	seen := map[string]bool{}
	for _, p := range Points() {
		t.Run(p.ID, func(t *testing.T) {
			if seen[p.ID] {
				t.Fatalf("duplicate id")
			}
			seen[p.ID] = true
			if p.Label == "" || len(p.Arguments) == 0 || p.build == nil || p.parse == nil || p.plainError == nil || p.result == nil {
				t.Fatalf("incomplete entry %+v", p)
			}
			if got, ok := Lookup(p.ID); !ok || got.ID != p.ID || !KnownTrigger(p.ID) {
				t.Fatalf("Lookup(%q) = %v, %v", p.ID, got, ok)
			}
			if err := Check(p.StarterCode); err != nil {
				t.Fatalf("starter code does not compile: %v", err)
			}
			m := params.FindStringSubmatch(p.StarterCode)
			if m == nil {
				t.Fatalf("starter code has no module.exports function")
			}
			var names []string
			for _, n := range strings.Split(m[1], ",") {
				names = append(names, strings.TrimSpace(n))
			}
			if want := append(append([]string{}, p.Arguments...), "cb"); !reflect.DeepEqual(names, want) {
				t.Fatalf("starter takes %v, the table says %v", names, want)
			}
			var payload map[string]json.RawMessage
			if err := json.Unmarshal(p.DefaultPayload, &payload); err != nil {
				t.Fatalf("default payload: %v", err)
			}
			for _, a := range p.Arguments {
				if _, ok := payload[a]; !ok && a != "context" {
					t.Errorf("default payload lacks %q", a)
				}
			}
			if string(DefaultPayload(p.ID)) != string(p.DefaultPayload) {
				t.Errorf("DefaultPayload(%q) is not the table's", p.ID)
			}
			rep, err := r.Test(context.Background(), p.ID, Script{Source: p.StarterCode}, nil)
			if err != nil || rep.Error != nil {
				t.Fatalf("starter on the default payload: %v %+v", err, rep.Error)
			}
			b, _ := json.Marshal(rep.Result)
			if !p.Sync {
				// The starter answers cb(): an ignored, empty response.
				if string(b) != "{}" {
					t.Fatalf("starter result %s, want {}", b)
				}
			} else if p.ID == PreUserRegistration {
				// The starter answers the user: its metadata are kept.
				if !strings.Contains(string(b), `"app_metadata":{"plan":"full"}`) {
					t.Fatalf("starter result %s does not keep the payload's metadata", b)
				}
			} else if !strings.Contains(string(b), `"scope":["read:connections"]`) {
				t.Fatalf("starter result %s does not keep the payload's scope", b)
			}
		})
	}
	if len(Triggers) != len(seen) {
		t.Fatalf("Triggers %v, table %v", Triggers, seen)
	}
	if _, ok := Lookup("send-phone-message"); ok {
		t.Fatal("a point that does not run here is in the table")
	}
}

// TestRunnerPayloadArguments checks that the runner builds each point's
// arguments by name from the payload, context last with the hook's
// secrets, and refuses what it cannot use.
func TestRunnerPayloadArguments(t *testing.T) {
	engine, err := jsvm.NewInProcess(sandbox.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer engine.Close()
	r := &Runner{Engine: engine}
	// The hook echoes its arguments, the context (last) reduced to what
	// the payload and the secrets put there.
	echo := `module.exports = function() {
  var a = Array.prototype.slice.call(arguments, 0, -1), cb = arguments[arguments.length-1];
  var ctx = a.pop();
  a.push({ip: ctx.ip, K: ctx.webtask.secrets.K});
  cb(null, {accessToken: {"https://x.example/args": a}, "https://x.example/args": a}); };`
	cases := []struct {
		trigger, payload, want string
	}{
		{CredentialsExchange, `{"client":{"id":"c"},"scope":["s"],"audience":"a","context":{"ip":"1.2.3.4"}}`,
			`[{"id":"c"},["s"],"a",{"ip":"1.2.3.4","K":"v"}]`},
		{PasswordExchange, `{"user":{"id":"u"},"client":{"id":"c"},"Audience":"a"}`,
			`[{"id":"u"},{"id":"c"},null,"a",{"ip":"","K":"v"}]`},
	}
	for _, c := range cases {
		rep, err := r.Test(context.Background(), c.trigger, Script{Source: echo, Secrets: map[string]string{"K": "v"}}, json.RawMessage(c.payload))
		if err != nil || rep.Error != nil {
			t.Fatalf("%s: %v %+v", c.trigger, err, rep.Error)
		}
		claims := rep.Result
		if c.trigger == PasswordExchange {
			claims = rep.Result["accessToken"].(map[string]any)
		}
		if got := string(claims["https://x.example/args"].(json.RawMessage)); got != c.want {
			t.Errorf("%s args\n got %s\nwant %s", c.trigger, got, c.want)
		}
	}
	for _, bad := range []string{`[1]`, `{"context":"x"}`, `"s"`} {
		if _, err := r.Test(context.Background(), CredentialsExchange, Script{Source: echo}, json.RawMessage(bad)); err == nil {
			t.Errorf("payload %s accepted", bad)
		}
	}
	if _, err := r.Test(context.Background(), "post-login", Script{Source: echo}, nil); err == nil {
		t.Error("unknown trigger accepted")
	}
}
