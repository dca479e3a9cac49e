// Package directory connects dinhdanh to LDAP staff directories (a
// province-wide Active Directory, OpenLDAP servers of departments and
// districts): officials log in with their directory password, and their
// accounts, agencies, groups and roles follow the directories.
//
// # Connections
//
// Each configured URL of a directory is a server with two pools of open
// connections: search connections, bound once as the service account, and
// bind connections, which carry people's password binds. A connection is
// opened through an injectable Dialer within connect_timeout: TCP, then TLS
// (ldaps://) or StartTLS (ldap://; a connection whose StartTLS failed is
// closed, never pooled), then the service bind. Every later operation is
// bounded by timeout and by the caller's context (the connection is closed
// when the context ends). A connection idle for more than 30 seconds is
// checked with a read of the root DSE before reuse. When a server cannot be
// reached (or a reused connection breaks and a new one fails too) the next
// URL is tried, and the failed server is tried last for 30 seconds. A
// service bind that did not answer within connect_timeout is an outage.
//
// # Circuit breaker
//
// Each directory (all its URLs together) has a circuit breaker on each node
// ([Directory.Breaker]): after breaker.failures consecutive requests failed
// (every server unreachable, or the caller's deadline ran out while waiting)
// it opens, and requests fail at once with [ErrBreakerOpen], which wraps
// [ErrUnreachable], for breaker.cool_down. Then it is half-open: one request
// probes the directory while the others still fail at once; an answer of any
// kind (a wrong password too) closes it, a failure opens it again. A request
// whose caller went away counts for nothing. Opening and closing are logged.
//
// # Login
//
// [Set.Authenticate] implements authn.DirectoryAuthenticator:
//
//  1. The input is trimmed and put in Unicode NFC. A 12-digit personal ID is a
//     citizen's (handled=false). "DOMAIN\user" and "user@domain" with a
//     configured domain pick one directory. An e-mail address or a phone
//     number of an account no directory provisioned is that local account's
//     (handled=false, no directory asked: a directory that is down costs
//     citizens nothing); one of a directory's account puts that directory
//     first. Otherwise the directories linked to an account with that
//     username come first, then the configured order. The directories' part
//     of a login has its own deadline (Options.LoginTimeout) within the
//     caller's.
//  2. An empty password is a wrong password, decided before any request (an
//     empty password is an unauthenticated bind that most servers accept).
//  3. Each directory is searched as the service account with the filter of
//     [Directory.UserFilter]: the input enters the filter through
//     ldap.EscapeFilter exactly once, there. Exactly one entry must match;
//     several are refused. No entry in any directory is handled=false, so
//     that local accounts are tried, unless a directory could not be searched
//     and the input is no local account's: then it is an outage.
//  4. The entry's DN is bound with the password, with the password-policy
//     request control. Invalid credentials are a wrong password (ok=false, no
//     error). ppolicy's accountLocked and Active Directory's disabled,
//     locked and expired sub-codes (data 533, 775, 701, …) are
//     authn.ErrAccountDisabled; passwordExpired, changeAfterReset and AD's
//     532 and 773 are authn.ErrPasswordExpired. A server that is down is
//     authn.ErrUnavailable after every URL was tried.
//  5. The person's groups come from the group index (every group, read with
//     one paged search and kept for a minute), nested groups followed with a
//     visited set so that a cycle ends; roles are mapped from group names; a
//     required group not among them, userAccountControl's disable or lockout
//     bit, or pwdAccountLockedTime make the entry disabled.
//  6. The account is provisioned: created on first login or updated (name,
//     e-mail, phone, agency, department, title, groups, roles).
//     Official.Directory is the directory's name and Official.Username the
//     username attribute's value in lower case. It is never merged into an
//     existing account with the same personal ID, proven or not: the
//     official gets an account of its own without that ID (a matching
//     number proves nothing about who holds either password). An
//     authoritative directory (personal_id_authoritative) then proves the
//     ID for the official through the Locker: an account that only asserted
//     it loses it, with its sessions and tokens; one that proved it keeps
//     it, and the refusal is audited (directory.personal_id_refused).
//
// # Synchronisation
//
// [Set.Sync] (the command "dinhdanh directory sync NAME" and the schedule of
// [Set.Run]) reads the directory with paged searches: every entry in a full
// run, or the entries whose modifyTimestamp / whenChanged is at or after the
// stored cursor in an incremental run (a group changed since the cursor
// makes the run full, since membership lives in groups). Each entry goes
// through the same provisioning as a login. A full run disables, through
// the Locker (admin.Service: sessions ended, refresh tokens revoked), every
// account whose entry is gone; entries disabled in the directory are
// disabled the same way, and enabled again when the directory enables them
// (only accounts a directory disabled, never one an administrator locked).
// The cursor (the greatest modified value seen) is stored durably through
// store.DirectorySync.
//
// Two safeties guard a run ([Set.SyncWith]). A full run that would disable
// more than sync.max_disable_percent of the enabled accounts because their
// entries are gone, or any when the search returned nobody (an empty or
// truncated answer without an error looks exactly like that), changes
// nothing and returns a [TooManyGoneError], logged and audited
// (directory.sync_refused); Force applies it (directory.sync_forced). And one
// node at a time synchronises a directory: the run holds the lease
// "directory-sync:<name>" of store.Leases, renewed every 40 seconds and
// expiring 2 minutes after its holder stops; a run that finds it held
// returns [ErrSyncRunning] and does nothing. A run that loses its lease stops.
//
// Lists and searches of officials read dinhdanh's database, never a
// directory.
package directory
