package mgmt

import (
	"crypto/sha1"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"strings"

	"github.com/tokenhook/tokenhook/internal/keys"
	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// signingKeyJSON is Auth0's signing key object. The private key never
// leaves the store through this API. Alg is beyond Auth0, whose keys are
// all RSA: the key's family as its JWKS entry names it (RS256 for an RSA
// key, which also signs PS256; ES256; EdDSA).
type signingKeyJSON struct {
	KID          string `json:"kid"`
	Alg          string `json:"alg"`
	Cert         string `json:"cert"`
	PKCS7        string `json:"pkcs7,omitempty"`
	Fingerprint  string `json:"fingerprint"`
	Thumbprint   string `json:"thumbprint"`
	Current      bool   `json:"current"`
	Next         bool   `json:"next"`
	Previous     bool   `json:"previous"`
	Revoked      bool   `json:"revoked"`
	CurrentSince string `json:"current_since,omitempty"`
	CurrentUntil string `json:"current_until,omitempty"`
	RevokedAt    string `json:"revoked_at,omitempty"`
}

func signingKeyOut(k storage.SigningKey) signingKeyJSON {
	sum := sha1.Sum(k.Cert) // Auth0's (and X.509 tooling's) certificate fingerprint
	hexSum := strings.ToUpper(hex.EncodeToString(sum[:]))
	pairs := make([]string, 0, len(sum))
	for i := 0; i < len(hexSum); i += 2 {
		pairs = append(pairs, hexSum[i:i+2])
	}
	return signingKeyJSON{
		KID:          k.KID,
		Alg:          keys.Family(k),
		Cert:         certPEM(k.Cert),
		PKCS7:        pkcs7PEM(k.Cert),
		Fingerprint:  strings.Join(pairs, ":"),
		Thumbprint:   hexSum,
		Current:      k.State == keys.StateCurrent,
		Next:         k.State == keys.StateNext,
		Previous:     k.State == keys.StatePrevious,
		Revoked:      k.State == keys.StateRevoked,
		CurrentSince: isoTimePtr(k.CurrentSince),
		CurrentUntil: isoTimePtr(k.CurrentUntil),
		RevokedAt:    isoTimePtr(k.RevokedAt),
	}
}

func certPEM(der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// pkcs7PEM wraps the certificate in a degenerate PKCS#7 SignedData (RFC
// 2315 §9.1: no content, no signers, one certificate), the form Auth0
// publishes next to the PEM certificate for tools that want a .p7b.
func pkcs7PEM(der []byte) string {
	emptySet := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true}
	signed, err := asn1.Marshal(struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		ContentInfo      struct{ ContentType asn1.ObjectIdentifier }
		Certificates     asn1.RawValue
		SignerInfos      asn1.RawValue
	}{
		Version:          1,
		DigestAlgorithms: emptySet,
		ContentInfo:      struct{ ContentType asn1.ObjectIdentifier }{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}},
		Certificates:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: der},
		SignerInfos:      emptySet,
	})
	if err != nil {
		return ""
	}
	outer, err := asn1.Marshal(struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue
	}{
		ContentType: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2},
		Content:     asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: signed},
	})
	if err != nil {
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: outer}))
}

var errNoSigningKey = newError(http.StatusNotFound, "inexistent_signing_key", "The signing key does not exist")

// certAndKID is the answer to rotate and revoke, as on Auth0.
type certAndKID struct {
	Cert string `json:"cert"`
	KID  string `json:"kid"`
}

func (a *API) listSigningKeys(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	set, err := a.d.Store.ListSigningKeys(r.Context(), a.d.Tenant)
	if err != nil {
		return err
	}
	out := make([]signingKeyJSON, len(set))
	for i, k := range set {
		out[i] = signingKeyOut(k)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) getSigningKey(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	set, err := a.d.Store.ListSigningKeys(r.Context(), a.d.Tenant)
	if err != nil {
		return err
	}
	for _, k := range set {
		if k.KID == r.PathValue("kid") {
			writeJSON(w, http.StatusOK, signingKeyOut(k))
			return nil
		}
	}
	return errNoSigningKey
}

func (a *API) rotateSigningKeys(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	if err := a.d.Keys.Rotate(r.Context()); err != nil {
		return err
	}
	set, err := a.d.Store.ListSigningKeys(r.Context(), a.d.Tenant)
	if err != nil {
		return err
	}
	// Auth0's answer names one key: the RSA one, which every tenant has
	// (ES256 and EdDSA keys rotated alongside are in GET /keys/signing).
	for _, k := range set {
		if k.State == keys.StateCurrent && keys.Family(k) == keys.AlgRS256 {
			writeJSON(w, http.StatusCreated, certAndKID{Cert: certPEM(k.Cert), KID: k.KID})
			return nil
		}
	}
	return keys.ErrNoCurrentKey
}

// revokeSigningKey revokes a previous key so tokens it signed stop
// verifying at once (Auth0 allows it only for the previous key: revoking
// the current or next key would stop token issuance).
func (a *API) revokeSigningKey(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	if _, err := parseQuery(r, noParams); err != nil {
		return err
	}
	kid := r.PathValue("kid")
	var revoked storage.SigningKey
	_, err := a.d.Store.UpdateSigningKeys(r.Context(), a.d.Tenant, func(set []storage.SigningKey) ([]storage.SigningKey, error) {
		for i := range set {
			if set[i].KID != kid {
				continue
			}
			if set[i].State != keys.StatePrevious {
				return nil, newErrorf(http.StatusBadRequest, codeOperationForbidden,
					"Only a previous signing key can be revoked (this one is %s)", set[i].State)
			}
			now := a.d.Now()
			set[i].State = keys.StateRevoked
			set[i].RevokedAt = &now
			revoked = set[i]
			return set, nil
		}
		return nil, errNoSigningKey
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, certAndKID{Cert: certPEM(revoked.Cert), KID: revoked.KID})
	return nil
}
