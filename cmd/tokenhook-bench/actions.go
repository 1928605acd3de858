//go:build linux

package main

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// The Actions pair (issue 17): the same two claims set by a
// credentials-exchange Hook and by a credentials-exchange Action, on one
// server, in rounds of a Hook row and an Action row: the machine's other
// load moves both rows of a round together. A server's CPU per token also
// can drift as it runs (its tenant log grows, for one), which would charge the
// later row of every round; so the rounds alternate which row goes first
// (Hook-Action, Action-Hook, ...) and the mean of the rounds' differences,
// where the drift cancels, is weighed against the target (the Action at
// most +0.05 ms of CPU per token above the Hook).

// twoClaimsHook is the Hook of the pair: it keeps the scopes and adds the
// two claims.
const twoClaimsHook = `module.exports = function (client, scope, audience, context, cb) {
  var access_token = { scope: scope };
  access_token['https://example.com/plan'] = client.metadata.plan || 'free';
  access_token['https://example.com/tenant'] = client.tenant;
  cb(null, access_token);
};`

// twoClaimsAction is the Action of the pair: the same claims, written as
// Auth0's migration guide turns the Hook into an Action.
const twoClaimsAction = `exports.onExecuteCredentialsExchange = async (event, api) => {
  api.accessToken.setCustomClaim('https://example.com/plan', event.client.metadata.plan || 'free');
  api.accessToken.setCustomClaim('https://example.com/tenant', event.tenant.id);
};`

// actionTarget is how much more CPU per token the Action may cost than
// the equivalent Hook.
const actionTarget = 50 * time.Microsecond

// actionRounds is how many Hook/Action row pairs the bench runs: even, so
// that each order runs as often.
const actionRounds = 4

type actionsBench struct {
	srv      *server
	hookID   string
	actionID string
	diffs    []time.Duration // each round's Action minus Hook CPU per token
}

// scenarios are the rounds' rows: "hook two claims", "action two claims",
// then the same with " r2", " r3".
func (a *actionsBench) scenarios() []scenario {
	var list []scenario
	for round := 1; round <= actionRounds; round++ {
		suffix := ""
		if round > 1 {
			suffix = fmt.Sprintf(" r%d", round)
		}
		hookRow, actionRow := "hook two claims"+suffix, "action two claims"+suffix
		compare := func(perToken map[string]time.Duration) { a.compare(perToken, hookRow, actionRow) }
		if round%2 == 1 {
			list = append(list, scenario{name: hookRow, setup: a.hook}, scenario{name: actionRow, setup: a.action, after: compare})
		} else {
			list = append(list, scenario{name: actionRow, setup: a.action}, scenario{name: hookRow, setup: a.hook, after: compare})
		}
	}
	return list
}

// hook makes the pair's Hook the point's only enabled hook and unbinds the
// Action, so the row measures the Hook alone.
func (a *actionsBench) hook() error {
	if err := a.srv.mgmt("PATCH", "actions/triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{}}); err != nil {
		return err
	}
	if a.hookID == "" {
		h, err := a.srv.mgmtJSON("POST", "hooks", map[string]any{"name": "bench-two-claims", "script": twoClaimsHook,
			"triggerId": "credentials-exchange", "enabled": true})
		if err != nil {
			return err
		}
		a.hookID, _ = h["id"].(string)
	} else if err := a.srv.mgmt("PATCH", "hooks/"+a.hookID, map[string]any{"enabled": true}); err != nil {
		return err
	}
	return a.checkClaims()
}

// action disables the pair's Hook and binds the Action (created, built and
// deployed the first time), so the row measures the Action alone.
func (a *actionsBench) action() error {
	if a.hookID != "" {
		if err := a.srv.mgmt("PATCH", "hooks/"+a.hookID, map[string]any{"enabled": false}); err != nil {
			return err
		}
	}
	if a.actionID == "" {
		id, err := a.deployAction()
		if err != nil {
			return err
		}
		a.actionID = id
	}
	if err := a.srv.mgmt("PATCH", "actions/triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]string{"type": "action_id", "value": a.actionID}, "display_name": "two claims"}}}); err != nil {
		return err
	}
	return a.checkClaims()
}

// deployAction creates the pair's Action, waits for its build and deploys
// it.
func (a *actionsBench) deployAction() (string, error) {
	act, err := a.srv.mgmtJSON("POST", "actions/actions", map[string]any{"name": "bench-two-claims", "code": twoClaimsAction,
		"runtime": "node22", "supported_triggers": []map[string]string{{"id": "credentials-exchange", "version": "v2"}}})
	if err != nil {
		return "", err
	}
	id, _ := act["id"].(string)
	for deadline := time.Now().Add(time.Minute); act["status"] != "built"; {
		if act["status"] == "failed" || time.Now().After(deadline) {
			return "", fmt.Errorf("action build: %v", act["status"])
		}
		time.Sleep(20 * time.Millisecond)
		if act, err = a.srv.mgmtJSON("GET", "actions/actions/"+id, nil); err != nil {
			return "", err
		}
	}
	return id, a.srv.mgmt("POST", "actions/actions/"+id+"/deploy", nil)
}

// checkClaims makes sure the row measures a token that has both claims.
func (a *actionsBench) checkClaims() error {
	tok, err := a.srv.token(a.srv.clientID, a.srv.clientSecret, a.srv.audience)
	if err != nil {
		return err
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if !strings.Contains(string(payload), "https://example.com/plan") || !strings.Contains(string(payload), "https://example.com/tenant") {
		return fmt.Errorf("the claims are not in the token: %s", payload)
	}
	return nil
}

// compare prints a round's Action row against its Hook row and, after
// the last round, the median of the rounds' differences against the
// target.
func (a *actionsBench) compare(perToken map[string]time.Duration, hookRow, actionRow string) {
	h, okH := perToken[hookRow]
	act, okA := perToken[actionRow]
	if !okH || !okA {
		return
	}
	a.diffs = append(a.diffs, act-h)
	fmt.Printf("%-22s %-10s Action %+.3f ms CPU/token vs the Hook in this round\n", "  action vs hook", "", ms(act-h))
	if len(a.diffs) < actionRounds {
		return
	}
	var sum time.Duration
	for _, d := range a.diffs {
		sum += d
	}
	mean := sum / time.Duration(len(a.diffs))
	verdict := "met"
	if mean > actionTarget {
		verdict = "NOT met"
	}
	fmt.Printf("%-22s %-10s mean of %d rounds in alternating order %+.3f ms CPU/token (target at most +%.3f ms: %s)\n", "  action vs hook", "",
		len(a.diffs), ms(mean), ms(actionTarget), verdict)
}
