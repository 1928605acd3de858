package mgmt

import (
	"net/http"

	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/token"
)

// tenantSettingsJSON carries the settings this server implements. Auth0
// has many more; they are rejected on PATCH rather than silently ignored
// so nobody believes a setting took effect.
type tenantSettingsJSON struct {
	FriendlyName     string `json:"friendly_name"`
	DefaultAudience  string `json:"default_audience"`
	DefaultDirectory string `json:"default_directory"`
}

type tenantSettingsIn struct {
	FriendlyName     *string `json:"friendly_name"`
	DefaultAudience  *string `json:"default_audience"`
	DefaultDirectory *string `json:"default_directory"`
}

const maxSettingLen = 255

func tenantSettingsOut(s storage.TenantSettings) tenantSettingsJSON {
	return tenantSettingsJSON{FriendlyName: s.FriendlyName, DefaultAudience: s.DefaultAudience, DefaultDirectory: s.DefaultDirectory}
}

func (a *API) getTenantSettings(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	q, err := parseQuery(r, getParams)
	if err != nil {
		return err
	}
	s, err := a.d.Store.GetTenantSettings(r.Context(), a.d.Tenant)
	if err != nil {
		return err
	}
	return writeOne(w, http.StatusOK, tenantSettingsOut(s), q.sel)
}

// updateTenantSettings merges: properties not sent keep their value; an
// empty string clears one (as on Auth0, e.g. default_audience: "").
func (a *API) updateTenantSettings(w http.ResponseWriter, r *http.Request, _ token.Claims) error {
	var in tenantSettingsIn
	if err := decodeWrite(w, r, &in); err != nil {
		return err
	}
	for name, v := range map[string]*string{"friendly_name": in.FriendlyName, "default_audience": in.DefaultAudience, "default_directory": in.DefaultDirectory} {
		if v != nil && len(*v) > maxSettingLen {
			return errBodyOn(name, "String is too long (%d chars), maximum %d", len(*v), maxSettingLen)
		}
	}
	s, err := a.d.Store.UpdateTenantSettings(r.Context(), a.d.Tenant, func(s storage.TenantSettings) (storage.TenantSettings, error) {
		if in.FriendlyName != nil {
			s.FriendlyName = *in.FriendlyName
		}
		if in.DefaultAudience != nil {
			s.DefaultAudience = *in.DefaultAudience
		}
		if in.DefaultDirectory != nil {
			s.DefaultDirectory = *in.DefaultDirectory
		}
		s.UpdatedAt = a.d.Now()
		return s, nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tenantSettingsOut(s))
	return nil
}
