package upstream

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/dinhdanh/dinhdanh/server/web"
)

// The client authentication methods at a provider's token endpoint.
const (
	authBasic         = "client_secret_basic"
	authPost          = "client_secret_post"
	authPrivateKeyJWT = "private_key_jwt"
)

// clientAssertionType is the client_assertion_type of a JWT client assertion (RFC 7523).
const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// assertionLifetime is how long a client assertion is valid.
const assertionLifetime = 60 * time.Second

// PrivateKey is dinhdanh's key for private_key_jwt at a provider.
type PrivateKey struct {
	// ID is the kid of the assertions.
	ID        string
	key       crypto.Signer
	algorithm jose.SignatureAlgorithm
}

// ParsePrivateKey reads a PEM private key (RSA, or EC P-256, P-384 or P-521;
// PKCS #8, PKCS #1 or SEC 1). kid names it in the assertions; when "" it is
// the key's JWK thumbprint (RFC 7638, SHA-256, base64url).
func ParsePrivateKey(pemBytes []byte, kid string) (*PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var key any
	var err error
	if key, err = x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if key, err = x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
			if key, err = x509.ParseECPrivateKey(block.Bytes); err != nil {
				return nil, errors.New("not a PKCS #8, PKCS #1 or SEC 1 private key")
			}
		}
	}
	k := &PrivateKey{ID: kid}
	switch key := key.(type) {
	case *rsa.PrivateKey:
		if key.N.BitLen() < 2048 {
			return nil, fmt.Errorf("the RSA key has %d bits; at least 2048 are needed", key.N.BitLen())
		}
		k.key, k.algorithm = key, jose.RS256
	case *ecdsa.PrivateKey:
		switch key.Curve {
		case elliptic.P256():
			k.algorithm = jose.ES256
		case elliptic.P384():
			k.algorithm = jose.ES384
		case elliptic.P521():
			k.algorithm = jose.ES512
		default:
			return nil, errors.New("the EC key is not on P-256, P-384 or P-521")
		}
		k.key = key
	default:
		return nil, fmt.Errorf("a %T key is neither RSA nor EC", key)
	}
	if k.ID == "" {
		tp, err := (&jose.JSONWebKey{Key: k.key.Public()}).Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, err
		}
		k.ID = base64.RawURLEncoding.EncodeToString(tp)
	}
	return k, nil
}

// Public returns the public key as a JWK, kid and alg set: what the provider registers.
func (k *PrivateKey) Public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.key.Public(), KeyID: k.ID, Algorithm: string(k.algorithm), Use: "sig"}
}

// assertion returns a client assertion of clientID for the token endpoint
// tokenURL of the provider issuer: iss = sub = clientID, aud = [tokenURL,
// issuer] (OpenID Connect Core 9 names the token endpoint, RFC 7523 any value
// identifying the authorization server, which many providers check against
// their issuer), a random jti, iat = now and exp = now + 60 s.
func (k *PrivateKey) assertion(clientID, tokenURL, issuer string, now time.Time) (string, error) {
	if k == nil {
		return "", errors.New("no private key")
	}
	aud := []string{tokenURL}
	if issuer != "" && issuer != tokenURL {
		aud = append(aud, issuer)
	}
	payload, err := json.Marshal(map[string]any{"iss": clientID, "sub": clientID, "aud": aud,
		"jti": web.RandomToken(18), "iat": now.Unix(), "exp": now.Add(assertionLifetime).Unix()})
	if err != nil {
		return "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.algorithm, Key: k.key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.ID))
	if err != nil {
		return "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}
