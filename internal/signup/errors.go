package signup

import (
	"encoding/json"
	"net/http"
)

// apiError is an Authentication API error body. Description is a string
// except for a weak password, where Auth0 sends {rules, verified}.
type apiError struct {
	Name        string `json:"name"`
	Code        string `json:"code"`
	Description any    `json:"description"`
	StatusCode  int    `json:"statusCode"`
	// logText is what the tenant log records (the hook's internal message
	// for a refusing pre-user-registration hook); empty: the description.
	logText string
}

func badRequest(code, description string) *apiError {
	return &apiError{Name: "BadRequestError", Code: code, Description: description, StatusCode: http.StatusBadRequest}
}

// errExists is Auth0's answer for an email or username already taken: the
// same text as any other refused signup, so it says nothing more.
func errExists() *apiError { return badRequest("invalid_signup", "Invalid sign up") }

// rule is one rule of the password policy as Auth0 lists it.
type rule struct {
	Message  string `json:"message"`
	Format   []any  `json:"format,omitempty"`
	Code     string `json:"code"`
	Verified bool   `json:"verified"`
}

type passwordDescription struct {
	Rules    []rule `json:"rules"`
	Verified bool   `json:"verified"`
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.StatusCode == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "60")
	}
	writeJSON(w, e.StatusCode, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
