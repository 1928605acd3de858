// Package config is the one typed configuration tree of `tokenhook serve`.
// Every field has a flag and a TOKENHOOK_* environment variable (the flag
// wins when both are given); the comments on Config are the reference that
// docs/configuration.md repeats. Validate reports every problem at once.
package config
