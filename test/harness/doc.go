// Package harness is the one way tests start dinhdanh nodes, and drives them
// the way people and applications do.
//
// A node starts in one of two modes, both returning the same [Server]
// handle (base URL, issuer, configuration, the command line, the fixtures,
// Restart and Kill, the log, a stop registered with t.Cleanup):
//
//   - [Start] runs the real binary as a process;
//   - [StartInProcess] assembles the node through server/app in the test
//     process and serves it on a loopback listener, configured from the
//     same DINHDANH_* variables (read with config.Load). [Server.App] is the
//     assembled node and [Server.Admin] its administration service, for
//     tests that look at the state behind the HTTP answers;
//     [WithMiddleware] wraps its handler.
//
// By default a node has a SQLite data directory of its own. Nodes started
// [WithBackend] share a [Backend] as the nodes of a deployment do:
// [SharedSQLite] (one data directory) or [SharedPostgresRedis] (a migrated
// PostgreSQL schema and Redis, from test/services), the seal key, and the
// issuer, which is the first node's URL ([Server.Base] is each node's own).
//
// Flow of a process: [Start] builds ./cmd/dinhdanh once per test process, starts
// "dinhdanh serve" on a free loopback port with a fresh data directory
// (configured only through DINHDANH_* environment variables, as an operator
// would), waits for /health/ready and stops the process when the test ends,
// writing its log into the test output when the test failed. The
// administrative commands run against the same data directory through
// [Server.CLI], with helpers for the usual fixtures: clients, citizens,
// officials and business links. [Server.Restart] stops the process and
// starts a new one on the same data directory and address, as an
// operator's restart does.
//
// A [Browser] keeps its own cookies and follows redirects only within the
// identity provider's origin: a redirect to anywhere else (an application's
// redirect URI) ends the navigation and is returned, so a test sees the code
// or the error exactly as the application would receive it. Pages are read
// with a small HTML tokenizer: forms (with their hidden fields, such as the
// CSRF token and the flow id) are filled and submitted like a browser does.
//
// Servers let officials and administrators log in with a password alone
// unless [WithDefaultAssurance] keeps the product's policy (a second factor
// for them); [WithLocalhostIssuer] serves from http://localhost:PORT, the
// secure context with a domain name that WebAuthn needs.
//
// What only a configuration file can set (lists of sections such as trust
// anchors) comes with [WithConfigFile]. A Browser can also act for a second
// listener of the identity provider ([Browser.AddOrigin]), present a TLS
// client certificate ([Browser.UseTLS]), connect from another loopback
// address and send a reverse proxy's headers ([Browser.UseLocalAddress],
// [Browser.Header]). [Server.Audit] reads the audit log.
//
// Use [RunTests] from TestMain to remove the built binary afterwards (an
// in-process node builds it too, the first time [Server.CLI] runs).
package harness
