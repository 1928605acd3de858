package signup

import "net/http"

// ChangePassword serves POST /dbconnections/change_password. Auth0 answers
// "We've just sent you an email to reset your password." after sending the
// email; this server has no email sender, so it says so with a 501 rather
// than claim a success that never reaches the user. A password change
// without email goes through a ticket (POST /api/v2/tickets/password-change).
func ChangePassword(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeJSON(w, http.StatusMethodNotAllowed, &apiError{Name: "MethodNotAllowedError", Code: "method_not_allowed",
			Description: "Use POST", StatusCode: http.StatusMethodNotAllowed})
		return
	}
	writeJSON(w, http.StatusNotImplemented, &apiError{Name: "NotImplementedError", Code: "email_sender_not_configured",
		Description: "Password reset emails cannot be sent: this server has no email sender configured. " +
			"Create a password-change link with POST /api/v2/tickets/password-change instead.",
		StatusCode: http.StatusNotImplemented})
}
