package upstream

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"slices"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// A client assertion is signed with the key under its thumbprint kid and
// names the client as iss and sub, the token endpoint (and issuer) as aud,
// with a fresh jti and a 60-second life.
func TestClientAssertion(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ParsePrivateKey(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), "")
	if err != nil {
		t.Fatal(err)
	}
	if pub := key.Public(); pub.Algorithm != "ES384" || pub.KeyID == "" {
		t.Fatalf("public key %+v, want ES384 with a thumbprint kid", pub)
	}
	now := time.Unix(1_700_000_000, 0)
	jtis := map[string]bool{}
	for range 2 {
		raw, err := key.assertion("dinhdanh-tinh", "https://sso.example.vn/token", "https://sso.example.vn", now)
		if err != nil {
			t.Fatal(err)
		}
		jws, err := jose.ParseSigned(raw, []jose.SignatureAlgorithm{jose.ES384})
		if err != nil {
			t.Fatal(err)
		}
		if kid := jws.Signatures[0].Header.KeyID; kid != key.ID {
			t.Fatalf("kid %q, want %q", kid, key.ID)
		}
		payload, err := jws.Verify(&ec.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		var c struct {
			Iss, Sub, Jti string
			Aud           []string
			Iat, Exp      int64
		}
		if err := json.Unmarshal(payload, &c); err != nil {
			t.Fatal(err)
		}
		if c.Iss != "dinhdanh-tinh" || c.Sub != "dinhdanh-tinh" || !slices.Equal(c.Aud, []string{"https://sso.example.vn/token", "https://sso.example.vn"}) ||
			c.Iat != now.Unix() || c.Exp != now.Unix()+60 || c.Jti == "" || jtis[c.Jti] {
			t.Fatalf("assertion claims %+v", c)
		}
		jtis[c.Jti] = true
	}
	if _, err := ParsePrivateKey([]byte("not a key"), ""); err == nil {
		t.Fatal("a file without a PEM key was accepted")
	}
}
