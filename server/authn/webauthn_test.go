package authn_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

const (
	testRPID   = "sso.example.gov.vn"
	testOrigin = "https://sso.example.gov.vn"
)

var b64u = base64.RawURLEncoding

// softKey is a software authenticator: one P-256 credential that answers
// creation and assertion options the way a CTAP2 authenticator does, with
// "none" attestation.
type softKey struct {
	key        *ecdsa.PrivateKey
	id         []byte
	userHandle []byte
	count      uint32
	verifies   bool // sets the UV flag
	synced     bool // sets BE (and BS)
	origin     string
}

func newSoftKey(t *testing.T) *softKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return &softKey{key: k, id: id, verifies: true, origin: testOrigin}
}

func (s *softKey) flags(attested bool) byte {
	f := byte(0x01) // UP
	if s.verifies {
		f |= 0x04
	}
	if s.synced {
		f |= 0x08 | 0x10
	}
	if attested {
		f |= 0x40
	}
	return f
}

func (s *softKey) authData(attested bool) []byte {
	rp := sha256.Sum256([]byte(testRPID))
	out := append([]byte{}, rp[:]...)
	out = append(out, s.flags(attested))
	out = binary.BigEndian.AppendUint32(out, s.count)
	if attested {
		out = append(out, make([]byte, 16)...) // AAGUID
		out = binary.BigEndian.AppendUint16(out, uint16(len(s.id)))
		out = append(out, s.id...)
		x, y := make([]byte, 32), make([]byte, 32)
		s.key.PublicKey.X.FillBytes(x)
		s.key.PublicKey.Y.FillBytes(y)
		cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
		if err != nil {
			panic(err)
		}
		out = append(out, cose...)
	}
	return out
}

// challengeOf reads publicKey.challenge (and the user id of creation options).
func challengeOf(t *testing.T, options json.RawMessage) (challenge string, userID []byte) {
	t.Helper()
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
			User      struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(options, &o); err != nil {
		t.Fatal(err)
	}
	if o.PublicKey.User.ID != "" {
		var err error
		if userID, err = b64u.DecodeString(o.PublicKey.User.ID); err != nil {
			t.Fatal(err)
		}
	}
	return o.PublicKey.Challenge, userID
}

func (s *softKey) clientData(typ, challenge string) []byte {
	b, _ := json.Marshal(map[string]any{"type": typ, "challenge": challenge, "origin": s.origin, "crossOrigin": false})
	return b
}

// create answers creation options.
func (s *softKey) create(t *testing.T, options json.RawMessage) []byte {
	t.Helper()
	challenge, userID := challengeOf(t, options)
	s.userHandle = userID
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": s.authData(true)})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(s.id), "rawId": b64u.EncodeToString(s.id), "type": "public-key",
		"response": map[string]any{
			"clientDataJSON":    b64u.EncodeToString(s.clientData("webauthn.create", challenge)),
			"attestationObject": b64u.EncodeToString(att),
			"transports":        []string{"usb"},
		},
		"clientExtensionResults": map[string]any{},
	})
	return body
}

// get answers request options, advancing the signature counter.
func (s *softKey) get(t *testing.T, options json.RawMessage) []byte {
	t.Helper()
	challenge, _ := challengeOf(t, options)
	s.count++
	ad := s.authData(false)
	cd := s.clientData("webauthn.get", challenge)
	cdHash := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), cdHash[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, s.key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	resp := map[string]any{
		"clientDataJSON":    b64u.EncodeToString(cd),
		"authenticatorData": b64u.EncodeToString(ad),
		"signature":         b64u.EncodeToString(sig),
	}
	if s.userHandle != nil {
		resp["userHandle"] = b64u.EncodeToString(s.userHandle)
	}
	body, _ := json.Marshal(map[string]any{"id": b64u.EncodeToString(s.id), "rawId": b64u.EncodeToString(s.id),
		"type": "public-key", "response": resp, "clientExtensionResults": map[string]any{}})
	return body
}

func newWebAuthn(t *testing.T) (*authn.WebAuthn, *sqlstore.DB, string, *clock) {
	t.Helper()
	db, sub := newStore(t)
	c := &clock{t: time.Now()}
	db.SetClock(c.Now)
	a, err := authn.NewWebAuthn(authn.WebAuthnOptions{RPID: testRPID, RPDisplayName: "Định danh điện tử",
		Origins: []string{testOrigin}, UserVerification: "preferred", ChallengeLifetime: time.Minute}, db, db)
	if err != nil {
		t.Fatal(err)
	}
	a.Now = c.Now
	return a, db, sub, c
}

// register registers k for sub (as a passkey or a security key).
func register(t *testing.T, a *authn.WebAuthn, sub string, k *softKey, passkey bool) authn.WebAuthnResult {
	t.Helper()
	ctx := context.Background()
	user := &authn.WebAuthnUser{AccountID: sub, Name: "ha.ntt@example.vn", DisplayName: "Nguyễn Thị Thanh Hà"}
	cer, err := a.BeginRegistration(ctx, user, passkey, "session-1")
	if err != nil {
		t.Fatal(err)
	}
	res, ok, err := a.FinishRegistration(ctx, user, "session-1", cer.ID, "Khóa của Hà", k.create(t, cer.Options))
	if err != nil || !ok {
		t.Fatalf("FinishRegistration: ok %v err %v refusal %q %s", ok, err, res.Refusal, res.Detail)
	}
	return res
}

func TestWebAuthnRegisterAndPasswordless(t *testing.T) {
	ctx := context.Background()
	a, db, sub, _ := newWebAuthn(t)
	k := newSoftKey(t)
	res := register(t, a, sub, k, true)
	if !res.Credential.Discoverable || !res.Credential.UserVerified || res.Credential.Name != "Khóa của Hà" ||
		!slices.Equal(res.Credential.Transports, []string{"usb"}) {
		t.Fatalf("registered credential %+v", res.Credential)
	}
	if string(k.userHandle) != sub {
		t.Fatalf("user handle %q, want the subject", k.userHandle)
	}
	// The same authenticator cannot be registered twice.
	user := &authn.WebAuthnUser{AccountID: sub, Name: "ha", DisplayName: "Hà", Credentials: []*store.WebAuthnCredential{res.Credential}}
	cer, err := a.BeginRegistration(ctx, user, true, "session-1")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(cer.Options) || !containsJSON(cer.Options, `"excludeCredentials"`) {
		t.Fatalf("registration options do not exclude the registered key: %s", cer.Options)
	}
	if dup, ok, _ := a.FinishRegistration(ctx, user, "session-1", cer.ID, "again", k.create(t, cer.Options)); ok || dup.Refusal != authn.RefusalDuplicate {
		t.Fatalf("duplicate registration: ok %v refusal %q", ok, dup.Refusal)
	}

	cer, err = a.BeginPasswordless(ctx, "flow-1", "", false)
	if err != nil {
		t.Fatal(err)
	}
	if !containsJSON(cer.Options, `"userVerification":"required"`) {
		t.Fatalf("passwordless options do not require user verification: %s", cer.Options)
	}
	answer := k.get(t, cer.Options)
	got, ok, err := a.FinishLogin(ctx, "flow-1", cer.ID, true, answer)
	if err != nil || !ok {
		t.Fatalf("passwordless: ok %v err %v refusal %q %s", ok, err, got.Refusal, got.Detail)
	}
	if got.AccountID != sub || !got.UserVerified || !slices.Equal(got.Methods(), []string{"hwk", "user"}) {
		t.Fatalf("passwordless result %+v methods %v", got, got.Methods())
	}
	stored, _ := db.FindWebAuthnCredential(ctx, k.id)
	if stored.SignCount != 1 || stored.LastUsedAt.IsZero() {
		t.Fatalf("after login: sign count %d, last used %v", stored.SignCount, stored.LastUsedAt)
	}
	// A challenge is answered once.
	if again, ok, _ := a.FinishLogin(ctx, "flow-1", cer.ID, true, answer); ok || again.Refusal != authn.RefusalExpired {
		t.Fatalf("replayed assertion: ok %v refusal %q", ok, again.Refusal)
	}
}

func containsJSON(b []byte, s string) bool { return json.Valid(b) && bytes.Contains(b, []byte(s)) }

func TestWebAuthnUserVerificationRequiredForPasswordless(t *testing.T) {
	ctx := context.Background()
	a, _, sub, _ := newWebAuthn(t)
	k := newSoftKey(t)
	register(t, a, sub, k, false)
	k.verifies = false
	cer, err := a.BeginPasswordless(ctx, "flow-2", "", false)
	if err != nil {
		t.Fatal(err)
	}
	k.userHandle = []byte(sub)
	res, ok, err := a.FinishLogin(ctx, "flow-2", cer.ID, true, k.get(t, cer.Options))
	if ok || err != nil || res.Refusal != authn.RefusalUserVerification {
		t.Fatalf("passwordless without user verification: ok %v err %v refusal %q", ok, err, res.Refusal)
	}
	// As a second factor, user verification is preferred, not required.
	cer, err = a.BeginLogin(ctx, sub, "flow-2")
	if err != nil {
		t.Fatal(err)
	}
	res, ok, err = a.FinishLogin(ctx, "flow-2", cer.ID, false, k.get(t, cer.Options))
	if !ok || err != nil || res.UserVerified || !slices.Equal(res.Methods(), []string{"hwk"}) {
		t.Fatalf("second factor: ok %v err %v refusal %q %s methods %v", ok, err, res.Refusal, res.Detail, res.Methods())
	}
}

func TestWebAuthnSignCountRegressionRefused(t *testing.T) {
	ctx := context.Background()
	a, db, sub, _ := newWebAuthn(t)
	k := newSoftKey(t)
	register(t, a, sub, k, true)
	for range 3 {
		cer, _ := a.BeginLogin(ctx, sub, "flow-3")
		if _, ok, err := a.FinishLogin(ctx, "flow-3", cer.ID, false, k.get(t, cer.Options)); !ok || err != nil {
			t.Fatalf("login: %v %v", ok, err)
		}
	}
	// A clone of the key, whose counter is behind.
	k.count = 1
	cer, _ := a.BeginLogin(ctx, sub, "flow-3")
	res, ok, err := a.FinishLogin(ctx, "flow-3", cer.ID, false, k.get(t, cer.Options))
	if ok || err != nil || res.Refusal != authn.RefusalSignCount || res.AccountID != sub {
		t.Fatalf("counter went back: ok %v err %v refusal %q account %q", ok, err, res.Refusal, res.AccountID)
	}
	if stored, _ := db.FindWebAuthnCredential(ctx, k.id); stored.SignCount != 3 {
		t.Fatalf("the refused counter changed the stored one to %d", stored.SignCount)
	}
}

func TestWebAuthnCeremonyBoundAndExpiring(t *testing.T) {
	ctx := context.Background()
	a, _, sub, c := newWebAuthn(t)
	k := newSoftKey(t)
	register(t, a, sub, k, true)

	// Another flow cannot finish this one's ceremony.
	cer, _ := a.BeginLogin(ctx, sub, "flow-4")
	if res, ok, _ := a.FinishLogin(ctx, "flow-other", cer.ID, false, k.get(t, cer.Options)); ok || res.Refusal != authn.RefusalExpired {
		t.Fatalf("other binding: ok %v refusal %q", ok, res.Refusal)
	}
	// A second-factor ceremony cannot finish as a passwordless login.
	cer, _ = a.BeginLogin(ctx, sub, "flow-4")
	if res, ok, _ := a.FinishLogin(ctx, "flow-4", cer.ID, true, k.get(t, cer.Options)); ok || res.Refusal != authn.RefusalExpired {
		t.Fatalf("other purpose: ok %v refusal %q", ok, res.Refusal)
	}
	// A ceremony past its lifetime is gone.
	cer, _ = a.BeginLogin(ctx, sub, "flow-4")
	answer := k.get(t, cer.Options)
	c.t = c.t.Add(2 * time.Minute)
	if res, ok, _ := a.FinishLogin(ctx, "flow-4", cer.ID, false, answer); ok || res.Refusal != authn.RefusalExpired {
		t.Fatalf("expired ceremony: ok %v refusal %q", ok, res.Refusal)
	}
	// An answer made for another origin does not verify.
	c.t = time.Now()
	cer, _ = a.BeginLogin(ctx, sub, "flow-4")
	k.origin = "https://phishing.example.com"
	if res, ok, _ := a.FinishLogin(ctx, "flow-4", cer.ID, false, k.get(t, cer.Options)); ok || res.Refusal != authn.RefusalInvalid {
		t.Fatalf("other origin: ok %v refusal %q", ok, res.Refusal)
	}
	// Limited to one account, a passwordless login with another's key is refused.
	k.origin = testOrigin
	cer, _ = a.BeginPasswordless(ctx, "session-9", "someone-else", false)
	if res, ok, _ := a.FinishLogin(ctx, "session-9", cer.ID, true, k.get(t, cer.Options)); ok || res.Refusal != authn.RefusalUnknownCredential {
		t.Fatalf("another account's key: ok %v refusal %q", ok, res.Refusal)
	}
	// No credentials: BeginLogin says so.
	if _, err := a.BeginLogin(ctx, "nobody", "flow-5"); !errors.Is(err, authn.ErrNoCredentials) {
		t.Fatalf("BeginLogin without keys: %v", err)
	}
}

func TestWebAuthnRelyingPartyMustBeADomain(t *testing.T) {
	db, _ := newStore(t)
	if _, err := authn.NewWebAuthn(authn.WebAuthnOptions{RPID: "127.0.0.1", RPDisplayName: "x",
		Origins: []string{"http://127.0.0.1:8080"}}, db, db); err == nil {
		t.Fatal("an IP address was accepted as the relying party id")
	}
}
