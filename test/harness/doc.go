// Package harness runs the real dinhdanh binary for end-to-end tests and
// drives it the way people and applications do.
//
// Flow: [Start] builds ./cmd/dinhdanh once per test process, starts
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
// Use [RunTests] from TestMain to remove the built binary afterwards.
package harness
