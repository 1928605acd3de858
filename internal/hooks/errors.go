package hooks

import (
	"context"
	"errors"

	"github.com/tokenhook/tokenhook/internal/hooks/sandbox"
	"github.com/tokenhook/tokenhook/internal/oauth"
)

// Descriptions Auth0 used for engine failures (compat-spec §3.5).
const (
	timeoutDescription = "Request to Webtask exceeded allowed execution time"
	compileDescription = "Unable to compile the extensibility code as javascript"
)

// scriptError maps what a script failed with (cb(err), a throw, a
// rejection) to the OAuth error of its point (compat-spec §3.5).
func scriptError(p *Point, e *sandbox.HookError) *oauth.Error {
	msg := e.Message
	switch e.Name {
	case "InvalidScopeError":
		return oauth.InvalidScope(msg)
	case "InvalidRequestError":
		return oauth.InvalidRequest(msg)
	case "ServerError":
		return oauth.ServerError(msg, nil)
	case "PreUserRegistrationError":
		if p.ID == PreUserRegistration {
			return preUserRegistrationError(e)
		}
	}
	return p.plainError(msg)
}

// engineError maps an engine failure. Only the timeout and compile texts
// are Auth0's; the others say what happened without internals.
func engineError(err error) *oauth.Error {
	var ce *sandbox.CompileError
	switch {
	case errors.As(err, &ce):
		return oauth.ServerError(compileDescription, err)
	case errors.Is(err, sandbox.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return oauth.ServerError(timeoutDescription, err)
	case errors.Is(err, sandbox.ErrMemory):
		return oauth.ServerError("The hook exceeded its memory limit", err)
	case errors.Is(err, sandbox.ErrTooLarge):
		return oauth.ServerError("The hook's response is too large", err)
	default:
		return oauth.ServerError("The hook could not be run", err)
	}
}
