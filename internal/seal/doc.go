// Package seal encrypts secrets at rest (client secrets, signing keys, hook
// secrets) with AES-256-GCM under the master key. The master key comes from
// TOKENHOOK_MASTER_KEY or is generated once into the data directory with
// mode 0600. Sealed values carry a version byte so the scheme can change.
package seal
