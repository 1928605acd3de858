// Package layout holds tests of the repository itself rather than of a
// package: every Go package has a doc.go, and the package map in
// docs/architecture.md names every package and nothing that is gone. A
// package added without them fails `make test-unit`, so the map a
// newcomer reads stays true.
package layout
