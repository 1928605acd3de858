package oauth

import (
	"fmt"
	"net/http"
)

// Grant types this server understands (compat-spec §2.1).
const (
	GrantClientCredentials = "client_credentials"
	GrantPassword          = "password"
	GrantPasswordRealm     = "http://auth0.com/oauth/grant-type/password-realm"
)

// Error is an OAuth2 error response. Description is shown to the client,
// so it never carries internals; Cause is for the server log only.
type Error struct {
	Status      int
	Code        string
	Description string
	// Basic is set when the client authenticated with HTTP Basic, so a 401
	// carries a WWW-Authenticate challenge (RFC 6749 §5.2).
	Basic bool
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Description, e.Cause)
	}
	return e.Code + ": " + e.Description
}

func (e *Error) Unwrap() error { return e.Cause }

// The catalogue of compat-spec §2.3. Constructors keep the exact texts in
// one place.

func MissingParameter(name string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: "Missing required parameter: " + name}
}

func InvalidRequest(description string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: description}
}

func UnsupportedGrantType(grant string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "unsupported_grant_type", Description: fmt.Sprintf("Grant type '%s' not allowed.", grant)}
}

// Unauthorized is the answer to an unknown client or a wrong secret: the
// same text either way, so it reveals nothing about which was wrong.
func Unauthorized(basic bool) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "access_denied", Description: "Unauthorized", Basic: basic}
}

func UnauthorizedClient(grant string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "unauthorized_client", Description: fmt.Sprintf("Grant type '%s' not allowed for the client.", grant)}
}

func UnknownAudience(audience string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "access_denied", Description: "Service not enabled within domain: " + audience}
}

func NoClientGrant(audience string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "access_denied", Description: fmt.Sprintf("Client is not authorized to access %q. You need to create a \"client-grant\" associated to this API.", audience)}
}

func InvalidScope(description string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_scope", Description: description}
}

func AccessDenied(description string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "access_denied", Description: description}
}

// ServerError is a 500. description must be safe to show; cause is logged.
func ServerError(description string, cause error) *Error {
	if description == "" {
		description = "Internal error"
	}
	return &Error{Status: http.StatusInternalServerError, Code: "server_error", Description: description, Cause: cause}
}

// WrongCredentials answers an unknown user and a wrong password alike
// (compat-spec §2.3), so the answer reveals neither.
func WrongCredentials() *Error {
	return &Error{Status: http.StatusForbidden, Code: "invalid_grant", Description: "Wrong email or password."}
}

// BlockedUser is the answer to a correct password of a user an
// administrator blocked.
func BlockedUser() *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Description: "user is blocked"}
}

// TooManyAttempts is the brute-force block of one user from one IP.
func TooManyAttempts() *Error {
	return &Error{Status: http.StatusTooManyRequests, Code: "too_many_attempts", Description: "Your account has been blocked after multiple consecutive login attempts."}
}

// UnknownRealm: the realm (connection) of a password-realm request does
// not exist. Auth0 answers a connection it does not know this way.
func UnknownRealm(realm string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Description: fmt.Sprintf("Unknown realm '%s'", realm)}
}
