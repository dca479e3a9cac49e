// Package app assembles a dinhdanh node from its configuration: it opens the
// stores, loads the seal key and the signing keys, composes the OAuth
// provider, the login flow, the account console and the shared web steps,
// and mounts them on one http.Handler. Background work (key-set reload,
// purging expired state, checking the backends) runs until the context ends.
//
// Backends (backends.go): durable state in SQLite (the default, migrated at
// start) or PostgreSQL (migrated only by "dinhdanh migrate"; a node refuses
// another schema version); ephemeral state in Redis when configured, else in
// the same database. While a backend does not answer, every request that
// needs one gets 503 (JSON for the API, a page for people), /health/ready
// says which backend is unreachable, /health/live stays up, and the node
// serves again by itself once the backend answers.
package app
