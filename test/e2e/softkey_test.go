package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"net/url"
	"testing"

	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// softKey is a software security key: one P-256 credential that answers
// WebAuthn creation options as a CTAP2 authenticator does, with "none"
// attestation, for the page origin it is used from.
type softKey struct {
	key    *ecdsa.PrivateKey
	id     []byte
	origin string
}

func newSoftKey(t *testing.T, origin string) *softKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return &softKey{key: k, id: id, origin: origin}
}

// create answers creation options (publicKey.challenge) with a new
// credential for the relying party id of the origin's host.
func (s *softKey) create(t *testing.T, options any) json.RawMessage {
	t.Helper()
	raw, _ := json.Marshal(options)
	var o struct {
		PublicKey struct {
			Challenge string `json:"challenge"`
		} `json:"publicKey"`
	}
	if err := json.Unmarshal(raw, &o); err != nil || o.PublicKey.Challenge == "" {
		t.Fatalf("creation options without a challenge: %s", raw)
	}
	u, err := url.Parse(s.origin)
	if err != nil {
		t.Fatal(err)
	}
	rp := sha256.Sum256([]byte(u.Hostname()))
	ad := append([]byte{}, rp[:]...)
	ad = append(ad, 0x01|0x04|0x40) // user present, verified, attested credential data
	ad = binary.BigEndian.AppendUint32(ad, 0)
	ad = append(ad, make([]byte, 16)...) // AAGUID
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(s.id)))
	ad = append(ad, s.id...)
	x, y := make([]byte, 32), make([]byte, 32)
	s.key.PublicKey.X.FillBytes(x)
	s.key.PublicKey.Y.FillBytes(y)
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		t.Fatal(err)
	}
	ad = append(ad, cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": ad})
	if err != nil {
		t.Fatal(err)
	}
	cd, _ := json.Marshal(map[string]any{"type": "webauthn.create", "challenge": o.PublicKey.Challenge, "origin": s.origin,
		"crossOrigin": false})
	b64u := base64.RawURLEncoding
	body, _ := json.Marshal(map[string]any{
		"id": b64u.EncodeToString(s.id), "rawId": b64u.EncodeToString(s.id), "type": "public-key",
		"response": map[string]any{"clientDataJSON": b64u.EncodeToString(cd), "attestationObject": b64u.EncodeToString(att),
			"transports": []string{"usb"}},
		"clientExtensionResults": map[string]any{},
	})
	return body
}
