// Package app assembles a dinhdanh node from its configuration: it opens the
// stores, loads the seal key and the signing keys, composes the OAuth
// provider, the login flow, the account console and the shared web steps,
// and mounts them on one http.Handler. Background work (key-set reload,
// purging expired state) runs until the context ends.
package app
