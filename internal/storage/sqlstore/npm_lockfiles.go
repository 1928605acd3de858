package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// PutNPMLockfile implements storage.Storage. The first lockfile of a hash
// wins: the hash names the resolved set, so a later one says the same.
// Not a catalog change: hooks name the hash, and saving the hook announces.
func (s *Store) PutNPMLockfile(ctx context.Context, tenant, hash string, lockfile []byte) error {
	if hash == "" || len(lockfile) == 0 {
		return fmt.Errorf("sqlstore: npm lockfile needs a hash and content")
	}
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		if _, err := s.exec(ctx, tx, "INSERT INTO npm_lockfiles (tenant, hash, lockfile, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (tenant, hash) DO NOTHING",
			tenant, hash, lockfile, formatTime(time.Now())); err != nil {
			return nil, fmt.Errorf("sqlstore: put npm lockfile %q: %w", hash, err)
		}
		return nil, nil
	})
}

// GetNPMLockfile implements storage.Storage.
func (s *Store) GetNPMLockfile(ctx context.Context, tenant, hash string) ([]byte, error) {
	var out []byte
	row := s.reader.QueryRowContext(ctx, s.d.bind("SELECT lockfile FROM npm_lockfiles WHERE tenant = ? AND hash = ?"), tenant, hash)
	if err := row.Scan(&out); err != nil {
		return nil, notFound(err, fmt.Sprintf("npm lockfile %q", hash))
	}
	return out, nil
}
