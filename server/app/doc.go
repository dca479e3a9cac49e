// Package app assembles a dinhdanh node from its configuration: it opens the
// stores, loads the seal key and the signing keys, composes the OAuth
// provider, the login flow, the account console and the shared web steps,
// and mounts them on one http.Handler. Background work (key-set reload,
// purging expired state, checking the backends) runs until the context ends.
//
// Configuration becomes components here and nowhere else (services.go): the
// stores, the seal key, the signing keys and their signer, SSO sessions,
// the logout service, the brute-force guard and the password hasher are
// made by one function for a serving node (New) and for the command line
// (Open, which starts no background work and creates no signing key), and
// Services.Admin gives the administrative operations over them. So a
// session ended from the command line is ended, and its back-channel logout
// token signed, exactly as one ended on a node.
//
// Backends (backends.go): durable state in SQLite (the default, migrated at
// start) or PostgreSQL (migrated only by "dinhdanh migrate"; a node refuses
// another schema version); ephemeral state in Redis when configured, else in
// the same database. While a backend does not answer, every request that
// needs one gets 503 (JSON for the API, a page for people), /health/ready
// says which backend is unreachable, /health/live stays up, and the node
// serves again by itself once the backend answers.
package app
