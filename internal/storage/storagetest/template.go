package storagetest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// FileTemplate hands every test of a binary its own copy of one database
// file built once: running every migration on every open costs each test
// far more than copying the migrated file does, and a test binary opens
// hundreds of stores. Each copy is an independent file (the tests still
// write real SQLite, never a shared database), and the migrations still
// run in full once per binary, building the template.
type FileTemplate struct {
	build func(path string) error
	once  sync.Once
	data  []byte
	err   error
}

// NewFileTemplate returns a template that build creates on its first use:
// build must leave a complete database in the single file at path (a
// closed SQLite store has checkpointed and removed its WAL).
func NewFileTemplate(build func(path string) error) *FileTemplate {
	return &FileTemplate{build: build}
}

func (ft *FileTemplate) load() ([]byte, error) {
	ft.once.Do(func() {
		dir, err := os.MkdirTemp("", "tokenhook-template-")
		if err != nil {
			ft.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "template.db")
		if err := ft.build(path); err != nil {
			ft.err = fmt.Errorf("storagetest: build template: %w", err)
			return
		}
		// A leftover write-ahead log would hold part of the schema that
		// a copy of the main file alone would lose.
		if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
			ft.err = fmt.Errorf("storagetest: template %s left a non-empty write-ahead log", path)
			return
		}
		ft.data, ft.err = os.ReadFile(path)
	})
	return ft.data, ft.err
}

// CopyTo writes a copy of the template to path, readable by the owner only
// as the stores create their files, and returns path.
func (ft *FileTemplate) CopyTo(tb testing.TB, path string) string {
	tb.Helper()
	data, err := ft.load()
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatalf("storagetest: copy template: %v", err)
	}
	return path
}

// Path is CopyTo a file named name in a new temporary directory of tb.
func (ft *FileTemplate) Path(tb testing.TB, name string) string {
	tb.Helper()
	return ft.CopyTo(tb, filepath.Join(tb.TempDir(), name))
}
