package mgmt

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// apiError is an answer in Auth0's error shape (compat-spec §4):
// {"statusCode", "error", "message", "errorCode"}. Handlers return it as an
// error; errorWriter is the only place that turns errors into bodies.
type apiError struct {
	Status  int
	Code    string // errorCode
	Message string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

type errorBody struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode"`
}

// Error codes. Auth0 documents some (insufficient_scope, invalid_body,
// invalid_query_string, inexistent_*); the others are ours, in its style.
const (
	codeInvalidBody        = "invalid_body"
	codeInvalidQuery       = "invalid_query_string"
	codeInvalidURI         = "invalid_uri"
	codeInsufficientScope  = "insufficient_scope"
	codeInvalidToken       = "invalid_token"
	codeMissingAuth        = "missing_authentication"
	codeConflict           = "conflict"
	codeNotFound           = "not_found"
	codeMethodNotAllowed   = "method_not_allowed"
	codeTooLarge           = "payload_too_large"
	codeUnsupportedMedia   = "unsupported_media_type"
	codeOperationForbidden = "operation_not_supported"
	codeInternal           = "internal_error"
)

func newError(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

func newErrorf(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// errBody is a payload validation error, worded like Auth0's
// "Payload validation error: '...'".
func errBody(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, codeInvalidBody, "Payload validation error: '"+fmt.Sprintf(format, args...)+"'.")
}

// errQuery is a query string validation error.
func errQuery(format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, codeInvalidQuery, "Query validation error: '"+fmt.Sprintf(format, args...)+"'.")
}

func errConflict(msg string) *apiError { return newError(http.StatusConflict, codeConflict, msg) }

// notFoundAs maps storage.ErrNotFound to a 404 with the resource's own
// message and passes every other error through.
func notFoundAs(err error, nf *apiError) error {
	if errors.Is(err, storage.ErrNotFound) {
		return nf
	}
	return err
}

// conflictAs maps storage.ErrConflict to a 409 with msg.
func conflictAs(err error, msg string) error {
	if errors.Is(err, storage.ErrConflict) {
		return errConflict(msg)
	}
	return err
}

// writeError writes err in Auth0's shape. Anything that is not an *apiError
// is an internal failure: the client gets a generic 500, the detail goes to
// the server log (the caller logs it; bodies never carry internals).
func writeError(w http.ResponseWriter, err error) {
	var e *apiError
	if !errors.As(err, &e) {
		e = newError(http.StatusInternalServerError, codeInternal, "Internal error")
	}
	body, _ := json.Marshal(errorBody{
		StatusCode: e.Status,
		Error:      http.StatusText(e.Status),
		Message:    e.Message,
		ErrorCode:  e.Code,
	})
	setHeaders(w)
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
