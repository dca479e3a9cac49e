package store

// KindPasswordReset is the ephemeral record kind of a password reset asked
// for at the login page: keyed by the reset's random ticket, it holds the
// account (none for a contact of no eligible account) and a hash of the
// one-time code; taken once (TakeRecord) by the code that sets the password.
const KindPasswordReset RecordKind = "pw_reset"
