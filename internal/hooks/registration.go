package hooks

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/oauth"
	"github.com/tokenhook/tokenhook/internal/storage"
)

// ExtensibilityCode is the error code of a signup a hook refused
// (compat-spec §3.7).
const ExtensibilityCode = "extensibility_error"

// ExtensibilityError refuses a signup: description is shown to the user,
// cause (the hook's internal message, when it gave one) goes to the log.
func ExtensibilityError(description string, cause error) *oauth.Error {
	return &oauth.Error{Status: http.StatusBadRequest, Code: ExtensibilityCode, Description: description, Cause: cause}
}

// preUserRegistrationError is PreUserRegistrationError(message,
// friendlyMessage): the runtimes pack both into the error's message
// (sandbox.PackFriendly).
func preUserRegistrationError(e *sandbox.HookError) *oauth.Error {
	msg, friendly := sandbox.UnpackFriendly(e.Message)
	return ExtensibilityError(friendly, errors.New(msg))
}

// registrationChanges reads {user: {user_metadata?, app_metadata?}};
// anything else in the response is ignored, and a response that is not an
// object (cb() included) changes nothing.
func registrationChanges(obj map[string]json.RawMessage) (Changes, *oauth.Error) {
	user, ok := object(obj["user"])
	if !ok {
		return Changes{}, nil
	}
	var c Changes
	for name, dst := range map[string]*map[string]any{"user_metadata": &c.User.UserMetadata, "app_metadata": &c.User.AppMetadata} {
		raw, present := user[name]
		if !present || string(raw) == "null" {
			continue
		}
		if json.Unmarshal(raw, dst) != nil || *dst == nil {
			return Changes{}, ExtensibilityError("The pre-user-registration hook returned "+name+" that is not an object", nil)
		}
		if err := storage.CheckMetadata(name, *dst); err != nil {
			return Changes{}, ExtensibilityError("The pre-user-registration hook's response: "+err.Error(), nil)
		}
	}
	return c, nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// ignoredResponse is the parse of the asynchronous points: their answer
// changes nothing (compat-spec §3.7) and is only shown by the test runner.
func ignoredResponse(obj map[string]json.RawMessage) (Changes, *oauth.Error) {
	return Changes{Response: obj}, nil
}

// responseView is the test runner's result at the asynchronous points:
// the hook's answer as it gave it (an empty object for cb()).
func responseView(c Changes, _ []string) map[string]any {
	out := make(map[string]any, len(c.Response))
	for k, v := range c.Response {
		out[k] = v
	}
	return out
}
