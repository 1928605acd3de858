// Package storagetest is the conformance suite for storage.Storage: every
// rule of the contract (not-found and conflict errors, read-modify-write
// updates, cascades, tenant isolation, hook exclusivity, secrets, log
// paging, the catalog snapshot and change notification) pinned as
// behaviour, so each backend proves itself by running Run rather than by
// its own ad-hoc tests. Fixtures use fixed instants, never the wall clock,
// and each area gets a fresh store so a failure names one rule. Delivery of
// changes is asynchronous on some backends, so notification tests wait with
// a deadline and use a "barrier" write to prove that something did NOT
// arrive, instead of sleeping.
package storagetest
