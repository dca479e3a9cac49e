package keys

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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
// An expired token is returned together with a *jwt.ValidationError whose
// Errors has jwt.ValidationErrorExpired set (expired ID tokens are valid
// id_token_hint values).
func (s *Signer) Decode(_ context.Context, token string) (*jwt.Token, error) {
	obj, err := jose.ParseSigned(token)
	if err != nil || len(obj.Signatures) != 1 {
		return nil, &jwt.ValidationError{Errors: jwt.ValidationErrorMalformed}
	}
	h := obj.Signatures[0].Header
	k := s.Set.Lookup(h.KeyID)
	if k == nil || h.Algorithm != k.Algorithm {
		return nil, &jwt.ValidationError{Errors: jwt.ValidationErrorUnverifiable, Inner: errors.New("unknown signing key")}
	}
	payload, err := obj.Verify(k.Public)
	if err != nil {
		return nil, &jwt.ValidationError{Errors: jwt.ValidationErrorSignatureInvalid, Inner: err}
	}
	claims := jwt.MapClaims{}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, &jwt.ValidationError{Errors: jwt.ValidationErrorClaimsInvalid, Inner: err}
	}
	header := map[string]any{"alg": h.Algorithm, "kid": h.KeyID}
	for k, v := range h.ExtraHeaders {
		header[string(k)] = v
	}
	t := &jwt.Token{Header: header, Claims: claims, Method: jose.SignatureAlgorithm(h.Algorithm)}
	if exp, ok := claims["exp"].(float64); ok && time.Unix(int64(exp), 0).Before(time.Now()) {
		return t, &jwt.ValidationError{Errors: jwt.ValidationErrorExpired}
	}
	return t, nil
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
