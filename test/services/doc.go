// Package services starts throwaway PostgreSQL and Redis servers for tests:
// real engines on free loopback ports, with their data in temporary
// directories that are removed afterwards.
//
// Three ways to use them:
//
//   - Shared: Postgres(t) returns the URL of a fresh, empty database and
//     Redis(t), RedisCluster(t) and RedisSentinel(t) the addresses of one
//     deployment of each kind, started by the first test that asks and
//     reused by the rest of the test binary. Tests isolate themselves by
//     database (PostgreSQL) or key prefix (Redis). Call Run from TestMain so
//     that the shared servers are stopped when the tests end; without it each
//     call starts servers of its own, stopped when its test ends.
//   - Dedicated: StartPostgres(t) and StartRedis(t) return a server of the
//     test's own, which the test may stop and start again (an outage, a
//     restart that loses Redis's data) and which is stopped when it ends.
//   - Outside a test (a benchmark command): LaunchPostgres and LaunchRedis
//     return a server that the caller stops with Close, which also removes
//     its directory. LaunchPostgres(true) gives PostgreSQL the durability
//     settings of production (fsync and synchronous_commit on), which the
//     tests' servers go without.
//
// PostgreSQL runs as an unprivileged user (initdb refuses root): when the
// tests run as root, as the user "dinhdanh-test", created when missing. The
// binaries come from the Debian packages postgresql and redis-server, which
// install.sh installs (make test runs it first). When they are missing a test
// that needs them is skipped with a message saying so, or fails when the CI
// environment variable is set: in CI a missing engine is an error, never a
// silent skip. LaunchPostgres and LaunchRedis return a *MissingError then.
package services
