package identity

import (
	"crypto/rand"
	"encoding/base32"
	"slices"
	"strings"
	"time"
)

// Capacity is the capacity in which a person uses a session: as a citizen or
// as an official. It is released as the "account_kind" claim.
type Capacity string

// The capacities of an account; see [Account.Capacities].
const (
	// CapacityCitizen is a person acting as a citizen (công dân), possibly for
	// a business; the account has a PersonalID.
	CapacityCitizen Capacity = "citizen"
	// CapacityOfficial is a person acting as an official (cán bộ, công chức,
	// viên chức); the account has an Official record.
	CapacityOfficial Capacity = "official"
)

// ParseCapacity parses "citizen" or "official" (exactly, after trimming
// surrounding white space). It fails with Field "capacity" and Reason
// "required" when s is blank and "invalid" otherwise.
func ParseCapacity(s string) (Capacity, error) {
	switch c := Capacity(strings.TrimSpace(s)); c {
	case "":
		return "", invalid(fieldCapacity, "required")
	case CapacityCitizen, CapacityOfficial:
		return c, nil
	}
	return "", invalid(fieldCapacity, "invalid")
}

// Account is one natural person: one account, one subject, whatever the
// capacities in which the person signs in. Credentials, business links and
// sessions are stored apart and refer to the account by ID.
type Account struct {
	ID             string     // the subject (sub): random, stable, never the personal ID; see NewSubject
	FullName       string     // as returned by NormalizeFullName
	Birthdate      string     // "YYYY-MM-DD", "" if unknown
	Gender         Gender     // "" if unknown
	Email          string     // normalised, "" if none
	EmailVerified  bool       // the person proved control of Email
	Phone          string     // E.164, "" if none
	PhoneVerified  bool       // the person proved control of Phone
	Locale         string     // "vi" or "en"
	PersonalID     PersonalID // "" when the person has no citizen identity
	Proofing       Proofing   // how PersonalID was proven; zero (unverified) when it was only asserted
	Official       *Official  // nil when the person is not an official
	Admin          bool       // may use the administration console
	Disabled       bool       // locked by an administrator (or a directory)
	DisabledReason string     // shown to administrators, never to the person
	CreatedAt      time.Time
	UpdatedAt      time.Time // last change of the account; released as the "updated_at" claim
}

// Official is the staff record of a person who is an official (cán bộ, công
// chức, viên chức): kept locally, or synchronised from a staff directory.
type Official struct {
	Username   string   // login name of a local official, or the directory username
	Agency     string   // the agency (cơ quan) the official belongs to
	Department string   // the department (phòng, ban) within Agency, "" if none
	Title      string   // the job title (chức vụ), "" if none
	Directory  string   // "" for a local official, else the directory's name
	Roles      []string // application roles, from the directory's group mapping or set locally
	Groups     []string // directory groups the official is a member of
}

// AuthenticatorName is how the account is named to an authenticator app or
// a security key when it logs in in capacity: the official's username, else
// the email, the phone, the name. Never the personal ID.
func (a *Account) AuthenticatorName(capacity string) string {
	switch {
	case capacity == string(CapacityOfficial) && a.Official != nil && a.Official.Username != "":
		return a.Official.Username
	case a.Email != "":
		return a.Email
	case a.Phone != "":
		return a.Phone
	case a.Official != nil && a.Official.Username != "":
		return a.Official.Username
	}
	return a.FullName
}

// Capacities returns the capacities the account can sign in with, in this
// order: [CapacityCitizen] when PersonalID is not "", [CapacityOfficial] when
// Official is not nil. It returns an empty slice for an account with neither
// (such as an operator's admin account).
func (a *Account) Capacities() []Capacity {
	cs := make([]Capacity, 0, 2)
	if a.PersonalID != "" {
		cs = append(cs, CapacityCitizen)
	}
	if a.Official != nil {
		cs = append(cs, CapacityOfficial)
	}
	return cs
}

// Has reports whether c is one of [Account.Capacities].
func (a *Account) Has(c Capacity) bool {
	return slices.Contains(a.Capacities(), c)
}

// subjectEncoding is lower-case RFC 4648 base32 without padding.
var subjectEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// SubjectLength is the length of a subject made by [NewSubject].
const SubjectLength = 26

// NewSubject returns a new subject identifier: 128 bits from crypto/rand,
// encoded as lower-case base32 (RFC 4648 alphabet) without padding, 26
// characters. It carries no information about the person.
func NewSubject() string {
	var b [16]byte
	rand.Read(b[:]) // never returns an error; a broken system source crashes the program
	return subjectEncoding.EncodeToString(b[:])
}

// ValidSubject reports whether s has the form of a subject made by
// [NewSubject]: 26 characters of lower-case base32 that decode to 16 bytes.
func ValidSubject(s string) bool {
	if len(s) != SubjectLength {
		return false
	}
	b, err := subjectEncoding.DecodeString(s)
	return err == nil && len(b) == 16 && subjectEncoding.EncodeToString(b) == s
}
