//go:build linux

package main

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// The Actions pair (issue 17): the same two claims set by a
// credentials-exchange Hook and by a credentials-exchange Action, one row
// each on one server, then the Action's extra CPU per token against the
// Hook's (target: at most +0.05 ms).

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

type actionsBench struct {
	srv    *server
	hookID string
}

// hook saves and enables the pair's Hook (the only enabled hook of the
// point from now on) and checks that it runs.
func (a *actionsBench) hook() error {
	h, err := a.srv.mgmtJSON("POST", "hooks", map[string]any{"name": "bench-two-claims", "script": twoClaimsHook,
		"triggerId": "credentials-exchange", "enabled": true})
	if err != nil {
		return err
	}
	a.hookID, _ = h["id"].(string)
	return a.checkClaims()
}

// action disables the pair's Hook, then creates, builds, deploys and binds
// the Action, so the row measures the Action alone.
func (a *actionsBench) action() error {
	if a.hookID != "" {
		if err := a.srv.mgmt("PATCH", "hooks/"+a.hookID, map[string]any{"enabled": false}); err != nil {
			return err
		}
	}
	act, err := a.srv.mgmtJSON("POST", "actions/actions", map[string]any{"name": "bench-two-claims", "code": twoClaimsAction,
		"runtime": "node22", "supported_triggers": []map[string]string{{"id": "credentials-exchange", "version": "v2"}}})
	if err != nil {
		return err
	}
	id, _ := act["id"].(string)
	for deadline := time.Now().Add(time.Minute); act["status"] != "built"; {
		if act["status"] == "failed" || time.Now().After(deadline) {
			return fmt.Errorf("action build: %v", act["status"])
		}
		time.Sleep(20 * time.Millisecond)
		if act, err = a.srv.mgmtJSON("GET", "actions/actions/"+id, nil); err != nil {
			return err
		}
	}
	if err := a.srv.mgmt("POST", "actions/actions/"+id+"/deploy", nil); err != nil {
		return err
	}
	if err := a.srv.mgmt("PATCH", "actions/triggers/credentials-exchange/bindings", map[string]any{"bindings": []any{
		map[string]any{"ref": map[string]string{"type": "action_id", "value": id}, "display_name": "two claims"}}}); err != nil {
		return err
	}
	return a.checkClaims()
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

// compareAction prints the Action row's CPU per token against the Hook
// row's, when both ran.
func compareAction(perToken map[string]time.Duration, hookRow, actionRow string) {
	h, okH := perToken[hookRow]
	a, okA := perToken[actionRow]
	if !okH || !okA {
		return
	}
	verdict := "met"
	if a-h > actionTarget {
		verdict = "NOT met"
	}
	fmt.Printf("%-22s %-10s Action %+.3f ms CPU/token vs the Hook (target at most +%.3f ms: %s)\n", "  action vs hook", "",
		ms(a-h), ms(actionTarget), verdict)
}
