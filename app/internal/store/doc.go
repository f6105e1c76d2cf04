// Package store is the application's data in PostgreSQL: the visits table
// that base/batch/migrations/001_visits.sql creates. It holds a handful of
// connections of its own (no pool library: the module does not carry one)
// and never retries beyond replacing one stale idle connection, so a
// request's deadline is what bounds it.
package store
