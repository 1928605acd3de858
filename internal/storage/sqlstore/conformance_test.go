package sqlstore

import (
	"testing"

	"github.com/tokenhook/tokenhook/internal/storage"
	"github.com/tokenhook/tokenhook/internal/storage/storagetest"
)

func TestConformanceSQLite(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		s, _ := openSQLiteTest(t)
		return s
	})
}

func TestConformancePostgres(t *testing.T) {
	admin := postgresAdmin(t)
	storagetest.Run(t, func(t *testing.T) storage.Storage {
		return openPostgresAt(t, freshSchema(t, admin))
	})
}
