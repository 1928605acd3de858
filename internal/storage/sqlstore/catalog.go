package sqlstore

import (
	"context"
	"database/sql"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// LoadCatalog implements storage.Storage. Everything is read in one
// snapshot (REPEATABLE READ on PostgreSQL, a WAL read transaction on
// SQLite) so a cache never pairs a grant with a client from another moment.
func (s *Store) LoadCatalog(ctx context.Context, tenant string) (storage.Catalog, error) {
	var c storage.Catalog
	all := storage.Page{}
	err := s.readTx(ctx, s.d.catalogTx, func(tx *sql.Tx) error {
		var err error
		n, err := s.count(ctx, tx, "SELECT COUNT(*) FROM clients WHERE tenant = ?", tenant)
		if err != nil {
			return err
		}
		if c.Clients, err = s.listClients(ctx, tx, tenant, all, n); err != nil {
			return err
		}
		if c.ResourceServers, err = s.listResourceServers(ctx, tx, tenant, all); err != nil {
			return err
		}
		if c.ClientGrants, err = s.listClientGrants(ctx, tx, "tenant = ?", []any{tenant}, all); err != nil {
			return err
		}
		if c.SigningKeys, err = s.listSigningKeys(ctx, tx, tenant); err != nil {
			return err
		}
		if c.Settings, err = s.getSettings(ctx, tx, tenant); err != nil {
			return err
		}
		if c.Hooks, err = s.listHooks(ctx, tx, "tenant = ?", []any{tenant}, all); err != nil {
			return err
		}
		if c.BoundActions, err = s.listBoundActions(ctx, tx, tenant); err != nil {
			return err
		}
		c.Seq, err = s.catalogSeq(ctx, tx, tenant)
		return err
	})
	if err != nil {
		return storage.Catalog{}, err
	}
	return c, nil
}
