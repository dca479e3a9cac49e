package store

// KindContactVerification holds a pending change of a person's email or
// phone number: the new contact and its one-time code (sealed by the
// caller), keyed by account and channel ("<account id>:email"), with the
// account as Subject. The account keeps its old contact until the code is
// entered; a new request for the channel replaces the record, and the
// record that verifies is consumed with CompareAndSwapRecord (marked used),
// so that one code verifies once.
const KindContactVerification RecordKind = "contact_verify"
