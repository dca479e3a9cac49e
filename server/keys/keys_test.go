package keys_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite/token/jwt"

	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

func TestSealer(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	s, err := keys.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := s.Seal([]byte("bí mật"), []byte("kid-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("bí mật")) {
		t.Fatal("plaintext visible in the sealed value")
	}
	got, err := s.Open(sealed, []byte("kid-1"))
	if err != nil || string(got) != "bí mật" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open(sealed, []byte("kid-2")); err == nil {
		t.Fatal("a sealed value opened under other additional data")
	}
	other, _ := keys.NewSealer(bytes.Repeat([]byte{8}, 32))
	if _, err := other.Open(sealed, []byte("kid-1")); err == nil {
		t.Fatal("a sealed value opened under another key")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(sealed, []byte("kid-1")); err == nil {
		t.Fatal("a tampered value opened")
	}
	if _, err := keys.NewSealer(key[:16]); err == nil {
		t.Fatal("a 16-byte seal key was accepted")
	}
}

func TestSealKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "seal.key")
	k1, created, err := keys.LoadOrCreateSealKey(path, true)
	if err != nil || !created || len(k1) != 32 {
		t.Fatalf("create: %v %v %d", err, created, len(k1))
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("seal key file mode %v, %v", fi.Mode().Perm(), err)
	}
	k2, created, err := keys.LoadOrCreateSealKey(path, true)
	if err != nil || created || !bytes.Equal(k1, k2) {
		t.Fatalf("reload: %v %v equal=%v", err, created, bytes.Equal(k1, k2))
	}
	if _, _, err := keys.LoadOrCreateSealKey(filepath.Join(t.TempDir(), "missing"), false); err == nil {
		t.Fatal("a missing seal key was not an error")
	}
	if _, _, err := keys.ParseSealKey("not a key"); err == nil {
		t.Fatal("garbage parsed as a seal key")
	}
}

func newSet(t *testing.T, db *sqlstore.DB) *keys.Set {
	s, _ := keys.NewSealer(bytes.Repeat([]byte{1}, 32))
	return keys.NewSet(db, s, time.Hour)
}

func openDB(t *testing.T) *sqlstore.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "k.db"), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func kids(t *testing.T, jwks []byte) []string {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(jwks, &set); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range set.Keys {
		if !k.IsPublic() {
			t.Fatalf("JWKS publishes a private key: %s", k.KeyID)
		}
		out = append(out, k.KeyID)
	}
	return out
}

func TestSignVerifyEveryAlgorithm(t *testing.T) {
	ctx := context.Background()
	set := newSet(t, openDB(t))
	if _, err := set.EnsureKeys(ctx, keys.Algorithms...); err != nil {
		t.Fatal(err)
	}
	signer := &keys.Signer{Set: set, Default: keys.RS256}
	for _, alg := range keys.Algorithms {
		claims := jwt.MapClaims{"sub": "abc", "exp": time.Now().Add(time.Minute).Unix(), "at_hash": "x"}
		tok, sig, err := signer.Generate(ctx, claims, &jwt.Headers{Extra: map[string]any{keys.HeaderAlgorithm: alg}})
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		if !strings.HasSuffix(tok, "."+sig) {
			t.Fatalf("%s: signature part mismatch", alg)
		}
		parsed, err := jose.ParseSigned(tok)
		if err != nil {
			t.Fatal(err)
		}
		h := parsed.Signatures[0].Header
		if h.Algorithm != alg || h.KeyID != set.Current(alg).ID {
			t.Fatalf("%s: header alg=%s kid=%s", alg, h.Algorithm, h.KeyID)
		}
		if _, ok := h.ExtraHeaders[keys.HeaderAlgorithm]; ok {
			t.Fatalf("%s: the algorithm hint leaked into the token header", alg)
		}
		dec, err := signer.Decode(ctx, tok)
		if err != nil {
			t.Fatalf("%s: decode: %v", alg, err)
		}
		if _, has := dec.Claims["at_hash"]; has != (alg != keys.EdDSA) {
			t.Fatalf("%s: at_hash present=%v", alg, has)
		}
		// Tampering breaks verification.
		bad := tok[:len(tok)-4] + "AAAA"
		if _, err := signer.Validate(ctx, bad); err == nil {
			t.Fatalf("%s: a tampered token validated", alg)
		}
	}
}

func TestRotationKeepsOldKeyPublished(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	set := newSet(t, db)
	if _, err := set.EnsureKeys(ctx, keys.RS256); err != nil {
		t.Fatal(err)
	}
	signer := &keys.Signer{Set: set}
	old := set.Current(keys.RS256)
	tok, _, err := signer.Generate(ctx, jwt.MapClaims{"sub": "x", "exp": time.Now().Add(time.Hour).Unix()}, &jwt.Headers{})
	if err != nil {
		t.Fatal(err)
	}
	// Another node sharing the store.
	other := newSet(t, db)
	if err := other.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if other.Current(keys.RS256).ID != old.ID {
		t.Fatal("the other node does not sign with the shared key")
	}
	nk, err := set.Rotate(ctx, keys.RS256)
	if err != nil {
		t.Fatal(err)
	}
	if nk.ID == old.ID || set.Current(keys.RS256).ID != nk.ID {
		t.Fatal("rotation did not make a new current key")
	}
	got := kids(t, set.JWKS())
	if len(got) != 2 || !contains(got, old.ID) || !contains(got, nk.ID) {
		t.Fatalf("JWKS after rotation = %v, want old and new", got)
	}
	if _, err := signer.Decode(ctx, tok); err != nil {
		t.Fatalf("a token signed before rotation no longer verifies: %v", err)
	}
	if err := other.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if other.Current(keys.RS256).ID != nk.ID {
		t.Fatal("the other node did not pick up the rotation")
	}
	if !bytes.Equal(other.JWKS(), set.JWKS()) {
		t.Fatal("two nodes publish different JWKS")
	}
	// After the grace period the retired key is no longer published.
	later := newSet(t, db)
	if err := later.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if ids := kids(t, later.JWKS()); len(ids) != 2 {
		t.Fatalf("JWKS within the grace period = %v", ids)
	}
	later.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
	if err := later.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if ids := kids(t, later.JWKS()); len(ids) != 1 || ids[0] != nk.ID {
		t.Fatalf("JWKS after the grace period = %v, want only %s", ids, nk.ID)
	}
	if later.Lookup(old.ID) != nil {
		t.Fatal("the expired key still verifies")
	}
}

func TestWrongSealKeyFails(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	set := newSet(t, db)
	if _, err := set.EnsureKeys(ctx, keys.ES256); err != nil {
		t.Fatal(err)
	}
	s2, _ := keys.NewSealer(bytes.Repeat([]byte{2}, 32))
	if err := keys.NewSet(db, s2, time.Hour).Load(ctx); err == nil {
		t.Fatal("keys opened under the wrong seal key")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestRotationPublishesBeforeSigning rotates a set whose new keys are
// published for the JWKS max-age before they sign: right after the
// rotation the old key still signs and the JWKS lists both, on this node
// and on another one sharing the store; once the delay has passed (an
// injected clock) the new key signs, with no further write, and the old one
// stays published for the grace period.
func TestRotationPublishesBeforeSigning(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	sealer, _ := keys.NewSealer(bytes.Repeat([]byte{1}, 32))
	t0 := time.Now()
	clock := t0
	now := func() time.Time { return clock }
	set := keys.NewPublishingSet(db, sealer, time.Hour, keys.JWKSMaxAge)
	set.SetClock(now)
	if _, err := set.EnsureKeys(ctx, keys.RS256); err != nil {
		t.Fatal(err)
	}
	old := set.Current(keys.RS256)
	if old == nil {
		t.Fatal("the first key does not sign at once")
	}
	signer := &keys.Signer{Set: set}
	kidOf := func() string {
		t.Helper()
		tok, _, err := signer.Generate(ctx, jwt.MapClaims{"sub": "x", "exp": clock.Add(time.Hour).Unix()}, &jwt.Headers{})
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := jose.ParseSigned(tok)
		if err != nil {
			t.Fatal(err)
		}
		return parsed.Signatures[0].Header.KeyID
	}
	clock = t0.Add(time.Minute)
	nk, err := set.Rotate(ctx, keys.RS256)
	if err != nil {
		t.Fatal(err)
	}
	other := keys.NewPublishingSet(db, sealer, time.Hour, keys.JWKSMaxAge)
	other.SetClock(now)
	if err := other.Load(ctx); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*keys.Set{set, other} {
		if got := kids(t, s.JWKS()); len(got) != 2 || !contains(got, old.ID) || !contains(got, nk.ID) {
			t.Fatalf("JWKS right after rotation = %v, want %s and %s", got, old.ID, nk.ID)
		}
		if s.State(s.Lookup(nk.ID)) != keys.StateNext || s.State(s.Lookup(old.ID)) != keys.StateCurrent {
			t.Fatalf("states right after rotation: new %s, old %s", s.State(s.Lookup(nk.ID)), s.State(s.Lookup(old.ID)))
		}
	}
	if kid := kidOf(); kid != old.ID {
		t.Fatalf("right after rotation a token is signed by %s, want the old key %s", kid, old.ID)
	}
	clock = t0.Add(time.Minute + keys.JWKSMaxAge - time.Second)
	if kid := kidOf(); kid != old.ID {
		t.Fatalf("a second before the publication delay ends a token is signed by %s, want %s", kid, old.ID)
	}
	clock = t0.Add(time.Minute + keys.JWKSMaxAge)
	if kid := kidOf(); kid != nk.ID {
		t.Fatalf("after the publication delay a token is signed by %s, want the new key %s", kid, nk.ID)
	}
	if other.Current(keys.RS256).ID != nk.ID {
		t.Fatal("the other node did not switch at the same moment")
	}
	if set.State(set.Lookup(old.ID)) != keys.StateRetired {
		t.Fatalf("the old key is %s after the switch, want retired", set.State(set.Lookup(old.ID)))
	}
	if err := set.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kids(t, set.JWKS()); len(got) != 2 {
		t.Fatalf("JWKS after the switch = %v, want the retired key still published", got)
	}
	clock = t0.Add(time.Minute + keys.JWKSMaxAge + time.Hour + time.Second)
	if err := set.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kids(t, set.JWKS()); len(got) != 1 || got[0] != nk.ID {
		t.Fatalf("JWKS after the grace period = %v, want only %s", got, nk.ID)
	}
}

// TestSealerKeyIDs checks the sealed format: a value names the key that
// sealed it, a Sealer opens values of the older keys it was given (and
// values without a key id), and a value of a key it does not hold says so.
func TestSealerKeyIDs(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	s1, _ := keys.NewSealer(k1)
	s2, err := keys.NewSealer(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	if s1.KeyID() != keys.SealKeyID(k1) || s2.KeyID() != keys.SealKeyID(k2) || s1.KeyID() == s2.KeyID() {
		t.Fatalf("key ids %s %s", s1.KeyID(), s2.KeyID())
	}
	v1, _ := s1.Seal([]byte("hạt giống"), []byte("ad"))
	if keys.SealedKeyID(v1) != s1.KeyID() {
		t.Fatalf("sealed value names %q, want %s", keys.SealedKeyID(v1), s1.KeyID())
	}
	if got, err := s2.Open(v1, []byte("ad")); err != nil || string(got) != "hạt giống" {
		t.Fatalf("the rotated sealer does not open a value of the older key: %q %v", got, err)
	}
	v2, _ := s2.Seal([]byte("mới"), []byte("ad"))
	if keys.SealedKeyID(v2) != s2.KeyID() {
		t.Fatal("the rotated sealer does not seal with the new key")
	}
	if _, err := s1.Open(v2, []byte("ad")); err == nil || !strings.Contains(err.Error(), s2.KeyID()) {
		t.Fatalf("opening a value of an unknown key: %v, want an error naming the key", err)
	}
	// A value without a key id (nonce | ciphertext) opens with any key held.
	legacy := v1[len("DDS1")+1+len(s1.KeyID()):]
	if keys.SealedKeyID(legacy) != "" {
		t.Fatal("a value without key id names one")
	}
	if got, err := s2.Open(legacy, []byte("ad")); err != nil || string(got) != "hạt giống" {
		t.Fatalf("a value without key id: %q %v", got, err)
	}
}
