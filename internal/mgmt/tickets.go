package mgmt

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tokenhook/tokenhook/internal/reset"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// Password-change tickets (Auth0's POST /tickets/password-change): a
// single-use, expiring link to the page internal/reset serves, for a
// password change without email delivery. Only the token's hash is stored.

const (
	// defaultTicketTTL is Auth0's default (5 days); maxTicketTTL bounds
	// what a caller may ask for.
	defaultTicketTTL = 432000
	maxTicketTTL     = 30 * 24 * 3600
	maxResultURL     = 2048
)

type ticketIn struct {
	UserID                 *string `json:"user_id"`
	Email                  *string `json:"email"`
	ConnectionID           *string `json:"connection_id"`
	ResultURL              *string `json:"result_url"`
	TTLSec                 *int    `json:"ttl_sec"`
	ClientID               *string `json:"client_id"`
	MarkEmailAsVerified    *bool   `json:"mark_email_as_verified"`
	IncludeEmailInRedirect *bool   `json:"includeEmailInRedirect"`
}

func (a *API) createPasswordTicket(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in ticketIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	if in.MarkEmailAsVerified != nil && *in.MarkEmailAsVerified || in.IncludeEmailInRedirect != nil && *in.IncludeEmailInRedirect {
		return errBody("mark_email_as_verified and includeEmailInRedirect are not supported by this server")
	}
	if in.ClientID != nil {
		if _, err := a.d.Store.GetClient(r.Context(), a.d.Tenant, *in.ClientID); err != nil {
			return notFoundAs(err, errBodyOn("client_id", "The client does not exist"))
		}
	}
	var (
		u   storage.User
		err error
	)
	switch {
	case in.UserID != nil && (in.Email != nil || in.ConnectionID != nil):
		return errBody("Give either user_id, or email and connection_id")
	case in.UserID != nil:
		if u, err = a.d.Store.GetUser(r.Context(), a.d.Tenant, *in.UserID); err != nil {
			return notFoundAs(err, errNoUser)
		}
	case in.Email != nil && in.ConnectionID != nil:
		if *in.ConnectionID != connectionID(a.d.Tenant) {
			return errNoConnectionID
		}
		if u, err = a.d.Store.GetUserByEmail(r.Context(), a.d.Tenant, storage.DatabaseConnection, *in.Email); err != nil {
			return notFoundAs(err, errNoUser)
		}
	case in.Email != nil:
		return errBody("Missing required property: connection_id")
	default:
		return errBody("Missing required property: user_id")
	}
	ttl := defaultTicketTTL
	if in.TTLSec != nil && *in.TTLSec != 0 {
		if *in.TTLSec < 0 || *in.TTLSec > maxTicketTTL {
			return errBodyOn("ttl_sec", "Must be between 0 and %d", maxTicketTTL)
		}
		ttl = *in.TTLSec
	}
	var result string
	if in.ResultURL != nil && *in.ResultURL != "" {
		result = *in.ResultURL
		p, err := url.Parse(result)
		if err != nil || len(result) > maxResultURL || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" ||
			strings.ContainsAny(result, "\r\n") {
			return errBodyOn("result_url", "Must be an absolute http(s) URL of at most %d characters", maxResultURL)
		}
	}
	tok, hash, err := reset.NewTicket(a.d.Rand)
	if err != nil {
		return err
	}
	now := a.d.Now()
	if err := a.d.Store.CreatePasswordTicket(r.Context(), storage.PasswordTicket{Tenant: a.d.Tenant, Hash: hash, UserID: u.UserID,
		ResultURL: result, ExpiresAt: now.Add(time.Duration(ttl) * time.Second), CreatedAt: now}); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"ticket": reset.URL(a.d.Issuer, tok)})
	return nil
}

// refuseEmailVerification answers Auth0's email verification routes
// (POST /tickets/email-verification, /jobs/verification-email): tokenhook
// sends no email and serves no verification page, so they are a 400
// operation_not_supported naming what is not supported and the way to mark
// an address verified, rather than a 404 a caller would take for a typo.
func (a *API) refuseEmailVerification(what string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
		if _, err := parseQuery(r, noParams); err != nil {
			return err
		}
		raw, form, err := readBody(w, r)
		if err != nil {
			return err
		}
		if !form && !json.Valid(raw) {
			return newError(http.StatusBadRequest, codeInvalidBody, "Invalid request payload JSON format")
		}
		return newErrorf(http.StatusBadRequest, codeOperationForbidden,
			"%s are not supported by this server (tokenhook): it sends no email; set email_verified with PATCH /api/v2/users/{id}", what)
	}
}
