package sqlstore

import (
	"context"
	"database/sql"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// ImportClients creates many clients in one transaction, for bulk loads
// (moving a tenant in, the bench's scale scenario): one commit instead of
// one per client. Any failure stores none of them. Caches re-read every
// client of each tenant involved.
func (s *Store) ImportClients(ctx context.Context, clients []storage.Client) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		var changes []storage.Change
		for _, c := range clients {
			if err := s.insertClient(ctx, tx, c); err != nil {
				return nil, err
			}
			changes = append(changes, change(c.Tenant, kindClients, ""))
		}
		return changes, nil // sequence records one per tenant
	})
}

// ImportUsers creates many users in one transaction, like ImportClients.
func (s *Store) ImportUsers(ctx context.Context, users []storage.User) error {
	return s.write(ctx, func(tx *sql.Tx) ([]storage.Change, error) {
		for _, u := range users {
			if err := s.insertUser(ctx, tx, u); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}
