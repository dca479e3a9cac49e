// Package store declares what dinhdanh keeps and the contracts every backend
// honours. Durable data (accounts, clients, consents, refresh-token families,
// signing keys, the audit log) lives behind Store; short-lived state (login
// flows, SSO sessions, authorization codes, PKCE/OIDC requests, opaque
// access-token records, brute-force counters) lives behind Ephemeral, where
// everything expires by itself.
//
// Backends live in subpackages: sqlstore (SQLite, the embedded default, and
// PostgreSQL, with the same statements) for both, and redisstore (one Redis
// server, Sentinel or Cluster) for Ephemeral. The conformance subpackage is
// the one suite every backend passes.
//
// # Dependencies
//
// The contracts depend on nothing above them: of the module, this package
// and its subpackages import server/identity only (the account model, which
// imports nothing of the module), and they import no OAuth or JOSE library
// (no fosite, no go-jose). What is stored for the protocol is plain data:
// a Client is a record, a SigningKey holds its public JWK as JSON bytes, a
// fosite request is kept as the bytes of a Record or a RefreshToken. The
// adapter to fosite's storage interfaces, and the parsing of keys, live above
// in server/oauth and server/keys. TestContractImports keeps it so.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// ErrNotFound is returned when the requested item does not exist (or has expired).
var ErrNotFound = errors.New("store: not found")

// ErrAlreadyUsed is returned when a single-use item was consumed before.
var ErrAlreadyUsed = errors.New("store: already used")

// ErrChanged is returned by a compare-and-set write when the item changed
// since the caller read it: the caller reads it again and retries, or gives up.
var ErrChanged = errors.New("store: changed since read")

// ConflictError is returned when a write would break a uniqueness rule.
// Field names the identifier that is taken: "personal_id", "email", "phone",
// "username", "client_id", "tax_code", "representation".
type ConflictError struct{ Field string }

func (e *ConflictError) Error() string { return "store: " + e.Field + " already exists" }

// IsConflict reports whether err is a ConflictError and returns its field.
func IsConflict(err error) (string, bool) {
	var c *ConflictError
	if errors.As(err, &c) {
		return c.Field, true
	}
	return "", false
}

// Store is the durable part of dinhdanh's state.
type Store interface {
	Accounts
	Businesses
	Clients
	Consents
	SigningKeys
	RefreshTokens
	SessionRefreshTokens
	SessionIndex
	LogoutQueue
	Audit
	CertificateBindings
	DirectorySync
	Credentials
	UpstreamLinks
	AdminRoles
	Outbox
	AdminViews
	PersonalData
	TokenRevocations
	// Ping reports whether the backend can be reached.
	Ping(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error
}

// Accounts holds people: one account per person, whatever capacities they have.
type Accounts interface {
	// CreateAccount inserts a new account with an optional password hash ("" for none).
	// A taken personal ID, email, phone or official username is a *ConflictError.
	CreateAccount(ctx context.Context, a *identity.Account, passwordHash string) error
	// UpdateAccount replaces the account's profile fields (not its password)
	// and sets a.UpdatedAt. Every write of an account (this, UpdateAccountIf,
	// SetPasswordHash, ProvePersonalID, …) gives it an UpdatedAt later than
	// the one it had, even within one millisecond.
	UpdateAccount(ctx context.Context, a *identity.Account) error
	// UpdateAccountIf is UpdateAccount on condition that the account was last
	// updated at ifUpdatedAt (its UpdatedAt as read, to the millisecond): when
	// it changed since, it changes nothing and returns ErrChanged, and the
	// caller reads the account again and re-applies its change. Of concurrent
	// writers that read the same account, exactly one succeeds. ErrNotFound:
	// no such account; a taken identifier is a *ConflictError. a.UpdatedAt is
	// set only on success.
	UpdateAccountIf(ctx context.Context, a *identity.Account, ifUpdatedAt time.Time) error
	// GetAccount returns the account with the subject id, or ErrNotFound.
	GetAccount(ctx context.Context, id string) (*identity.Account, error)
	// FindAccount returns the account holding the identifier of the given kind, or ErrNotFound.
	FindAccount(ctx context.Context, kind IdentifierKind, value string) (*identity.Account, error)
	// ListAccounts returns accounts matching the filter, ordered by creation
	// time (milliseconds), then by id.
	ListAccounts(ctx context.Context, f AccountFilter) ([]*identity.Account, error)
	// PasswordHash returns the account's encoded password hash, or ErrNotFound when it has none.
	PasswordHash(ctx context.Context, accountID string) (string, error)
	// SetPasswordHash stores a new encoded password hash for the account.
	SetPasswordHash(ctx context.Context, accountID, hash string) error
	// ProvePersonalID gives the personal ID pid, proven by proof (whose State
	// must be verified), to the account accountID, atomically: whoever proves
	// an ID gets it. Another account that holds pid unproven loses it (its
	// PersonalID becomes "" and its Proofing the zero value) and displaced is
	// that account's ID ("" when none held it). It fails with
	// *ConflictError{"personal_id"}, changing nothing, when another account
	// holds pid proven, or when accountID holds another personal ID proven; an
	// unproven other ID of accountID is replaced. ErrNotFound: no account
	// accountID. Accounts persist Proofing with PersonalID (CreateAccount,
	// UpdateAccount); an account without a personal ID keeps no proof, and an
	// unproven ID reads back as the zero Proofing.
	ProvePersonalID(ctx context.Context, accountID string, pid identity.PersonalID, proof identity.Proofing) (displaced string, err error)
}

// IdentifierKind names a way of finding an account.
type IdentifierKind string

// The identifiers an account can be found by.
const (
	ByPersonalID IdentifierKind = "personal_id"
	ByEmail      IdentifierKind = "email"
	ByPhone      IdentifierKind = "phone"
	ByUsername   IdentifierKind = "username" // an official's login name
)

// AccountFilter narrows ListAccounts. Zero values do not filter; the
// conditions that are set must all hold.
type AccountFilter struct {
	Capacity identity.Capacity // "" = every account
	// Query matches accounts whose name, email, phone or official username
	// contains it, compared without case, diacritics (đ is d) or repeated
	// spaces; whose personal ID starts with it (a query of digits); or whose
	// phone is the number it writes in any form NormalizePhone accepts
	// ("0901 111 111" finds "+84901111111"). A query of several words is
	// found in a name as a phrase: its words in that order, each a whole
	// word of the name but the last, which may begin one ("nguyen van a" and
	// "van a" find "Nguyễn Văn Anh"; "uyen van" and "a van" do not); a query
	// of one word is found anywhere, inside a word too ("guyen").
	// A query of blanks does not filter.
	Query string
	// Agency keeps the officials of this agency (identity.Official.Agency,
	// exactly); "" does not filter.
	Agency string
	// Agencies, when not nil, keeps the officials of one of these agencies;
	// an empty, non-nil list keeps nobody, and "" in it names no agency.
	Agencies []string
	// After is a cursor (AccountCursor) of the last account of the previous
	// page: only accounts after it in the order of the list are returned.
	// Unlike Offset, it neither skips nor repeats accounts when others are
	// created meanwhile, and a deep page costs what the first does. A
	// malformed cursor is ErrBadCursor.
	After  string
	Limit  int // 0 = 100
	Offset int // applied after After
}

// Businesses holds organisations and the people who represent them.
type Businesses interface {
	// PutBusiness inserts or renames a business.
	PutBusiness(ctx context.Context, b *identity.Business) error
	// GetBusiness returns the business with the tax code, or ErrNotFound.
	GetBusiness(ctx context.Context, code identity.TaxCode) (*identity.Business, error)
	// AddRepresentation links an account to a business; an existing link is a *ConflictError.
	AddRepresentation(ctx context.Context, r *identity.Representation) error
	// RemoveRepresentation removes the link, or returns ErrNotFound.
	RemoveRepresentation(ctx context.Context, accountID string, code identity.TaxCode) error
	// Representations returns the businesses the account may act for.
	Representations(ctx context.Context, accountID string) ([]*identity.Representation, error)
}

// Clients holds registered applications.
type Clients interface {
	// CreateClient inserts a client; a taken id is a *ConflictError.
	CreateClient(ctx context.Context, c *Client) error
	// GetClient returns the client, or ErrNotFound.
	GetClient(ctx context.Context, id string) (*Client, error)
	// ListClients returns every client ordered by id.
	ListClients(ctx context.Context) ([]*Client, error)
	// UpdateClient replaces a client's settings, including its secret hash.
	UpdateClient(ctx context.Context, c *Client) error
	// DeleteClient removes the client with its consents and refresh tokens, or returns ErrNotFound.
	DeleteClient(ctx context.Context, id string) error
}

// Consent is a person's remembered decision to release scopes to a client.
type Consent struct {
	AccountID string
	ClientID  string
	Scopes    []string
	GrantedAt time.Time
}

// Consents holds remembered consent decisions.
type Consents interface {
	// GetConsent returns the decision, or ErrNotFound.
	GetConsent(ctx context.Context, accountID, clientID string) (*Consent, error)
	// PutConsent stores (replaces) a decision.
	PutConsent(ctx context.Context, c *Consent) error
	// RevokeConsent removes a decision, or returns ErrNotFound.
	RevokeConsent(ctx context.Context, accountID, clientID string) error
	// ListConsents returns the account's decisions ordered by client.
	ListConsents(ctx context.Context, accountID string) ([]*Consent, error)
}

// SigningKey is one key of the server's key set. The private key is sealed
// (AES-256-GCM) by the caller before it reaches the store.
type SigningKey struct {
	ID            string // kid
	Algorithm     string // RS256, ES256, EdDSA
	Use           string // "sig"
	SealedPrivate []byte
	PublicJWK     []byte // the public JWK as JSON
	CreatedAt     time.Time
	// RetiredAt is when the key stopped signing (zero while current).
	RetiredAt time.Time
	// ExpiresAt is when the key stops being published (zero while it may still verify tokens).
	ExpiresAt time.Time
}

// SigningKeys holds the key set shared by every node.
type SigningKeys interface {
	// ListSigningKeys returns every key not yet expired at now, newest first.
	ListSigningKeys(ctx context.Context, now time.Time) ([]*SigningKey, error)
	// AddSigningKey inserts a key.
	AddSigningKey(ctx context.Context, k *SigningKey) error
	// RetireSigningKeys marks every current key of the algorithm retired at t and unpublished from expires.
	RetireSigningKeys(ctx context.Context, algorithm string, t, expires time.Time) error
}

// RefreshToken is the durable record of one refresh token of a token family.
// A family is all the refresh tokens issued from one authorization (same RequestID).
type RefreshToken struct {
	Signature       string
	RequestID       string
	AccessSignature string
	ClientID        string
	Subject         string
	SessionID       string // the SSO session it was issued through
	// TaxCode is the business the family acts for (the tax code of the
	// session it was issued from), or "" when the person acts for themselves.
	TaxCode string
	// Offline marks offline_access tokens, which outlive the SSO session.
	Offline bool
	Active  bool
	// RotatedAt, Successor and SuccessorSeal are set on a token that
	// RotateRefreshToken rotated away: when, the successor's signature, and
	// the successor token sealed by the caller (next.Handover); zero for a
	// token never rotated. Ignored when writing.
	RotatedAt     time.Time
	Successor     string
	SuccessorSeal []byte
	// Handover, on the next token given to RotateRefreshToken, is stored on
	// the rotated token as its SuccessorSeal; it is not stored with next.
	Handover  []byte
	Request   []byte // the serialised request
	ExpiresAt time.Time
	CreatedAt time.Time

	// Read by GetRefreshToken in the same query as the token, so that a
	// refresh need not read the account again; ignored when writing.
	// SubjectDisabled: the account of Subject is locked. SubjectMissing: no
	// account has the id Subject (it was deleted, or the token has none).
	SubjectDisabled bool
	SubjectMissing  bool
}

// RefreshTokens holds refresh-token families.
type RefreshTokens interface {
	// CreateRefreshToken inserts an active refresh token.
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// GetRefreshToken returns the token (active or not), or ErrNotFound.
	GetRefreshToken(ctx context.Context, signature string) (*RefreshToken, error)
	// DeleteRefreshToken removes one token.
	DeleteRefreshToken(ctx context.Context, signature string) error
	// DeactivateRefreshToken atomically marks an active token inactive. It returns
	// ErrAlreadyUsed when the token was already inactive (a concurrent rotation or
	// a reuse), ErrNotFound when it does not exist.
	DeactivateRefreshToken(ctx context.Context, signature string) error
	// RotateRefreshToken atomically marks the active token signature inactive
	// and inserts next, its successor: both happen or neither. The rotated
	// token records the rotation (RotatedAt, now; Successor, next.Signature;
	// SuccessorSeal, next.Handover) in the same write. It returns
	// ErrAlreadyUsed when the token was already inactive, ErrNotFound when it
	// does not exist; next is then not inserted.
	RotateRefreshToken(ctx context.Context, signature string, next *RefreshToken) error
	// RevokeRefreshTokenFamily marks every token of the family inactive.
	RevokeRefreshTokenFamily(ctx context.Context, requestID string) error
	// RevokeRefreshTokensOfSubject marks every token of the subject inactive:
	// those issued to clientID, or to every client when clientID is "" (account
	// locked, password reset, consent withdrawn).
	RevokeRefreshTokensOfSubject(ctx context.Context, subject, clientID string) error
	// RevokeRefreshTokensOfBusiness marks inactive every token of the subject
	// that acts for the business taxCode (its TaxCode), at every client; the
	// subject's other tokens stay as they are (representative unlinked).
	RevokeRefreshTokensOfBusiness(ctx context.Context, subject, taxCode string) error
	// DeleteExpiredRefreshTokens removes tokens expired before t and returns how many.
	DeleteExpiredRefreshTokens(ctx context.Context, t time.Time) (int64, error)
}

// AuditEvent is one line of the audit log.
type AuditEvent struct {
	ID       int64
	Time     time.Time
	Type     string // e.g. "login.success", "login.failure", "account.lock", "client.create"
	Actor    string // subject or "cli" or "system"
	Subject  string // the account concerned, if any
	ClientID string
	Address  string
	Details  map[string]string
	// PrevHash and Hash chain the event to the one before it (see
	// AuditHash); set by AppendAudit. Both are "" on events written before
	// the log was chained.
	PrevHash string
	Hash     string
}

// Audit is the append-only audit log, a hash chain (see AuditChain).
type Audit interface {
	// AppendAudit writes an event as the chain's next link and sets its ID,
	// PrevHash and Hash; Time defaults to now. Appends from any number of
	// processes and nodes over one database form one chain.
	AppendAudit(ctx context.Context, e *AuditEvent) error
	// ListAudit returns the latest events, newest first; subject "" lists all.
	ListAudit(ctx context.Context, subject string, limit int) ([]*AuditEvent, error)
	// SearchAudit returns the events matching f, newest first (by ID
	// descending), at most f's limit. An invalid f (see AuditFilter.Validate)
	// gives an error wrapping ErrInvalidAuditFilter and no events.
	SearchAudit(ctx context.Context, f AuditFilter) ([]*AuditEvent, error)
	// AuditChain returns where the chain starts and ends.
	AuditChain(ctx context.Context) (AuditChain, error)
	// AuditAfter returns up to limit events with an ID greater than after,
	// oldest first: the order in which the chain is verified.
	AuditAfter(ctx context.Context, after int64, limit int) ([]*AuditEvent, error)
	// DeleteAuditBefore removes the oldest events, in ID order, up to the
	// first one written at or after t (a retention period's cut-off), and
	// returns how many it removed. The hash of the last event removed becomes
	// the chain's anchor, so that the chain stays verifiable from the oldest
	// event kept.
	DeleteAuditBefore(ctx context.Context, t time.Time) (int64, error)
}

// The administrative roles (see server/admin for what each may do).
const (
	RoleSuperAdmin  = "super_admin"
	RoleAgencyAdmin = "agency_admin"
	RoleHelpdesk    = "helpdesk"
	RoleAuditor     = "auditor"
)

// RoleGrant is one administrative role an account holds in an agency.
type RoleGrant struct {
	AccountID string
	Role      string // RoleSuperAdmin, RoleAgencyAdmin, RoleHelpdesk or RoleAuditor
	// Agency is the agency's code; "" is the whole province (every agency).
	Agency string
	// SubUnits extends the role to the agency's sub-units.
	SubUnits  bool
	GrantedBy string // the subject of the granting administrator, or "cli"
	GrantedAt time.Time
}

// AdminRoles holds who may administer what. An account is an administrator
// (identity.Account.Admin, as every account read reports it) exactly when it
// holds at least one role. CreateAccount of an account whose Admin is set
// grants it RoleSuperAdmin over the whole province in the same write.
type AdminRoles interface {
	// GrantRole adds the grant. ErrNotFound: no account g.AccountID. A grant
	// of the same role in the same agency is a *ConflictError{"role"}.
	GrantRole(ctx context.Context, g *RoleGrant) error
	// RevokeRole removes the account's role in the agency, or returns ErrNotFound.
	RevokeRole(ctx context.Context, accountID, role, agency string) error
	// RolesOf returns the account's grants ordered by role and agency.
	RolesOf(ctx context.Context, accountID string) ([]*RoleGrant, error)
	// ListRoleGrants returns the grants in the agency ("" = every grant).
	ListRoleGrants(ctx context.Context, agency string) ([]*RoleGrant, error)
}

// RecordKind separates the namespaces of ephemeral records.
type RecordKind string

// The kinds of ephemeral records.
const (
	KindAuthorizeCode RecordKind = "code"
	KindPKCE          RecordKind = "pkce"
	KindOIDC          RecordKind = "oidc"
	KindAccessToken   RecordKind = "at"
	KindPAR           RecordKind = "par"
	KindLoginFlow     RecordKind = "flow"
	KindSSOSession    RecordKind = "sso"
	KindClientJTI     RecordKind = "jti"
)

// Record is one ephemeral item.
type Record struct {
	Key       string
	RequestID string // groups records of one authorization, for revocation; may be ""
	Subject   string // groups records of one person, for "end every session"; may be ""
	Data      []byte
	Used      bool // for single-use items that must still be readable after use
	ExpiresAt time.Time
}

// Ephemeral is the short-lived state. Every record has an expiry after which it
// is gone; single-use operations are atomic across nodes.
type Ephemeral interface {
	// PutRecord inserts or replaces a record.
	PutRecord(ctx context.Context, kind RecordKind, r *Record) error
	// GetRecord returns the record, or ErrNotFound when missing or expired.
	GetRecord(ctx context.Context, kind RecordKind, key string) (*Record, error)
	// TakeRecord returns and deletes the record atomically: of several concurrent
	// callers exactly one gets it, the others get ErrNotFound.
	TakeRecord(ctx context.Context, kind RecordKind, key string) (*Record, error)
	// MarkRecordUsed atomically marks an unused record used. It returns
	// ErrAlreadyUsed if it was used before and ErrNotFound if missing.
	MarkRecordUsed(ctx context.Context, kind RecordKind, key string) error
	// CompareAndSwapRecord replaces the live record old.Key with r (r.Key
	// must equal old.Key) only when it is still exactly old, as GetRecord
	// returned it (data, used flag, expiry): of concurrent callers that read
	// the same record, exactly one succeeds and the others get ErrChanged. It
	// never creates a record: a missing or expired one gives ErrNotFound.
	CompareAndSwapRecord(ctx context.Context, kind RecordKind, old, r *Record) error
	// DeleteRecord removes a record; a missing one is not an error.
	DeleteRecord(ctx context.Context, kind RecordKind, key string) error
	// DeleteRecordsByRequest removes every record of the kind with the request id.
	DeleteRecordsByRequest(ctx context.Context, kind RecordKind, requestID string) error
	// ReplaceRequestRecords puts r as the only record of the kind under its
	// request id: the others are deleted (DeleteRecordsByRequest, then
	// PutRecord, in fewer round trips where the backend can).
	ReplaceRequestRecords(ctx context.Context, kind RecordKind, r *Record) error
	// RecordsBySubject returns the live records of the kind for the subject.
	RecordsBySubject(ctx context.Context, kind RecordKind, subject string) ([]*Record, error)
	// Hit adds one to the counter key within a window starting at its first hit
	// and returns the new count.
	Hit(ctx context.Context, key string, window time.Duration) (int64, error)
	// Count returns the counter's current value (0 when absent or expired).
	Count(ctx context.Context, key string) (int64, error)
	// Counts returns the current values of several counters, in the order of
	// keys (0 for one absent or expired), read together.
	Counts(ctx context.Context, keys ...string) ([]int64, error)
	// ResetCounter removes the counter.
	ResetCounter(ctx context.Context, key string) error
	// Unhit takes one back from the counter key, atomically: it gives back a
	// hit that reserved a try which was then refused or not counted. It never
	// goes below zero and leaves the window as it is (a counter at zero still
	// ends when its window ends, and a hit before then continues that window);
	// on an absent or expired counter it does nothing.
	Unhit(ctx context.Context, key string) error
	// PurgeExpired removes expired items and returns how many.
	PurgeExpired(ctx context.Context, now time.Time) (int64, error)
	Leases
}

// Leases are named locks with an expiry, held by one holder at a time across
// nodes: a node that stops renewing its lease loses it when it expires.
type Leases interface {
	// AcquireLease takes the lease name for holder until ttl from now, when
	// nobody holds it, its holder's time has run out, or holder holds it
	// already (then the lease is renewed). It reports whether holder now
	// holds the lease; of several concurrent callers for a free lease,
	// exactly one gets it.
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up when holder holds it; otherwise it does
	// nothing.
	ReleaseLease(ctx context.Context, name, holder string) error
}
