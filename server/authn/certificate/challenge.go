package certificate

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/dinhdanh/dinhdanh/store"
)

// Purpose says what a challenge is for, so that a challenge signed to bind
// a certificate cannot log in and the reverse.
type Purpose string

// The purposes of a challenge.
const (
	PurposeLogin Purpose = "login"
	PurposeBind  Purpose = "bind"
)

// DefaultChallengeLifetime is the lifetime of a challenge when
// Challenges.Lifetime is zero.
const DefaultChallengeLifetime = 2 * time.Minute

// challengeBytes is the number of random bytes in a challenge.
const challengeBytes = 32

// ErrNoChallenge is returned by Challenges.Consume when no live challenge was
// issued for the flow and purpose: never issued, expired, or used already.
var ErrNoChallenge = errors.New("certificate: no challenge for this flow")

// ChallengeStore is what Challenges needs from the ephemeral store.
type ChallengeStore interface {
	PutRecord(ctx context.Context, kind store.RecordKind, r *store.Record) error
	TakeRecord(ctx context.Context, kind store.RecordKind, key string) (*store.Record, error)
}

// Challenges issues and consumes the single-use challenges a person signs.
// Each flow (login flow id, or session id for binding) has at most one live
// challenge per purpose: issuing another replaces it.
type Challenges struct {
	Store ChallengeStore
	// Lifetime is how long a challenge may be signed and posted back; zero
	// means DefaultChallengeLifetime.
	Lifetime time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Random is the source of the challenge; nil means crypto/rand.
	Random io.Reader
}

// Challenge is one issued challenge. Value is what the person signs: the
// UTF-8 bytes of "dinhdanh:<purpose>:<43 characters of base64url>".
type Challenge struct {
	FlowID    string
	Purpose   Purpose
	Value     string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// challengeRecord is the stored form of a challenge.
type challengeRecord struct {
	Value    string    `json:"value"`
	IssuedAt time.Time `json:"issued_at"`
}

func (c *Challenges) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Challenges) lifetime() time.Duration {
	if c.Lifetime > 0 {
		return c.Lifetime
	}
	return DefaultChallengeLifetime
}

// challengeKey is the record key of a flow's challenge for a purpose.
func challengeKey(flowID string, p Purpose) string { return string(p) + ":" + flowID }

// Issue makes a new challenge for the flow and purpose, replacing any
// earlier one, and stores it until it expires.
func (c *Challenges) Issue(ctx context.Context, flowID string, p Purpose) (*Challenge, error) {
	if flowID == "" {
		return nil, errors.New("certificate: a challenge must be bound to a flow")
	}
	if p != PurposeLogin && p != PurposeBind {
		return nil, fmt.Errorf("certificate: unknown challenge purpose %q", p)
	}
	r := c.Random
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, challengeBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, fmt.Errorf("certificate: reading randomness: %w", err)
	}
	now := c.now()
	ch := &Challenge{FlowID: flowID, Purpose: p, IssuedAt: now, ExpiresAt: now.Add(c.lifetime()),
		Value: "dinhdanh:" + string(p) + ":" + base64.RawURLEncoding.EncodeToString(b)}
	data, err := json.Marshal(challengeRecord{Value: ch.Value, IssuedAt: now})
	if err != nil {
		return nil, err
	}
	if err := c.Store.PutRecord(ctx, store.KindCertificateChallenge, &store.Record{Key: challengeKey(flowID, p),
		RequestID: flowID, Data: data, ExpiresAt: ch.ExpiresAt}); err != nil {
		return nil, err
	}
	return ch, nil
}

// Consume takes the flow's live challenge for the purpose out of the store,
// atomically: of two concurrent calls one gets it, and a later call gets
// ErrNoChallenge. Consume before verifying, so that a failed attempt uses
// the challenge up as well.
func (c *Challenges) Consume(ctx context.Context, flowID string, p Purpose) (*Challenge, error) {
	rec, err := c.Store.TakeRecord(ctx, store.KindCertificateChallenge, challengeKey(flowID, p))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoChallenge
	}
	if err != nil {
		return nil, err
	}
	var cr challengeRecord
	if err := json.Unmarshal(rec.Data, &cr); err != nil {
		return nil, fmt.Errorf("certificate: stored challenge: %w", err)
	}
	ch := &Challenge{FlowID: flowID, Purpose: p, Value: cr.Value, IssuedAt: cr.IssuedAt, ExpiresAt: rec.ExpiresAt}
	if !c.now().Before(ch.ExpiresAt) {
		return nil, ErrNoChallenge
	}
	return ch, nil
}

// Digest returns the hash of the challenge value, for signing software that
// signs a digest the page hands it.
func (ch *Challenge) Digest(h crypto.Hash) []byte {
	d := h.New()
	d.Write([]byte(ch.Value))
	return d.Sum(nil)
}

// ChallengeResponse is the JSON the challenge endpoint returns to the page's
// signing adapter.
type ChallengeResponse struct {
	// Challenge is the value to sign, as UTF-8 bytes.
	Challenge string `json:"challenge"`
	// SHA256 is the standard base64 of the SHA-256 of Challenge, for
	// signing software that signs a digest.
	SHA256 string `json:"sha256"`
	// ExpiresAt is when the challenge expires, in RFC 3339.
	ExpiresAt string `json:"expires_at"`
}

// Response returns the challenge as the endpoint sends it.
func (ch *Challenge) Response() ChallengeResponse {
	return ChallengeResponse{Challenge: ch.Value, SHA256: base64.StdEncoding.EncodeToString(ch.Digest(crypto.SHA256)),
		ExpiresAt: ch.ExpiresAt.UTC().Format(time.RFC3339)}
}

// checkChallenge is validator 1: a live challenge exists and the signed
// content is exactly its value. A submission that carries no content (a
// detached CMS or a bare signature) is checked against the challenge by the
// signature validator, which verifies the server's copy.
func checkChallenge(s *state) *Refusal {
	if s.challenge == nil {
		return refuse(CheckChallenge, ReasonChallengeUnknown, nil, "no live challenge for this flow")
	}
	if !s.now.Before(s.challenge.ExpiresAt) {
		return refuse(CheckChallenge, ReasonChallengeUnknown, nil, "the challenge expired at %s", s.challenge.ExpiresAt.Format(time.RFC3339))
	}
	signed, r := s.signed()
	if r != nil {
		return r
	}
	if signed.content != nil && subtle.ConstantTimeCompare(signed.content, []byte(s.challenge.Value)) != 1 {
		return refuse(CheckChallenge, ReasonChallengeMismatch, nil, "the signed content (%d bytes) is not the challenge", len(signed.content))
	}
	return nil
}
