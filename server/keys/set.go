package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v3"

	"github.com/dinhdanh/dinhdanh/store"
)

// The signing algorithms dinhdanh offers.
const (
	RS256 = "RS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"
)

// Algorithms lists the supported algorithms, RS256 first.
var Algorithms = []string{RS256, ES256, EdDSA}

// Supported reports whether alg is one of Algorithms.
func Supported(alg string) bool {
	for _, a := range Algorithms {
		if a == alg {
			return true
		}
	}
	return false
}

// JWKSMaxAge is how long a verifier may cache the JWKS document (its
// Cache-Control max-age).
const JWKSMaxAge = 300 * time.Second

// Key is an opened signing key.
type Key struct {
	ID        string
	Algorithm string
	Private   crypto.Signer
	Public    crypto.PublicKey
	CreatedAt time.Time
	// RetiredAt is when the key stops (or stopped) signing; zero while no
	// newer key replaces it.
	RetiredAt time.Time
}

// The states of a published key (see Set.State).
const (
	// StateNext is a new key: published, not signing until the publication delay has passed.
	StateNext = "next"
	// StateCurrent is the key that signs.
	StateCurrent = "current"
	// StateRetired is a replaced key, published until the tokens it signed have expired.
	StateRetired = "retired"
)

// Set is the key set shared through the store.
//
// A rotation publishes the new key before it signs: Rotate adds it as the
// "next" key, published in the JWKS at once (on every node within the
// reload interval), and schedules the current key's retirement at the end
// of the publication delay, the moment the next key starts signing. The
// switch needs no further write: Current decides from the timestamps at the
// moment it is asked, so every node switches at the same instant, and a
// verifier that cached the JWKS just before the rotation has refreshed it
// by then. The first key of an algorithm signs at once (nobody verifies
// tokens of a key that never signed).
type Set struct {
	store  store.SigningKeys
	sealer *Sealer
	now    func() time.Time
	// Grace is how long a retired key stays published: the longest lifetime
	// of a token it may have signed.
	Grace time.Duration
	// publish is how long a new key is published before it signs.
	publish time.Duration

	mu     sync.RWMutex
	active map[string][]*Key // keys not retired at load time, by algorithm, oldest first
	byID   map[string]*Key
	jwks   []byte
	loaded string // fingerprint of the loaded set
}

// NewSet returns a key set over the store whose new keys sign at once. Call
// Load (or EnsureKeys) before use.
func NewSet(st store.SigningKeys, sealer *Sealer, grace time.Duration) *Set {
	return NewPublishingSet(st, sealer, grace, 0)
}

// NewPublishingSet returns a key set over the store whose rotated keys are
// published for the publication delay publish before they sign: at least
// JWKSMaxAge plus the interval at which nodes reload the set. Call Load
// (or EnsureKeys) before use.
func NewPublishingSet(st store.SigningKeys, sealer *Sealer, grace, publish time.Duration) *Set {
	return &Set{store: st, sealer: sealer, now: time.Now, Grace: grace, publish: publish,
		active: map[string][]*Key{}, byID: map[string]*Key{}, jwks: []byte(`{"keys":[]}`)}
}

// PublicationDelay is how long a rotated key is published before it signs.
func (s *Set) PublicationDelay() time.Duration { return s.publish }

// SetClock replaces the clock (tests).
func (s *Set) SetClock(now func() time.Time) { s.now = now }

// Load reads the key set from the store, replacing the in-memory one when it changed.
func (s *Set) Load(ctx context.Context) error {
	rows, err := s.store.ListSigningKeys(ctx, s.now())
	if err != nil {
		return err
	}
	var fp strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&fp, "%s/%d/%d;", r.ID, r.RetiredAt.UnixMilli(), r.ExpiresAt.UnixMilli())
	}
	s.mu.RLock()
	same := fp.String() == s.loaded
	s.mu.RUnlock()
	if same {
		return nil
	}
	active := map[string][]*Key{}
	byID := map[string]*Key{}
	var pubs []json.RawMessage
	for i := len(rows) - 1; i >= 0; i-- { // oldest first
		r := rows[i]
		k, err := s.open(r)
		if err != nil {
			return fmt.Errorf("signing key %s: %w", r.ID, err)
		}
		byID[k.ID] = k
		active[k.Algorithm] = append(active[k.Algorithm], k)
	}
	for _, r := range rows { // newest first, as before
		pubs = append(pubs, json.RawMessage(r.PublicJWK))
	}
	if pubs == nil {
		pubs = []json.RawMessage{}
	}
	jwks, err := json.Marshal(map[string]any{"keys": pubs})
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.active, s.byID, s.jwks, s.loaded = active, byID, jwks, fp.String()
	s.mu.Unlock()
	return nil
}

func (s *Set) open(r *store.SigningKey) (*Key, error) {
	der, err := s.sealer.Open(r.SealedPrivate, []byte(r.ID))
	if err != nil {
		return nil, err
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, errors.New("not a signing key")
	}
	return &Key{ID: r.ID, Algorithm: r.Algorithm, Private: signer, Public: signer.Public(),
		CreatedAt: r.CreatedAt, RetiredAt: r.RetiredAt}, nil
}

// Refresh reloads the set every interval until ctx ends, so that a rotation
// on one node is seen by all within the interval.
func (s *Set) Refresh(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Load(ctx); err != nil && ctx.Err() == nil {
				log.Warn("reloading signing keys", "err", err)
			}
		}
	}
}

// EnsureKeys creates a current key for each algorithm that has none.
func (s *Set) EnsureKeys(ctx context.Context, algs ...string) (created []string, err error) {
	if err := s.Load(ctx); err != nil {
		return nil, err
	}
	for _, alg := range algs {
		if s.Current(alg) != nil {
			continue
		}
		k, err := s.add(ctx, alg)
		if err != nil {
			return created, err
		}
		created = append(created, k.ID)
	}
	if len(created) > 0 {
		return created, s.Load(ctx)
	}
	return nil, nil
}

// Rotate adds a new key of alg, published at once, and schedules the
// retirement of the key that signs now (and of any earlier next key) at the
// end of the publication delay, when the new key starts signing. A retired
// key stays published for Grace after its retirement. With no publication
// delay the new key signs at once.
func (s *Set) Rotate(ctx context.Context, alg string) (*Key, error) {
	if !Supported(alg) {
		return nil, fmt.Errorf("unsupported algorithm %q", alg)
	}
	now := s.now().UTC()
	switchAt := now.Add(s.publish)
	if err := s.store.RetireSigningKeys(ctx, alg, switchAt, switchAt.Add(s.Grace)); err != nil {
		return nil, err
	}
	k, err := s.add(ctx, alg)
	if err != nil {
		return nil, err
	}
	return k, s.Load(ctx)
}

var kidEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

func (s *Set) add(ctx context.Context, alg string) (*Key, error) {
	priv, err := Generate(alg)
	if err != nil {
		return nil, err
	}
	raw := make([]byte, 10)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	kid := strings.ToLower(alg) + "-" + strings.ToLower(kidEncoding.EncodeToString(raw))
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	sealed, err := s.sealer.Seal(der, []byte(kid))
	if err != nil {
		return nil, err
	}
	pub, err := jose.JSONWebKey{Key: priv.Public(), KeyID: kid, Algorithm: alg, Use: "sig"}.MarshalJSON()
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	if err := s.store.AddSigningKey(ctx, &store.SigningKey{ID: kid, Algorithm: alg, Use: "sig",
		SealedPrivate: sealed, PublicJWK: pub, CreatedAt: now}); err != nil {
		return nil, err
	}
	return &Key{ID: kid, Algorithm: alg, Private: priv, Public: priv.Public(), CreatedAt: now}, nil
}

// Generate makes a new private key for the algorithm.
func Generate(alg string) (crypto.Signer, error) {
	switch alg {
	case RS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	}
	return nil, fmt.Errorf("unsupported algorithm %q", alg)
}

// Current returns the key that signs with alg now, or nil: the newest key
// not retired now that has been published for the publication delay, or,
// when none has, the oldest key not retired (the first key of an
// algorithm signs at once).
func (s *Set) Current(alg string) *Key {
	now := s.now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	return current(s.active[alg], now, s.publish)
}

// current picks the signing key among keys (oldest first) at now.
func current(keys []*Key, now time.Time, publish time.Duration) *Key {
	var oldest, ready *Key
	for _, k := range keys {
		if !k.RetiredAt.IsZero() && !k.RetiredAt.After(now) {
			continue
		}
		if oldest == nil {
			oldest = k
		}
		if !k.CreatedAt.Add(publish).After(now) {
			ready = k
		}
	}
	if ready != nil {
		return ready
	}
	return oldest
}

// State returns the state of a published key at this moment: StateCurrent,
// StateNext or StateRetired.
func (s *Set) State(k *Key) string {
	now := s.now()
	if !k.RetiredAt.IsZero() && !k.RetiredAt.After(now) {
		return StateRetired
	}
	if c := s.Current(k.Algorithm); c != nil && c.ID == k.ID {
		return StateCurrent
	}
	if c := s.Current(k.Algorithm); c != nil && c.CreatedAt.After(k.CreatedAt) {
		return StateRetired // replaced, its retirement not yet due (an earlier next key)
	}
	return StateNext
}

// Lookup returns the published key with the id, or nil.
func (s *Set) Lookup(kid string) *Key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byID[kid]
}

// JWKS returns the published key set as prepared JSON bytes.
func (s *Set) JWKS() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.jwks
}

// Keys returns every published key, newest first.
func (s *Set) Keys() []*Key {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*Key, 0, len(s.byID))
	for _, k := range s.byID {
		out = append(out, k)
	}
	sortKeys(out)
	return out
}

func sortKeys(ks []*Key) {
	for i := 1; i < len(ks); i++ {
		for j := i; j > 0 && ks[j].CreatedAt.After(ks[j-1].CreatedAt); j-- {
			ks[j], ks[j-1] = ks[j-1], ks[j]
		}
	}
}
