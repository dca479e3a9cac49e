package keys

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite/token/jwt"
)

// HeaderAlgorithm is the header key by which a token asks for its signing
// algorithm (fosite drops "alg" from header hints); the signer removes it
// and writes the real "alg".
const HeaderAlgorithm = "x-dinhdanh-alg"

// Signer implements fosite's jwt.Signer over a key Set.
type Signer struct {
	Set *Set
	// Default is the algorithm used when a token asks for none (RS256).
	Default string
}

var _ jwt.Signer = (*Signer)(nil)

// Generate signs the claims with the current key of the algorithm named in
// the header (Default when absent). The kid header names the key. EdDSA
// tokens carry no at_hash/c_hash: those are defined with the algorithm's
// hash and are optional in the code flow.
func (s *Signer) Generate(_ context.Context, claims jwt.MapClaims, header jwt.Mapper) (string, string, error) {
	h := map[string]any{}
	if header != nil {
		h = header.ToMap()
	}
	alg, _ := h[HeaderAlgorithm].(string)
	if alg == "" {
		alg = s.Default
	}
	if alg == "" {
		alg = RS256
	}
	key := s.Set.Current(alg)
	if key == nil {
		return "", "", fmt.Errorf("no current signing key for %s", alg)
	}
	if alg == EdDSA {
		delete(claims, "at_hash")
		delete(claims, "c_hash")
	}
	opts := (&jose.SignerOptions{}).WithHeader("kid", key.ID)
	typ, _ := h["typ"].(string)
	if typ == "" {
		typ = "JWT"
	}
	opts = opts.WithType(jose.ContentType(typ))
	for k, v := range h {
		if k == HeaderAlgorithm || k == "typ" || k == "kid" {
			continue
		}
		opts = opts.WithHeader(jose.HeaderKey(k), v)
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: key.Private}, opts)
	if err != nil {
		return "", "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", "", err
	}
	obj, err := sig.Sign(payload)
	if err != nil {
		return "", "", err
	}
	token, err := obj.CompactSerialize()
	if err != nil {
		return "", "", err
	}
	return token, token[strings.LastIndexByte(token, '.')+1:], nil
}

// Validate checks the token's signature against the published keys and
// returns its signature part.
func (s *Signer) Validate(ctx context.Context, token string) (string, error) {
	if _, err := s.Decode(ctx, token); err != nil {
		return "", err
	}
	return s.GetSignature(ctx, token)
}

// Decode parses and verifies a token signed by one of the published keys.
func (s *Signer) Decode(_ context.Context, token string) (*jwt.Token, error) {
	return jwt.ParseWithClaims(token, jwt.MapClaims{}, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k := s.Set.Lookup(kid)
		if k == nil {
			return nil, errors.New("unknown signing key")
		}
		if string(t.Method) != k.Algorithm {
			return nil, errors.New("algorithm does not match the key")
		}
		return k.Public, nil
	})
}

// GetSignature returns the signature part of a compact JWS.
func (s *Signer) GetSignature(_ context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("header, body and signature must all be set")
	}
	return parts[2], nil
}

// Hash returns the SHA-256 of in (for at_hash/c_hash of RS256 and ES256 tokens).
func (s *Signer) Hash(_ context.Context, in []byte) ([]byte, error) {
	h := sha256.Sum256(in)
	return h[:], nil
}

// GetSigningMethodLength returns the SHA-256 size.
func (s *Signer) GetSigningMethodLength(context.Context) int { return sha256.Size }
