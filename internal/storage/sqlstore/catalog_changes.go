package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// changeLogKeep is how many of a tenant's most recent catalog changes the
// log keeps. A cache further behind than that reloads the whole catalog;
// anything closer catches up change by change (a replica back from a lost
// notify connection, a subscriber whose buffer overflowed).
const changeLogKeep = 10000

// sequence numbers the changes of one write transaction and records them
// in the change log, inside tx. Duplicates within the transaction are
// recorded once. It returns the changes with their Seq set.
func (s *Store) sequence(ctx context.Context, tx *sql.Tx, changes []storage.Change) ([]storage.Change, error) {
	if len(changes) == 0 {
		return nil, nil
	}
	type rec struct{ tenant, kind, key string }
	seen := make(map[rec]bool, len(changes))
	byTenant := map[string][]storage.Change{}
	var tenants []string
	for _, c := range changes {
		r := rec{c.Tenant, c.Kind, c.Key}
		if seen[r] {
			continue
		}
		seen[r] = true
		if _, ok := byTenant[c.Tenant]; !ok {
			tenants = append(tenants, c.Tenant)
		}
		byTenant[c.Tenant] = append(byTenant[c.Tenant], c)
	}
	out := make([]storage.Change, 0, len(changes))
	for _, tenant := range tenants {
		cs := byTenant[tenant]
		// The upsert's row lock is held until commit: the next writer of
		// this tenant's catalog reads the committed value after us.
		var last int64
		err := tx.QueryRowContext(ctx, s.d.bind(
			"INSERT INTO catalog_seq (tenant, seq) VALUES (?, ?) ON CONFLICT (tenant) DO UPDATE SET seq = catalog_seq.seq + excluded.seq RETURNING seq"),
			tenant, int64(len(cs))).Scan(&last)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: catalog sequence: %w", err)
		}
		first := last - int64(len(cs)) + 1
		for i, c := range cs {
			c.Seq = first + int64(i)
			if _, err := s.exec(ctx, tx, "INSERT INTO catalog_changes (tenant, seq, kind, rec_key) VALUES (?, ?, ?, ?)",
				tenant, c.Seq, c.Kind, c.Key); err != nil {
				return nil, fmt.Errorf("sqlstore: catalog change log: %w", err)
			}
			out = append(out, c)
		}
		if last > s.keepChanges {
			if _, err := s.exec(ctx, tx, "DELETE FROM catalog_changes WHERE tenant = ? AND seq <= ?", tenant, last-s.keepChanges); err != nil {
				return nil, fmt.Errorf("sqlstore: catalog change log prune: %w", err)
			}
		}
	}
	return out, nil
}

// noteCommitted remembers the highest Seq this process committed per tenant.
func (s *Store) noteCommitted(changes []storage.Change) {
	if len(changes) == 0 {
		return
	}
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	for _, c := range changes {
		if c.Seq > s.committed[c.Tenant] {
			s.committed[c.Tenant] = c.Seq
		}
	}
}

// CommittedCatalogSeq implements storage.Storage.
func (s *Store) CommittedCatalogSeq(tenant string) int64 {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	return s.committed[tenant]
}

// CatalogChanges implements storage.Storage.
func (s *Store) CatalogChanges(ctx context.Context, tenant string, after int64, limit int) ([]storage.Change, int64, error) {
	var (
		out    []storage.Change
		latest int64
	)
	err := s.readTx(ctx, s.d.catalogTx, func(tx *sql.Tx) error {
		var err error
		if latest, err = s.catalogSeq(ctx, tx, tenant); err != nil {
			return err
		}
		if latest <= after {
			return nil
		}
		rows, err := tx.QueryContext(ctx, s.d.bind("SELECT seq, kind, rec_key FROM catalog_changes WHERE tenant = ? AND seq > ? ORDER BY seq LIMIT ?"),
			tenant, after, limit)
		if err != nil {
			return fmt.Errorf("sqlstore: catalog changes: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			c := storage.Change{Tenant: tenant}
			if err := rows.Scan(&c.Seq, &c.Kind, &c.Key); err != nil {
				return fmt.Errorf("sqlstore: catalog changes: %w", err)
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, err
	}
	return out, latest, nil
}

// catalogSeq reads the tenant's latest change Seq (0 before any change).
func (s *Store) catalogSeq(ctx context.Context, q querier, tenant string) (int64, error) {
	var seq int64
	err := q.QueryRowContext(ctx, s.d.bind("SELECT seq FROM catalog_seq WHERE tenant = ?"), tenant).Scan(&seq)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlstore: catalog sequence: %w", err)
	}
	return seq, nil
}
