package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Limits of an audit search.
const (
	// AuditDefaultLimit is the number of events a search returns when its
	// filter names no limit.
	AuditDefaultLimit = 50
	// AuditMaxLimit is the largest limit a filter may name.
	AuditMaxLimit = 1000
)

// ErrInvalidAuditFilter is wrapped by the error of a search with an invalid
// filter; the error's text says what is wrong.
var ErrInvalidAuditFilter = errors.New("invalid audit filter")

// AuditFilter selects audit events. Every field set must match (AND); a zero
// field does not filter. Matching is exact (byte for byte), except for a
// type ending in ".".
type AuditFilter struct {
	// Subject is the account concerned.
	Subject string
	// Actor is who acted: an account ID, "cli", "directory", "anonymous"…
	Actor string
	// ClientID is the application concerned.
	ClientID string
	// Types are event types, any of which matches: an exact type
	// ("login.success"), or a prefix ending in "." ("login.") that matches
	// every type beginning with it.
	Types []string
	// Address is the client address of the request.
	Address string
	// From, when not zero, keeps events at or after it; To, when not zero,
	// keeps events strictly before it.
	From, To time.Time
	// Limit is the most events returned: AuditDefaultLimit when 0, at most
	// AuditMaxLimit.
	Limit int
	// Before, when not 0, keeps events whose ID is lower: the ID of the last
	// event of the previous page (keyset paging). Events appended meanwhile
	// have higher IDs, so paging never skips or repeats an event.
	Before int64
}

// Validate reports what is wrong with f, in an error wrapping
// ErrInvalidAuditFilter, or nil.
func (f AuditFilter) Validate() error {
	var problems []string
	if f.Limit < 0 || f.Limit > AuditMaxLimit {
		problems = append(problems, fmt.Sprintf("limit must be between 1 and %d", AuditMaxLimit))
	}
	if f.Before < 0 {
		problems = append(problems, "before must be a positive event ID")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		problems = append(problems, "from must be before to")
	}
	for _, t := range f.Types {
		if t == "" || t == "." || strings.TrimSpace(t) != t {
			problems = append(problems, fmt.Sprintf("type %q is not an event type or a prefix ending in \".\"", t))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrInvalidAuditFilter, strings.Join(problems, "; "))
	}
	return nil
}

// PageLimit is the number of events a search with f returns at most.
func (f AuditFilter) PageLimit() int {
	if f.Limit <= 0 {
		return AuditDefaultLimit
	}
	return min(f.Limit, AuditMaxLimit)
}

// TypeMatches splits f.Types into exact types and prefixes (each ending in
// "."), the two ways a backend matches them.
func (f AuditFilter) TypeMatches() (exact, prefixes []string) {
	for _, t := range f.Types {
		if strings.HasSuffix(t, ".") {
			prefixes = append(prefixes, t)
		} else {
			exact = append(exact, t)
		}
	}
	return exact, prefixes
}

// Matches reports whether e passes f's conditions (Limit aside): the
// reference a backend's search is tested against.
func (f AuditFilter) Matches(e *AuditEvent) bool {
	if f.Subject != "" && e.Subject != f.Subject || f.Actor != "" && e.Actor != f.Actor ||
		f.ClientID != "" && e.ClientID != f.ClientID || f.Address != "" && e.Address != f.Address ||
		f.Before != 0 && e.ID >= f.Before {
		return false
	}
	ms := e.Time.UnixMilli()
	if !f.From.IsZero() && ms < f.From.UnixMilli() || !f.To.IsZero() && ms >= f.To.UnixMilli() {
		return false
	}
	if len(f.Types) == 0 {
		return true
	}
	return slices.ContainsFunc(f.Types, func(t string) bool {
		return e.Type == t || strings.HasSuffix(t, ".") && strings.HasPrefix(e.Type, t)
	})
}

// AuditChain is where the audit log's hash chain starts and ends. Every
// event from ID AnchorID+1 to HeadID is present, in order, with PrevHash the
// Hash of the event before it (AnchorHash for the first) and Hash =
// AuditHash(PrevHash, event).
type AuditChain struct {
	// Start is the first ID the chain covers: events with a lower ID were
	// written before the log was chained and carry no hash.
	Start int64
	// AnchorID is the ID after which the chain continues: Start-1 until
	// retention removes chained events, then the last event removed.
	AnchorID int64
	// AnchorHash is the Hash of event AnchorID, "" before retention has
	// removed any chained event (the genesis).
	AnchorHash string
	// HeadID and HeadHash are the last event appended, or the anchor when
	// none has been.
	HeadID   int64
	HeadHash string
	// Unchained is how many events kept have an ID below Start.
	Unchained int64
}

// auditHashDomain starts every hashed encoding: a version for the encoding.
const auditHashDomain = "dinhdanh audit chain v1"

// AuditHash returns the hex SHA-256 of the canonical encoding of prev (the
// hash of the event before e in the chain) and e's ID, Time (to the
// millisecond), Type, Actor, Subject, ClientID, Address and Details (sorted
// by key). Each value is written as its length (8 bytes, big-endian) and its
// bytes, so that no two different events encode alike.
func AuditHash(prev string, e *AuditEvent) string {
	h := sha256.New()
	field := func(h hash.Hash, s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(h, auditHashDomain)
	field(h, prev)
	field(h, strconv.FormatInt(e.ID, 10))
	field(h, strconv.FormatInt(e.Time.UnixMilli(), 10))
	field(h, e.Type)
	field(h, e.Actor)
	field(h, e.Subject)
	field(h, e.ClientID)
	field(h, e.Address)
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	field(h, strconv.Itoa(len(keys)))
	for _, k := range keys {
		field(h, k)
		field(h, e.Details[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}
