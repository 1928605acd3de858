package sqlstore

import (
	"context"
	"errors"

	"github.com/tokenhook/tokenhook/internal/storage"
)

// errActionsTODO stands in until the actions tables land.
var errActionsTODO = errors.New("sqlstore: actions are not stored yet")

func (s *Store) CreateAction(ctx context.Context, a storage.Action) error { return errActionsTODO }
func (s *Store) GetAction(ctx context.Context, tenant, id string) (storage.Action, error) {
	return storage.Action{}, errActionsTODO
}
func (s *Store) ListActions(ctx context.Context, tenant string, f storage.ActionFilter, p storage.Page) ([]storage.Action, int, error) {
	return nil, 0, errActionsTODO
}
func (s *Store) UpdateAction(ctx context.Context, tenant, id string, fn func(storage.Action) (storage.Action, error)) (storage.Action, error) {
	return storage.Action{}, errActionsTODO
}
func (s *Store) DeleteAction(ctx context.Context, tenant, id string) error { return errActionsTODO }
func (s *Store) DeployAction(ctx context.Context, tenant, actionID string, fn func(a storage.Action, number int) (storage.ActionVersion, storage.Action, error)) (storage.ActionVersion, error) {
	return storage.ActionVersion{}, errActionsTODO
}
func (s *Store) GetActionVersion(ctx context.Context, tenant, actionID, versionID string) (storage.ActionVersion, error) {
	return storage.ActionVersion{}, errActionsTODO
}
func (s *Store) ListActionVersions(ctx context.Context, tenant, actionID string, p storage.Page) ([]storage.ActionVersion, int, error) {
	return nil, 0, errActionsTODO
}
func (s *Store) ListActionBindings(ctx context.Context, tenant, triggerID string) ([]storage.ActionBinding, error) {
	return nil, errActionsTODO
}
func (s *Store) SetActionBindings(ctx context.Context, tenant, triggerID string, list []storage.ActionBinding) error {
	return errActionsTODO
}
