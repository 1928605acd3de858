package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// GetHookDocument implements storage.HookStorage.
func (s *Store) GetHookDocument(ctx context.Context, tenant, hookID string) (storage.HookDocument, error) {
	var (
		version int64
		data    string
	)
	err := s.reader.QueryRowContext(ctx, s.d.bind("SELECT version, data FROM hook_storage WHERE tenant = ? AND hook_id = ?"), tenant, hookID).
		Scan(&version, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return storage.HookDocument{}, nil
	}
	if err != nil {
		return storage.HookDocument{}, fmt.Errorf("sqlstore: storage of hook %q: %w", hookID, err)
	}
	return storage.HookDocument{Data: json.RawMessage(data), Version: strconv.FormatInt(version, 10)}, nil
}

// SetHookDocument implements storage.HookStorage. Each case is one
// statement whose row count says whether the condition held, so two
// replicas writing at once cannot both succeed from the same version.
func (s *Store) SetHookDocument(ctx context.Context, tenant, hookID string, data json.RawMessage, ifVersion string, force bool) (string, error) {
	if len(data) > storage.MaxHookStorageBytes {
		return "", fmt.Errorf("sqlstore: storage of hook %q is %d bytes, over %d: %w", hookID, len(data), storage.MaxHookStorageBytes, storage.ErrDocumentTooLarge)
	}
	if !json.Valid(data) {
		return "", fmt.Errorf("sqlstore: storage of hook %q is not JSON", hookID)
	}
	var expect int64
	if !force && ifVersion != "" {
		v, err := strconv.ParseInt(ifVersion, 10, 64)
		if err != nil || v <= 0 {
			// Never a version this store handed out: nothing can match it.
			return "", fmt.Errorf("sqlstore: storage of hook %q: version %q: %w", hookID, ifVersion, storage.ErrStaleVersion)
		}
		expect = v
	}
	now := formatTime(time.Now())
	var version int64
	err := s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		// The hook must exist; the foreign key also refuses the write if
		// a concurrent delete wins after this read.
		var one int
		if err := tx.QueryRowContext(ctx, s.d.bind("SELECT 1 FROM hooks WHERE tenant = ? AND id = ?"), tenant, hookID).Scan(&one); err != nil {
			return nil, notFound(err, fmt.Sprintf("hook %q", hookID))
		}
		var q string
		var args []any
		switch {
		case force:
			q = `INSERT INTO hook_storage (tenant, hook_id, version, data, updated_at) VALUES (?, ?, 1, ?, ?)
				ON CONFLICT (tenant, hook_id) DO UPDATE SET version = hook_storage.version + 1, data = excluded.data, updated_at = excluded.updated_at
				RETURNING version`
			args = []any{tenant, hookID, string(data), now}
		case expect == 0:
			q = `INSERT INTO hook_storage (tenant, hook_id, version, data, updated_at) VALUES (?, ?, 1, ?, ?)
				ON CONFLICT (tenant, hook_id) DO NOTHING
				RETURNING version`
			args = []any{tenant, hookID, string(data), now}
		default:
			q = `UPDATE hook_storage SET version = version + 1, data = ?, updated_at = ?
				WHERE tenant = ? AND hook_id = ? AND version = ?
				RETURNING version`
			args = []any{string(data), now, tenant, hookID, expect}
		}
		err := tx.QueryRowContext(ctx, s.d.bind(q), args...).Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("sqlstore: storage of hook %q: %w", hookID, storage.ErrStaleVersion)
		}
		if err != nil {
			return nil, fmt.Errorf("sqlstore: storage of hook %q: %w", hookID, err)
		}
		// Not a catalog change: no Change to announce.
		return nil, nil
	})
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(version, 10), nil
}
