// Package sqlitetest gives tests a migrated SQLite database file of their
// own: a copy of one template that the real migrations built once per test
// binary (storagetest.FileTemplate), so a test's sqlstore.Open finds every
// migration applied instead of running them all again. The tests still
// drive real SQLite through sqlstore; only the repeated schema build is
// gone. The migrations themselves stay tested by the template's build and
// by sqlstore's own tests.
package sqlitetest
