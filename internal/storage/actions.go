package storage

import (
	"context"
	"time"
)

// Action is an Auth0 Action's draft: what /api/v2/actions/actions edits.
// Deploying it copies the draft into an immutable ActionVersion; only
// deployed versions of bound Actions run (compat-spec §7).
type Action struct {
	Tenant            string
	ID                string // UUID, as Auth0's action ids are
	Name              string // unique per tenant
	SupportedTriggers []ActionTrigger
	Code              string
	Dependencies      []ActionDependency
	// Runtime is Auth0's runtime name ("node22", "node18").
	Runtime string
	// Secrets are plain text in memory only, sealed at rest; each has the
	// time it was last set.
	Secrets []ActionSecret
	// Status is the draft's build: ActionPending, ActionBuilding,
	// ActionBuilt or ActionFailed. BuildError says why a build failed.
	Status     string
	BuildError string
	BuiltAt    time.Time
	// Engine is where the code runs here: RuntimeEmbedded or RuntimeNode,
	// chosen at build from its code and dependencies, as for hooks.
	Engine string
	// Modules is the hash of the installed npm tree ("" = no dependencies).
	Modules string
	// DeployedVersionID names the version that runs ("" = never deployed).
	DeployedVersionID string
	// AllChangesDeployed: the draft equals the deployed version.
	AllChangesDeployed bool
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// ActionTrigger is a trigger an Action is written for: {id, version}.
type ActionTrigger struct {
	ID      string
	Version string
}

// ActionDependency is one npm dependency of an Action.
type ActionDependency struct {
	Name        string
	Version     string
	RegistryURL string
}

// ActionSecret is one secret of an Action or version.
type ActionSecret struct {
	Name      string
	Value     string
	UpdatedAt time.Time
}

// Action build states (Action.Status, ActionVersion.Status).
const (
	ActionPending  = "pending"
	ActionBuilding = "building"
	ActionBuilt    = "built"
	ActionFailed   = "failed"
)

// ActionVersion is an immutable deployed copy of an Action's draft.
type ActionVersion struct {
	Tenant   string
	ID       string // UUID
	ActionID string
	// Number counts the Action's versions from 1.
	Number            int
	Code              string
	Dependencies      []ActionDependency
	Runtime           string
	Secrets           []ActionSecret
	SupportedTriggers []ActionTrigger
	Engine            string
	Modules           string
	Status            string
	// Deployed: this is the version that runs (one per Action at most).
	Deployed  bool
	BuiltAt   time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ActionBinding puts an Action on a trigger; a trigger's bindings run in
// their order.
type ActionBinding struct {
	Tenant      string
	ID          string // UUID
	TriggerID   string
	ActionID    string
	DisplayName string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// BoundAction is what the token path runs: a binding and the deployed
// version of its Action, in the trigger's binding order.
type BoundAction struct {
	Binding    ActionBinding
	ActionName string
	Version    ActionVersion
}

// ActionFilter narrows ListActions; empty fields match everything.
type ActionFilter struct {
	TriggerID string
	Name      string
	// Deployed keeps only Actions with a deployed version.
	Deployed bool
	// Installed keeps only Actions bound to a trigger.
	Installed bool
}

// MaxActionVersions is how many versions of an Action are kept: deploying
// more deletes the oldest versions that are not deployed.
const MaxActionVersions = 50

// Actions persists Actions, their versions and their trigger bindings.
// Writes to bindings and to deployed versions change what the token path
// runs and announce a Change of kind "actions" (read whole, like hooks).
type Actions interface {
	// CreateAction fails with ErrConflict when the name is taken.
	CreateAction(ctx context.Context, a Action) error
	GetAction(ctx context.Context, tenant, id string) (Action, error)
	// ListActions returns Actions sorted by name.
	ListActions(ctx context.Context, tenant string, f ActionFilter, p Page) ([]Action, int, error)
	// UpdateAction keeps Tenant, ID and DeployedVersionID as stored (only
	// DeployAction changes what is deployed); a rename onto a taken name
	// is ErrConflict.
	UpdateAction(ctx context.Context, tenant, id string, fn func(Action) (Action, error)) (Action, error)
	// DeleteAction deletes the Action, its versions and its bindings.
	DeleteAction(ctx context.Context, tenant, id string) error

	// DeployAction stores a new deployed version in one transaction: fn
	// gets the Action and the next version number and returns the version
	// (Deployed set) and the Action to store (DeployedVersionID set). The
	// previous deployed version stops being deployed, and versions beyond
	// MaxActionVersions that are not deployed are deleted.
	DeployAction(ctx context.Context, tenant, actionID string, fn func(a Action, number int) (ActionVersion, Action, error)) (ActionVersion, error)
	GetActionVersion(ctx context.Context, tenant, actionID, versionID string) (ActionVersion, error)
	// ListActionVersions returns an Action's versions, newest first;
	// ErrNotFound when the Action does not exist.
	ListActionVersions(ctx context.Context, tenant, actionID string, p Page) ([]ActionVersion, int, error)

	// ListActionBindings returns a trigger's bindings in execution order.
	ListActionBindings(ctx context.Context, tenant, triggerID string) ([]ActionBinding, error)
	// SetActionBindings replaces a trigger's bindings with list, in that
	// order. Every Action must exist (ErrNotFound); a binding ID twice in
	// the tenant is ErrConflict. Tenant and TriggerID are set from the
	// arguments.
	SetActionBindings(ctx context.Context, tenant, triggerID string, list []ActionBinding) error

	// ListBoundActions returns what the token path runs: every trigger's
	// bindings whose Action has a deployed version, with that version,
	// triggers in name order and each trigger's bindings in execution
	// order (the Catalog's BoundActions, read alone).
	ListBoundActions(ctx context.Context, tenant string) ([]BoundAction, error)
}
