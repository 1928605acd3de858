// Package npm installs the npm dependencies of hooks (issue 13 items 1, 2)
// and chooses the runtime a hook needs.
//
// Installation runs the machine's own npm CLI, so the registry, proxy and
// .npmrc authentication it is configured with apply unchanged
// (--npm-registry overrides only the registry). It happens when a hook is
// saved, never on the token path:
//
//   - npm install --ignore-scripts --no-audit --no-fund runs in a fresh
//     temporary directory under <data dir>/npm; install scripts never run.
//   - The resulting lockfile names the tree: its hash is the SHA-256 of the
//     resolved set (every package path, version and integrity), so hooks
//     with the same dependencies share one tree and a restart finds it.
//   - A package that needs a native build (binding.gyp, "gypfile", or an
//     install script that runs node-gyp and friends) is refused by name;
//     without its build it could not work, and hooks may not load addons.
//   - A tree larger than MaxBytes (64 MB by default) is refused.
//   - Only a complete, checked tree is renamed (atomically) into
//     <data dir>/npm/<hash>; anything else is removed, so nothing
//     half-installed is ever used.
//
// The lockfile is kept in the database (storage.PutNPMLockfile). Another
// replica, or this one after losing its data directory, runs npm ci from
// that lockfile (Ensure) rather than resolving again, so every replica runs
// exactly the same package versions. Trees does that in the background for
// the token path: asking for a tree that is not installed yet starts its
// installation and answers ErrNotReady at once.
//
// npm's own error messages (unknown package, no such version) are returned
// as *Error for the Management API to show; URL credentials and auth
// tokens are removed from them first.
package npm
