package storage

import (
	"context"
	"encoding/json"
	"errors"
)

// MaxHookStorageBytes caps one hook's webtask storage document (500 KB, as
// webtask's storage allowed).
const MaxHookStorageBytes = 500 * 1024

var (
	// ErrStaleVersion: a conditional write of a hook's storage document
	// found another version than the one it was based on (someone wrote
	// since that read). Webtask answered 409; the hooks layer does too.
	ErrStaleVersion = errors.New("storage: the document changed since it was read")
	// ErrDocumentTooLarge: a hook's storage document over MaxHookStorageBytes.
	ErrDocumentTooLarge = errors.New("storage: document too large")
)

// HookDocument is one hook's webtask storage (context.webtask.storage,
// compat-spec §3.8): a JSON document and its version. It is not part of
// the catalog (hooks write it while they run), so writes announce no
// Change; every replica reads it from the database.
type HookDocument struct {
	// Data is the JSON document; nil when the hook never wrote one.
	Data json.RawMessage
	// Version changes with every write; "" when there is no document.
	Version string
}

// HookStorage persists the webtask storage of hooks. A document belongs to
// its hook: it survives restarts and edits of the hook and is deleted with
// it (DeleteHook).
type HookStorage interface {
	// GetHookDocument returns the hook's document; a zero HookDocument
	// when there is none (also when the hook does not exist).
	GetHookDocument(ctx context.Context, tenant, hookID string) (HookDocument, error)
	// SetHookDocument writes data (valid JSON, at most MaxHookStorageBytes,
	// else ErrDocumentTooLarge) and returns the new version. Unless force, the
	// write happens only when the stored version is ifVersion ("" = no
	// document yet), else ErrStaleVersion. ErrNotFound when the hook does
	// not exist.
	SetHookDocument(ctx context.Context, tenant, hookID string, data json.RawMessage, ifVersion string, force bool) (string, error)
}
