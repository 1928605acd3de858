package e2e

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// TestNodeSDKActions drives /api/v2/actions through the real binary with
// the official Auth0 Node SDK (auth0@4, unmodified): every
// ManagementClient.actions.* method, from create to a forced delete of a
// bound Action (issue 17).
func TestNodeSDKActions(t *testing.T) {
	out := runNodeSDK(t, "actions.js")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("SDK results: %s", out)
		}
	})
	type failure struct {
		StatusCode int    `json:"statusCode"`
		Message    string `json:"message"`
	}
	type version struct {
		ID       string         `json:"id"`
		ActionID string         `json:"action_id"`
		Number   int            `json:"number"`
		Code     string         `json:"code"`
		Deployed bool           `json:"deployed"`
		Status   string         `json:"status"`
		Action   map[string]any `json:"action"`
	}
	type action struct {
		ID                 string           `json:"id"`
		Name               string           `json:"name"`
		Code               string           `json:"code"`
		Runtime            string           `json:"runtime"`
		Status             string           `json:"status"`
		AllChangesDeployed bool             `json:"all_changes_deployed"`
		SupportedTriggers  []map[string]any `json:"supported_triggers"`
		Secrets            []map[string]any `json:"secrets"`
		DeployedVersion    *version         `json:"deployed_version"`
	}
	type page struct {
		Total    int       `json:"total"`
		Page     int       `json:"page"`
		PerPage  int       `json:"per_page"`
		Actions  []action  `json:"actions"`
		Versions []version `json:"versions"`
		Bindings []struct {
			ID          string `json:"id"`
			TriggerID   string `json:"trigger_id"`
			DisplayName string `json:"display_name"`
			Action      action `json:"action"`
		} `json:"bindings"`
	}
	var res struct {
		Triggers struct {
			Triggers []map[string]any `json:"triggers"`
		} `json:"triggers"`
		Created struct {
			Status int    `json:"status"`
			Data   action `json:"data"`
		} `json:"created"`
		Duplicate, BadCode, UnknownExecution, DeleteBound, NotFound *failure
		Got, Updated, AfterRollback                                 action
		List, DeployedBefore, Versions                              page
		Version                                                     version
		Deploy1, Deploy2, Rollback                                  struct {
			Status int     `json:"status"`
			Data   version `json:"data"`
		}
		Bind, Bindings, BindingsAfter page
		Test                          struct {
			Payload map[string]any `json:"payload"`
		} `json:"test"`
		Deleted    int    `json:"deleted"`
		TokenClaim string `json:"tokenClaim"`
		LogID      string `json:"logId"`
		Execution  struct {
			ID        string           `json:"id"`
			TriggerID string           `json:"trigger_id"`
			Status    string           `json:"status"`
			Results   []map[string]any `json:"results"`
			CreatedAt string           `json:"created_at"`
			UpdatedAt string           `json:"updated_at"`
		} `json:"execution"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("script output: %v\n%s", err, out)
	}

	ids := map[string]string{}
	for _, tr := range res.Triggers.Triggers {
		ids[tr["id"].(string)] = tr["version"].(string)
	}
	if ids["credentials-exchange"] != "v2" || ids["post-login"] != "v3" {
		t.Errorf("getAllTriggers: %v", res.Triggers)
	}
	c := res.Created
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	if c.Status != 201 || !uuid.MatchString(c.Data.ID) || c.Data.Name != "sdk-action" || c.Data.Status != "built" || c.Data.Runtime != "node22" ||
		len(c.Data.Secrets) != 1 || c.Data.Secrets[0]["name"] != "KEY" || c.Data.Secrets[0]["value"] != nil {
		t.Fatalf("create: %+v", c)
	}
	// The secret's value appears twice: in the claims the test run and
	// the token request set from it, never in a read.
	if n := strings.Count(string(out), "sdk-secret"); n != 2 {
		t.Fatalf("a secret value came back (%d times)", n)
	}
	if res.Duplicate == nil || res.Duplicate.StatusCode != 409 {
		t.Errorf("duplicate name: %+v", res.Duplicate)
	}
	if res.BadCode == nil || res.BadCode.StatusCode != 400 || !strings.Contains(res.BadCode.Message, "line 2, column") {
		t.Errorf("code that does not compile: %+v", res.BadCode)
	}
	if res.Got.ID != c.Data.ID || res.List.Total != 1 || len(res.List.Actions) != 1 || res.List.PerPage != 10 || res.DeployedBefore.Total != 0 {
		t.Errorf("get / getAll: %+v / %+v / %+v", res.Got, res.List, res.DeployedBefore)
	}
	if res.Deploy1.Status != 202 || res.Deploy1.Data.Number != 1 || !res.Deploy1.Data.Deployed || res.Deploy1.Data.ActionID != c.Data.ID {
		t.Errorf("deploy: %+v", res.Deploy1)
	}
	if res.Updated.AllChangesDeployed || !strings.Contains(res.Updated.Code, "'two:'") || res.Updated.DeployedVersion == nil || res.Updated.DeployedVersion.Number != 1 {
		t.Errorf("update: %+v", res.Updated)
	}
	if res.Deploy2.Status != 202 || res.Deploy2.Data.Number != 2 {
		t.Errorf("second deploy: %+v", res.Deploy2)
	}
	if res.Versions.Total != 2 || len(res.Versions.Versions) != 2 || res.Versions.Versions[0].Number != 2 || res.Versions.Versions[1].Deployed {
		t.Errorf("getVersions: %+v", res.Versions)
	}
	if res.Version.ID != res.Deploy1.Data.ID || !strings.Contains(res.Version.Code, "'one:'") {
		t.Errorf("getVersion: %+v", res.Version)
	}
	if res.Rollback.Status != 202 || res.Rollback.Data.Number != 3 || !strings.Contains(res.Rollback.Data.Code, "'one:'") {
		t.Errorf("deployVersion (rollback): %+v", res.Rollback)
	}
	if dv := res.AfterRollback.DeployedVersion; dv == nil || dv.Number != 3 || !strings.Contains(res.AfterRollback.Code, "'two:'") {
		t.Errorf("after the rollback: %+v", res.AfterRollback)
	}
	if len(res.Bind.Bindings) != 1 || res.Bind.Bindings[0].DisplayName != "SDK action" || res.Bind.Bindings[0].Action.ID != c.Data.ID {
		t.Errorf("updateTriggerBindings: %+v", res.Bind)
	}
	if res.Bindings.Total != 1 || len(res.Bindings.Bindings) != 1 || res.Bindings.Bindings[0].TriggerID != "credentials-exchange" {
		t.Errorf("getTriggerBindings: %+v", res.Bindings)
	}
	// The draft ("two") runs in the test with the Action's secret.
	claims, _ := res.Test.Payload["result"].(map[string]any)["accessToken"].(map[string]any)["customClaims"].(map[string]any)
	if claims["https://example.com/v"] != "two:sdk-secret" {
		t.Errorf("test: %v", res.Test)
	}
	if res.UnknownExecution == nil || res.UnknownExecution.StatusCode != 404 {
		t.Errorf("getExecution of an unknown id: %+v", res.UnknownExecution)
	}
	// The token request ran the deployed (rolled-back) version; its log
	// event is the execution.
	if res.TokenClaim != "one:sdk-secret" {
		t.Errorf("token claim %q", res.TokenClaim)
	}
	ex := res.Execution
	if ex.ID != res.LogID || ex.TriggerID != "credentials-exchange" || ex.Status != "final" || len(ex.Results) != 1 ||
		ex.Results[0]["action_name"] != "sdk-action" || ex.Results[0]["error"] != nil || ex.CreatedAt == "" || ex.UpdatedAt == "" {
		t.Errorf("getExecution: %+v", ex)
	}
	if res.DeleteBound == nil || res.DeleteBound.StatusCode != 409 || res.Deleted != 204 || res.NotFound == nil || res.NotFound.StatusCode != 404 {
		t.Errorf("delete: bound %+v, forced %d, then %+v", res.DeleteBound, res.Deleted, res.NotFound)
	}
	if res.BindingsAfter.Total != 0 {
		t.Errorf("bindings after the forced delete: %+v", res.BindingsAfter)
	}
}
