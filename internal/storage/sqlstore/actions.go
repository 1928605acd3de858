package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// kindActions announces writes that change what the token path runs:
// bindings, deployed versions, and the names bound Actions run under.
// Caches read it whole (ListBoundActions), like hooks.
const kindActions = "actions"

// actionTriggerAttr and actionDepAttr are the stored forms of
// storage.ActionTrigger and storage.ActionDependency: tagged here so a
// rename in the storage types cannot silently change what is on disk.
type actionTriggerAttr struct {
	ID      string `json:"id"`
	Version string `json:"version,omitempty"`
}

type actionDepAttr struct {
	Name        string `json:"name"`
	Version     string `json:"version,omitempty"`
	RegistryURL string `json:"registry_url,omitempty"`
}

// actionAttrs is the JSON-encoded remainder of an actions or
// action_versions row; the fields a version lacks stay empty.
type actionAttrs struct {
	Code               string              `json:"code"`
	Dependencies       []actionDepAttr     `json:"dependencies,omitempty"`
	Runtime            string              `json:"runtime,omitempty"`
	SupportedTriggers  []actionTriggerAttr `json:"supported_triggers,omitempty"`
	Status             string              `json:"status,omitempty"`
	BuildError         string              `json:"build_error,omitempty"`
	BuiltAt            *time.Time          `json:"built_at,omitempty"`
	Engine             string              `json:"engine,omitempty"`
	Modules            string              `json:"modules,omitempty"`
	AllChangesDeployed bool                `json:"all_changes_deployed,omitempty"`
}

// actionSecretAttr is one secret inside the sealed JSON.
type actionSecretAttr struct {
	Name      string     `json:"name"`
	Value     string     `json:"value"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return utcPtr(&t)
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

func encodeTriggers(list []storage.ActionTrigger) []actionTriggerAttr {
	var out []actionTriggerAttr
	for _, t := range list {
		out = append(out, actionTriggerAttr{ID: t.ID, Version: t.Version})
	}
	return out
}

func decodeTriggers(list []actionTriggerAttr) []storage.ActionTrigger {
	var out []storage.ActionTrigger
	for _, t := range list {
		out = append(out, storage.ActionTrigger{ID: t.ID, Version: t.Version})
	}
	return out
}

func encodeDeps(list []storage.ActionDependency) []actionDepAttr {
	var out []actionDepAttr
	for _, d := range list {
		out = append(out, actionDepAttr{Name: d.Name, Version: d.Version, RegistryURL: d.RegistryURL})
	}
	return out
}

func decodeDeps(list []actionDepAttr) []storage.ActionDependency {
	var out []storage.ActionDependency
	for _, d := range list {
		out = append(out, storage.ActionDependency{Name: d.Name, Version: d.Version, RegistryURL: d.RegistryURL})
	}
	return out
}

func actionAttrsOf(a storage.Action) actionAttrs {
	return actionAttrs{
		Code: a.Code, Dependencies: encodeDeps(a.Dependencies), Runtime: a.Runtime,
		SupportedTriggers: encodeTriggers(a.SupportedTriggers), Status: a.Status, BuildError: a.BuildError,
		BuiltAt: timePtr(a.BuiltAt), Engine: a.Engine, Modules: a.Modules, AllChangesDeployed: a.AllChangesDeployed,
	}
}

func versionAttrsOf(v storage.ActionVersion) actionAttrs {
	return actionAttrs{
		Code: v.Code, Dependencies: encodeDeps(v.Dependencies), Runtime: v.Runtime,
		SupportedTriggers: encodeTriggers(v.SupportedTriggers), Status: v.Status,
		BuiltAt: timePtr(v.BuiltAt), Engine: v.Engine, Modules: v.Modules,
	}
}

// sealActionSecrets seals an Action's or version's secrets as one value,
// bound to its row by ad, as hook secrets are; none is stored as NULL.
func (s *Store) sealActionSecrets(list []storage.ActionSecret, ad string) ([]byte, error) {
	if len(list) == 0 {
		return nil, nil
	}
	attrs := make([]actionSecretAttr, len(list))
	for i, sec := range list {
		attrs[i] = actionSecretAttr{Name: sec.Name, Value: sec.Value, UpdatedAt: timePtr(sec.UpdatedAt)}
	}
	plain, err := json.Marshal(attrs)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: encode action secrets: %w", err)
	}
	return s.sealer.Seal(plain, ad), nil
}

func (s *Store) openActionSecrets(sealed []byte, ad string) ([]storage.ActionSecret, error) {
	if sealed == nil {
		return nil, nil
	}
	plain, err := s.sealer.Open(sealed, ad)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", ad, err)
	}
	var attrs []actionSecretAttr
	if err := json.Unmarshal(plain, &attrs); err != nil {
		return nil, fmt.Errorf("sqlstore: %s: %w", ad, err)
	}
	out := make([]storage.ActionSecret, len(attrs))
	for i, a := range attrs {
		out[i] = storage.ActionSecret{Name: a.Name, Value: a.Value, UpdatedAt: timeOf(a.UpdatedAt)}
	}
	return out, nil
}

const actionColumns = "tenant, id, name, deployed_version_id, created_at, updated_at, secrets_sealed, attrs"

func (s *Store) scanAction(row interface{ Scan(...any) error }) (storage.Action, error) {
	var (
		a                storage.Action
		created, updated string
		sealed           []byte
		attrs            string
		at               actionAttrs
	)
	if err := row.Scan(&a.Tenant, &a.ID, &a.Name, &a.DeployedVersionID, &created, &updated, &sealed, &attrs); err != nil {
		return a, err
	}
	var err error
	if a.CreatedAt, err = parseTime(created); err != nil {
		return a, err
	}
	if a.UpdatedAt, err = parseTime(updated); err != nil {
		return a, err
	}
	if a.Secrets, err = s.openActionSecrets(sealed, actionSecretsAD(a.Tenant, a.ID)); err != nil {
		return a, err
	}
	if err := decodeAttrs(attrs, &at); err != nil {
		return a, err
	}
	a.Code, a.Dependencies, a.Runtime = at.Code, decodeDeps(at.Dependencies), at.Runtime
	a.SupportedTriggers, a.Status, a.BuildError = decodeTriggers(at.SupportedTriggers), at.Status, at.BuildError
	a.BuiltAt, a.Engine, a.Modules, a.AllChangesDeployed = timeOf(at.BuiltAt), at.Engine, at.Modules, at.AllChangesDeployed
	return a, nil
}

// versionColumns lists action_versions' columns, each prefixed (a table
// alias with its dot, or "").
func versionColumns(prefix string) string {
	cols := []string{"tenant", "action_id", "id", "number", "deployed", "created_at", "updated_at", "secrets_sealed", "attrs"}
	for i, c := range cols {
		cols[i] = prefix + c
	}
	return strings.Join(cols, ", ")
}

// versionDest is where a scan of versionColumns goes; finish turns it into
// the version.
type versionDest struct {
	v                storage.ActionVersion
	created, updated string
	sealed           []byte
	attrs            string
}

func (d *versionDest) targets() []any {
	return []any{&d.v.Tenant, &d.v.ActionID, &d.v.ID, &d.v.Number, &d.v.Deployed, &d.created, &d.updated, &d.sealed, &d.attrs}
}

func (s *Store) finishVersion(d *versionDest) (storage.ActionVersion, error) {
	v := d.v
	var err error
	if v.CreatedAt, err = parseTime(d.created); err != nil {
		return v, err
	}
	if v.UpdatedAt, err = parseTime(d.updated); err != nil {
		return v, err
	}
	if v.Secrets, err = s.openActionSecrets(d.sealed, actionVersionSecretsAD(v.Tenant, v.ID)); err != nil {
		return v, err
	}
	var at actionAttrs
	if err := decodeAttrs(d.attrs, &at); err != nil {
		return v, err
	}
	v.Code, v.Dependencies, v.Runtime = at.Code, decodeDeps(at.Dependencies), at.Runtime
	v.SupportedTriggers, v.Status, v.BuiltAt = decodeTriggers(at.SupportedTriggers), at.Status, timeOf(at.BuiltAt)
	v.Engine, v.Modules = at.Engine, at.Modules
	return v, nil
}

func (s *Store) scanVersion(row interface{ Scan(...any) error }) (storage.ActionVersion, error) {
	var d versionDest
	if err := row.Scan(d.targets()...); err != nil {
		return storage.ActionVersion{}, err
	}
	return s.finishVersion(&d)
}

// writeAction inserts or updates an action row and rewrites its
// action_triggers rows, inside tx.
func (s *Store) writeAction(ctx context.Context, tx *sql.Tx, a storage.Action, insert bool) error {
	attrs, err := encodeAttrs(actionAttrsOf(a))
	if err != nil {
		return err
	}
	secrets, err := s.sealActionSecrets(a.Secrets, actionSecretsAD(a.Tenant, a.ID))
	if err != nil {
		return err
	}
	if insert {
		_, err = s.exec(ctx, tx, "INSERT INTO actions ("+actionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			a.Tenant, a.ID, a.Name, a.DeployedVersionID, formatTime(a.CreatedAt), formatTime(a.UpdatedAt), secrets, attrs)
	} else {
		_, err = s.exec(ctx, tx, "UPDATE actions SET name = ?, deployed_version_id = ?, created_at = ?, updated_at = ?, secrets_sealed = ?, attrs = ? WHERE tenant = ? AND id = ?",
			a.Name, a.DeployedVersionID, formatTime(a.CreatedAt), formatTime(a.UpdatedAt), secrets, attrs, a.Tenant, a.ID)
	}
	if err != nil {
		return fmt.Errorf("sqlstore: write action %q: %w", a.Name, err)
	}
	if !insert {
		if _, err := s.exec(ctx, tx, "DELETE FROM action_triggers WHERE tenant = ? AND action_id = ?", a.Tenant, a.ID); err != nil {
			return fmt.Errorf("sqlstore: write action %q triggers: %w", a.Name, err)
		}
	}
	seen := map[string]bool{}
	for _, t := range a.SupportedTriggers {
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		if _, err := s.exec(ctx, tx, "INSERT INTO action_triggers (tenant, action_id, trigger_id) VALUES (?, ?, ?)", a.Tenant, a.ID, t.ID); err != nil {
			return fmt.Errorf("sqlstore: write action %q triggers: %w", a.Name, err)
		}
	}
	return nil
}

// CreateAction implements storage.Actions. A new Action has no version
// and no binding, so it changes nothing the token path runs.
func (s *Store) CreateAction(ctx context.Context, a storage.Action) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		return nil, s.writeAction(ctx, tx, a, true)
	})
}

// GetAction implements storage.Actions.
func (s *Store) GetAction(ctx context.Context, tenant, id string) (storage.Action, error) {
	return s.getAction(ctx, s.reader, tenant, id, "")
}

func (s *Store) getAction(ctx context.Context, q querier, tenant, id, suffix string) (storage.Action, error) {
	row := q.QueryRowContext(ctx, s.d.bind("SELECT "+actionColumns+" FROM actions WHERE tenant = ? AND id = ?"+suffix), tenant, id)
	a, err := s.scanAction(row)
	if err != nil {
		return storage.Action{}, notFound(err, fmt.Sprintf("action %q", id))
	}
	return a, nil
}

// ListActions implements storage.Actions.
func (s *Store) ListActions(ctx context.Context, tenant string, f storage.ActionFilter, p storage.Page) ([]storage.Action, int, error) {
	where, args := "a.tenant = ?", []any{tenant}
	if f.TriggerID != "" {
		where += " AND EXISTS (SELECT 1 FROM action_triggers t WHERE t.tenant = a.tenant AND t.action_id = a.id AND t.trigger_id = ?)"
		args = append(args, f.TriggerID)
	}
	if f.Name != "" {
		where, args = where+" AND a.name = ?", append(args, f.Name)
	}
	if f.Deployed {
		where += " AND a.deployed_version_id <> ''"
	}
	if f.Installed {
		where += " AND EXISTS (SELECT 1 FROM action_bindings b WHERE b.tenant = a.tenant AND b.action_id = a.id)"
	}
	var (
		list  []storage.Action
		total int
	)
	err := s.readTx(ctx, nil, func(tx *sql.Tx) error {
		var err error
		if total, err = s.count(ctx, tx, "SELECT COUNT(*) FROM actions a WHERE "+where, args...); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, s.d.bind("SELECT "+actionColumns+" FROM actions a WHERE "+where+" ORDER BY a.name, a.id"+pageClause(p)), args...)
		if err != nil {
			return fmt.Errorf("sqlstore: list actions: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			a, err := s.scanAction(rows)
			if err != nil {
				return fmt.Errorf("sqlstore: list actions: %w", err)
			}
			list = append(list, a)
		}
		return rows.Err()
	})
	return list, total, err
}

// UpdateAction implements storage.Actions. The key (tenant, id) and
// DeployedVersionID are kept: only DeployAction changes what is deployed.
// A rename onto another Action's name is ErrConflict; a rename announces
// a catalog change, since bound Actions run under their name.
func (s *Store) UpdateAction(ctx context.Context, tenant, id string, fn func(storage.Action) (storage.Action, error)) (storage.Action, error) {
	var out storage.Action
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		old, err := s.getAction(ctx, tx, tenant, id, s.d.forUpdate)
		if err != nil {
			return nil, err
		}
		a, err := fn(old)
		if err != nil {
			return nil, err
		}
		a.Tenant, a.ID, a.DeployedVersionID = old.Tenant, old.ID, old.DeployedVersionID
		if err := s.writeAction(ctx, tx, a, false); err != nil {
			return nil, err
		}
		if out, err = s.getAction(ctx, tx, tenant, id, ""); err != nil {
			return nil, err
		}
		if a.Name != old.Name {
			return []storage.Change{change(tenant, kindActions, "")}, nil
		}
		return nil, nil
	})
	return out, err
}

// DeleteAction implements storage.Actions.
func (s *Store) DeleteAction(ctx context.Context, tenant, id string) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		// Explicit, not left to the foreign keys: the bindings and versions
		// must go on every backend, whatever its foreign key settings.
		for _, table := range []string{"action_bindings", "action_versions", "action_triggers"} {
			if _, err := s.exec(ctx, tx, "DELETE FROM "+table+" WHERE tenant = ? AND action_id = ?", tenant, id); err != nil {
				return nil, fmt.Errorf("sqlstore: delete action %q: %w", id, err)
			}
		}
		res, err := s.exec(ctx, tx, "DELETE FROM actions WHERE tenant = ? AND id = ?", tenant, id)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: delete action %q: %w", id, err)
		}
		if err := mustAffect(res, fmt.Sprintf("action %q", id)); err != nil {
			return nil, err
		}
		return []storage.Change{change(tenant, kindActions, "")}, nil
	})
}

// DeployAction implements storage.Actions. The version's Tenant, ActionID,
// Number and Deployed, and the Action's DeployedVersionID, are set here
// whatever fn returns, so the two rows cannot disagree.
func (s *Store) DeployAction(ctx context.Context, tenant, actionID string, fn func(a storage.Action, number int) (storage.ActionVersion, storage.Action, error)) (storage.ActionVersion, error) {
	var out storage.ActionVersion
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		// The row lock orders concurrent deploys of one Action, so each
		// takes the next number.
		old, err := s.getAction(ctx, tx, tenant, actionID, s.d.forUpdate)
		if err != nil {
			return nil, err
		}
		var last int
		if err := tx.QueryRowContext(ctx, s.d.bind("SELECT COALESCE(MAX(number), 0) FROM action_versions WHERE tenant = ? AND action_id = ?"),
			tenant, actionID).Scan(&last); err != nil {
			return nil, fmt.Errorf("sqlstore: deploy action %q: %w", actionID, err)
		}
		number := last + 1
		v, a, err := fn(old, number)
		if err != nil {
			return nil, err
		}
		v.Tenant, v.ActionID, v.Number, v.Deployed = tenant, actionID, number, true
		a.Tenant, a.ID, a.DeployedVersionID = old.Tenant, old.ID, v.ID
		if _, err := s.exec(ctx, tx, "UPDATE action_versions SET deployed = ? WHERE tenant = ? AND action_id = ? AND deployed = ?",
			false, tenant, actionID, true); err != nil {
			return nil, fmt.Errorf("sqlstore: deploy action %q: %w", actionID, err)
		}
		attrs, err := encodeAttrs(versionAttrsOf(v))
		if err != nil {
			return nil, err
		}
		secrets, err := s.sealActionSecrets(v.Secrets, actionVersionSecretsAD(tenant, v.ID))
		if err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, "INSERT INTO action_versions ("+versionColumns("")+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			tenant, actionID, v.ID, v.Number, true, formatTime(v.CreatedAt), formatTime(v.UpdatedAt), secrets, attrs); err != nil {
			return nil, fmt.Errorf("sqlstore: deploy action %q: %w", actionID, err)
		}
		if err := s.writeAction(ctx, tx, a, false); err != nil {
			return nil, err
		}
		// Versions are numbered without gaps (only this prune deletes
		// single versions, always the oldest), so the newest
		// MaxActionVersions are those above number-MaxActionVersions.
		if _, err := s.exec(ctx, tx, "DELETE FROM action_versions WHERE tenant = ? AND action_id = ? AND deployed = ? AND number <= ?",
			tenant, actionID, false, number-storage.MaxActionVersions); err != nil {
			return nil, fmt.Errorf("sqlstore: prune versions of action %q: %w", actionID, err)
		}
		if out, err = s.getActionVersion(ctx, tx, tenant, actionID, v.ID); err != nil {
			return nil, err
		}
		return []storage.Change{change(tenant, kindActions, "")}, nil
	})
	return out, err
}

// GetActionVersion implements storage.Actions.
func (s *Store) GetActionVersion(ctx context.Context, tenant, actionID, versionID string) (storage.ActionVersion, error) {
	return s.getActionVersion(ctx, s.reader, tenant, actionID, versionID)
}

func (s *Store) getActionVersion(ctx context.Context, q querier, tenant, actionID, versionID string) (storage.ActionVersion, error) {
	row := q.QueryRowContext(ctx, s.d.bind("SELECT "+versionColumns("")+" FROM action_versions WHERE tenant = ? AND action_id = ? AND id = ?"),
		tenant, actionID, versionID)
	v, err := s.scanVersion(row)
	if err != nil {
		return storage.ActionVersion{}, notFound(err, fmt.Sprintf("version %q of action %q", versionID, actionID))
	}
	return v, nil
}

// ListActionVersions implements storage.Actions. An Action that does not
// exist is ErrNotFound, so callers can tell it from one never deployed.
func (s *Store) ListActionVersions(ctx context.Context, tenant, actionID string, p storage.Page) ([]storage.ActionVersion, int, error) {
	var (
		list  []storage.ActionVersion
		total int
	)
	err := s.readTx(ctx, nil, func(tx *sql.Tx) error {
		n, err := s.count(ctx, tx, "SELECT COUNT(*) FROM actions WHERE tenant = ? AND id = ?", tenant, actionID)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("sqlstore: action %q: %w", actionID, storage.ErrNotFound)
		}
		if total, err = s.count(ctx, tx, "SELECT COUNT(*) FROM action_versions WHERE tenant = ? AND action_id = ?", tenant, actionID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, s.d.bind("SELECT "+versionColumns("")+" FROM action_versions WHERE tenant = ? AND action_id = ? ORDER BY number DESC"+pageClause(p)),
			tenant, actionID)
		if err != nil {
			return fmt.Errorf("sqlstore: list versions of action %q: %w", actionID, err)
		}
		defer rows.Close()
		for rows.Next() {
			v, err := s.scanVersion(rows)
			if err != nil {
				return fmt.Errorf("sqlstore: list versions of action %q: %w", actionID, err)
			}
			list = append(list, v)
		}
		return rows.Err()
	})
	return list, total, err
}

const bindingColumns = "tenant, id, trigger_id, action_id, display_name, created_at, updated_at"

func scanBinding(dest []any, b *storage.ActionBinding, created, updated *string) []any {
	return append(dest, &b.Tenant, &b.ID, &b.TriggerID, &b.ActionID, &b.DisplayName, created, updated)
}

func finishBinding(b *storage.ActionBinding, created, updated string) error {
	var err error
	if b.CreatedAt, err = parseTime(created); err != nil {
		return err
	}
	b.UpdatedAt, err = parseTime(updated)
	return err
}

// ListActionBindings implements storage.Actions.
func (s *Store) ListActionBindings(ctx context.Context, tenant, triggerID string) ([]storage.ActionBinding, error) {
	rows, err := s.reader.QueryContext(ctx, s.d.bind("SELECT "+bindingColumns+" FROM action_bindings WHERE tenant = ? AND trigger_id = ? ORDER BY position"),
		tenant, triggerID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list %s bindings: %w", triggerID, err)
	}
	defer rows.Close()
	var out []storage.ActionBinding
	for rows.Next() {
		var (
			b                storage.ActionBinding
			created, updated string
		)
		if err := rows.Scan(scanBinding(nil, &b, &created, &updated)...); err != nil {
			return nil, fmt.Errorf("sqlstore: list %s bindings: %w", triggerID, err)
		}
		if err := finishBinding(&b, created, updated); err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// SetActionBindings implements storage.Actions. Every bound Action must
// exist (ErrNotFound otherwise); a binding id used twice is ErrConflict.
// Tenant and TriggerID of each binding are set here.
func (s *Store) SetActionBindings(ctx context.Context, tenant, triggerID string, list []storage.ActionBinding) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		if s.d.lock != nil {
			// Two replacements of one trigger's list must not interleave
			// their deletes and inserts.
			if err := s.d.lock(ctx, tx, "action_bindings:"+tenant+":"+triggerID); err != nil {
				return nil, fmt.Errorf("sqlstore: lock %s bindings: %w", triggerID, err)
			}
		}
		for _, b := range list {
			// Locked so a concurrent delete of the Action waits for us
			// (and then deletes the binding) instead of racing the insert.
			var id string
			err := tx.QueryRowContext(ctx, s.d.bind("SELECT id FROM actions WHERE tenant = ? AND id = ?"+s.d.forUpdate), tenant, b.ActionID).Scan(&id)
			if err != nil {
				return nil, notFound(err, fmt.Sprintf("action %q", b.ActionID))
			}
		}
		if _, err := s.exec(ctx, tx, "DELETE FROM action_bindings WHERE tenant = ? AND trigger_id = ?", tenant, triggerID); err != nil {
			return nil, fmt.Errorf("sqlstore: set %s bindings: %w", triggerID, err)
		}
		for i, b := range list {
			if _, err := s.exec(ctx, tx, "INSERT INTO action_bindings (tenant, trigger_id, position, id, action_id, display_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
				tenant, triggerID, i, b.ID, b.ActionID, b.DisplayName, formatTime(b.CreatedAt), formatTime(b.UpdatedAt)); err != nil {
				return nil, fmt.Errorf("sqlstore: set %s bindings: %w", triggerID, err)
			}
		}
		return []storage.Change{change(tenant, kindActions, "")}, nil
	})
}

// ListBoundActions implements storage.Actions.
func (s *Store) ListBoundActions(ctx context.Context, tenant string) ([]storage.BoundAction, error) {
	var out []storage.BoundAction
	err := s.readTx(ctx, s.d.catalogTx, func(tx *sql.Tx) error {
		var err error
		out, err = s.listBoundActions(ctx, tx, tenant)
		return err
	})
	return out, err
}

// listBoundActions joins every binding with its Action's name and
// deployed version; a binding whose Action was never deployed runs
// nothing and is left out. Triggers come in name order, each trigger's
// bindings in execution order.
func (s *Store) listBoundActions(ctx context.Context, q querier, tenant string) ([]storage.BoundAction, error) {
	rows, err := q.QueryContext(ctx, s.d.bind(`SELECT b.tenant, b.id, b.trigger_id, b.action_id, b.display_name, b.created_at, b.updated_at, a.name, `+versionColumns("v.")+`
		FROM action_bindings b
		JOIN actions a ON a.tenant = b.tenant AND a.id = b.action_id
		JOIN action_versions v ON v.tenant = b.tenant AND v.action_id = b.action_id AND v.deployed = ?
		WHERE b.tenant = ? ORDER BY b.trigger_id, b.position`), true, tenant)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list bound actions: %w", err)
	}
	defer rows.Close()
	var out []storage.BoundAction
	for rows.Next() {
		var (
			ba               storage.BoundAction
			created, updated string
			vd               versionDest
		)
		dest := scanBinding(nil, &ba.Binding, &created, &updated)
		dest = append(dest, &ba.ActionName)
		if err := rows.Scan(append(dest, vd.targets()...)...); err != nil {
			return nil, fmt.Errorf("sqlstore: list bound actions: %w", err)
		}
		if err := finishBinding(&ba.Binding, created, updated); err != nil {
			return nil, err
		}
		if ba.Version, err = s.finishVersion(&vd); err != nil {
			return nil, err
		}
		out = append(out, ba)
	}
	return out, rows.Err()
}
