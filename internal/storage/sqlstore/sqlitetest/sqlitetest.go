package sqlitetest

import (
	"bytes"
	"context"
	"testing"

	"github.com/tokenhook/tokenhook/internal/seal"
	"github.com/tokenhook/tokenhook/internal/storage/sqlstore"
	"github.com/tokenhook/tokenhook/internal/storage/storagetest"
)

// template is built by sqlstore.Open itself. The sealer does not matter:
// a new database holds nothing sealed.
var template = storagetest.NewFileTemplate(func(path string) error {
	sealer, err := seal.New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		return err
	}
	s, err := sqlstore.Open(context.Background(), path, sealer)
	if err != nil {
		return err
	}
	return s.Close()
})

// Path returns a migrated, empty database file named name in a new
// temporary directory of tb.
func Path(tb testing.TB, name string) string {
	tb.Helper()
	return template.Path(tb, name)
}

// CopyTo writes a migrated, empty database file to path (which must not
// hold a database yet) and returns path.
func CopyTo(tb testing.TB, path string) string {
	tb.Helper()
	return template.CopyTo(tb, path)
}
