package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/tokenhook/tokenhook/internal/storage"
)

type hookAttrs struct {
	Script       string            `json:"script"`
	Dependencies map[string]string `json:"dependencies"`
	Runtime      string            `json:"runtime,omitempty"`
	Modules      string            `json:"modules,omitempty"`
	Resolved     map[string]string `json:"resolved,omitempty"`
}

func hookAttrsOf(h storage.Hook) hookAttrs {
	return hookAttrs{Script: h.Script, Dependencies: h.Dependencies, Runtime: h.Runtime, Modules: h.Modules, Resolved: h.Resolved}
}

const hookColumns = "tenant, id, name, trigger_id, enabled, created_at, updated_at, secrets_sealed, attrs"

func (s *Store) scanHook(row interface{ Scan(...any) error }) (storage.Hook, error) {
	var (
		h                storage.Hook
		created, updated string
		sealed           []byte
		attrs            string
		a                hookAttrs
	)
	if err := row.Scan(&h.Tenant, &h.ID, &h.Name, &h.TriggerID, &h.Enabled, &created, &updated, &sealed, &attrs); err != nil {
		return h, err
	}
	var err error
	if h.CreatedAt, err = parseTime(created); err != nil {
		return h, err
	}
	if h.UpdatedAt, err = parseTime(updated); err != nil {
		return h, err
	}
	if sealed != nil {
		plain, err := s.sealer.Open(sealed, hookSecretsAD(h.Tenant, h.ID))
		if err != nil {
			return h, fmt.Errorf("sqlstore: secrets of hook %q: %w", h.ID, err)
		}
		if err := json.Unmarshal(plain, &h.Secrets); err != nil {
			return h, fmt.Errorf("sqlstore: secrets of hook %q: %w", h.ID, err)
		}
	}
	if err := decodeAttrs(attrs, &a); err != nil {
		return h, err
	}
	h.Script, h.Dependencies, h.Runtime, h.Modules, h.Resolved = a.Script, a.Dependencies, a.Runtime, a.Modules, a.Resolved
	return h, nil
}

// sealHookSecrets seals the whole map as one value: which secret names a
// hook has is itself worth hiding, and they are always used together.
// An empty map is stored as NULL.
func (s *Store) sealHookSecrets(h storage.Hook) ([]byte, error) {
	if len(h.Secrets) == 0 {
		return nil, nil
	}
	plain, err := json.Marshal(h.Secrets)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: encode hook secrets: %w", err)
	}
	return s.sealer.Seal(plain, hookSecretsAD(h.Tenant, h.ID)), nil
}

// disableOtherHooks keeps at most one enabled hook per trigger. It runs
// before the enabled hook is written, or the partial unique index
// hooks_one_enabled_per_trigger would reject the write.
func (s *Store) disableOtherHooks(ctx context.Context, tx *sql.Tx, h storage.Hook) error {
	if !h.Enabled {
		return nil
	}
	_, err := s.exec(ctx, tx, "UPDATE hooks SET enabled = ? WHERE tenant = ? AND trigger_id = ? AND id <> ? AND enabled = ?",
		false, h.Tenant, h.TriggerID, h.ID, true)
	if err != nil {
		return fmt.Errorf("sqlstore: disable other %s hooks: %w", h.TriggerID, err)
	}
	return nil
}

// CreateHook implements storage.Storage.
func (s *Store) CreateHook(ctx context.Context, h storage.Hook) error {
	attrs, err := encodeAttrs(hookAttrsOf(h))
	if err != nil {
		return err
	}
	secrets, err := s.sealHookSecrets(h)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		if err := s.disableOtherHooks(ctx, tx, h); err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, "INSERT INTO hooks ("+hookColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			h.Tenant, h.ID, h.Name, h.TriggerID, h.Enabled, formatTime(h.CreatedAt), formatTime(h.UpdatedAt), secrets, attrs); err != nil {
			return nil, fmt.Errorf("sqlstore: create hook %q: %w", h.Name, err)
		}
		return []storage.Change{change(h.Tenant, kindHooks, "")}, nil
	})
}

// GetHook implements storage.Storage.
func (s *Store) GetHook(ctx context.Context, tenant, id string) (storage.Hook, error) {
	return s.getHook(ctx, s.reader, tenant, id, "")
}

func (s *Store) getHook(ctx context.Context, q querier, tenant, id, suffix string) (storage.Hook, error) {
	row := q.QueryRowContext(ctx, s.d.bind("SELECT "+hookColumns+" FROM hooks WHERE tenant = ? AND id = ?"+suffix), tenant, id)
	h, err := s.scanHook(row)
	if err != nil {
		return storage.Hook{}, notFound(err, fmt.Sprintf("hook %q", id))
	}
	return h, nil
}

// ListHooks implements storage.Storage.
func (s *Store) ListHooks(ctx context.Context, tenant string, f storage.HookFilter, p storage.Page) ([]storage.Hook, int, error) {
	where, args := "tenant = ?", []any{tenant}
	if f.TriggerID != "" {
		where, args = where+" AND trigger_id = ?", append(args, f.TriggerID)
	}
	if f.Enabled != nil {
		where, args = where+" AND enabled = ?", append(args, *f.Enabled)
	}
	for _, t := range f.ExcludeTriggers {
		where, args = where+" AND trigger_id <> ?", append(args, t)
	}
	var (
		list  []storage.Hook
		total int
	)
	err := s.readTx(ctx, nil, func(tx *sql.Tx) error {
		var err error
		if total, err = s.count(ctx, tx, "SELECT COUNT(*) FROM hooks WHERE "+where, args...); err != nil {
			return err
		}
		list, err = s.listHooks(ctx, tx, where, args, p)
		return err
	})
	return list, total, err
}

func (s *Store) listHooks(ctx context.Context, q querier, where string, args []any, p storage.Page) ([]storage.Hook, error) {
	rows, err := q.QueryContext(ctx, s.d.bind("SELECT "+hookColumns+" FROM hooks WHERE "+where+" ORDER BY created_at, id"+pageClause(p)), args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list hooks: %w", err)
	}
	defer rows.Close()
	var out []storage.Hook
	for rows.Next() {
		h, err := s.scanHook(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: list hooks: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// UpdateHook implements storage.Storage. The key (tenant, id) is fixed;
// a rename onto another hook's name is ErrConflict.
func (s *Store) UpdateHook(ctx context.Context, tenant, id string, fn func(storage.Hook) (storage.Hook, error)) (storage.Hook, error) {
	var out storage.Hook
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		old, err := s.getHook(ctx, tx, tenant, id, s.d.forUpdate)
		if err != nil {
			return nil, err
		}
		h, err := fn(old)
		if err != nil {
			return nil, err
		}
		h.Tenant, h.ID = old.Tenant, old.ID
		attrs, err := encodeAttrs(hookAttrsOf(h))
		if err != nil {
			return nil, err
		}
		secrets, err := s.sealHookSecrets(h)
		if err != nil {
			return nil, err
		}
		if err := s.disableOtherHooks(ctx, tx, h); err != nil {
			return nil, err
		}
		if _, err := s.exec(ctx, tx, "UPDATE hooks SET name = ?, trigger_id = ?, enabled = ?, created_at = ?, updated_at = ?, secrets_sealed = ?, attrs = ? WHERE tenant = ? AND id = ?",
			h.Name, h.TriggerID, h.Enabled, formatTime(h.CreatedAt), formatTime(h.UpdatedAt), secrets, attrs, tenant, id); err != nil {
			return nil, fmt.Errorf("sqlstore: update hook %q: %w", id, err)
		}
		h.CreatedAt, h.UpdatedAt = storedTime(h.CreatedAt), storedTime(h.UpdatedAt)
		if len(h.Secrets) == 0 {
			h.Secrets = nil
		}
		out = h
		return []storage.Change{change(tenant, kindHooks, "")}, nil
	})
	return out, err
}

// DeleteHook implements storage.Storage.
func (s *Store) DeleteHook(ctx context.Context, tenant, id string) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		res, err := s.exec(ctx, tx, "DELETE FROM hooks WHERE tenant = ? AND id = ?", tenant, id)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: delete hook %q: %w", id, err)
		}
		if err := mustAffect(res, fmt.Sprintf("hook %q", id)); err != nil {
			return nil, err
		}
		return []storage.Change{change(tenant, kindHooks, "")}, nil
	})
}
