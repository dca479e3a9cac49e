package oauth

import (
	"time"

	"github.com/mohae/deepcopy"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/dinhdanh/dinhdanh/server/identity"
)

// Session is what dinhdanh remembers with every authorization: who logged in,
// how (acr, amr, auth_time), through which SSO session (sid), in which
// capacity, for which business, and the ID-token claims released.
type Session struct {
	Subject   string                         `json:"sub,omitempty"`
	ExpiresAt map[fosite.TokenType]time.Time `json:"exp,omitempty"`
	// SID is the SSO session the authorization was made in.
	SID      string    `json:"sid,omitempty"`
	AuthTime time.Time `json:"auth_time,omitempty"`
	ACR      string    `json:"acr,omitempty"`
	AMR      []string  `json:"amr,omitempty"`
	// Capacity is "citizen" or "official": the capacity the login used.
	Capacity string `json:"cap,omitempty"`
	// TaxCode is the business the person acts for ("" for themselves).
	TaxCode string `json:"biz,omitempty"`
	// PersonalIDConsented records the explicit consent to release the personal ID.
	PersonalIDConsented bool `json:"pid,omitempty"`
	// VerifiedIDToken and VerifiedUserinfo are the application's requests
	// for "verified_claims" in the ID token and at userinfo (the claims
	// parameter of the authorization request); nil when none.
	VerifiedIDToken  *identity.VerifiedClaimsRequest `json:"vcid,omitempty"`
	VerifiedUserinfo *identity.VerifiedClaimsRequest `json:"vcui,omitempty"`
	// FamilyExpiresAt is the end of the refresh-token family issued from the
	// authorization: rotations keep it, and no refresh is accepted after it.
	// Zero in sessions stored before it existed (see refreshSession).
	FamilyExpiresAt time.Time `json:"fexp,omitempty"`
	// Claims are the ID token's claims; Headers its header hints (the signing algorithm).
	Claims  *jwt.IDTokenClaims `json:"idc,omitempty"`
	Headers *jwt.Headers       `json:"idh,omitempty"`
}

var _ openid.Session = (*Session)(nil)

// NewSession returns an empty session (for deserialising stored requests).
func NewSession() fosite.Session { return &Session{} }

// SetExpiresAt implements fosite.Session.
func (s *Session) SetExpiresAt(key fosite.TokenType, exp time.Time) {
	if s.ExpiresAt == nil {
		s.ExpiresAt = map[fosite.TokenType]time.Time{}
	}
	s.ExpiresAt[key] = exp
}

// GetExpiresAt implements fosite.Session.
func (s *Session) GetExpiresAt(key fosite.TokenType) time.Time {
	if s.ExpiresAt == nil {
		return time.Time{}
	}
	return s.ExpiresAt[key]
}

// GetUsername implements fosite.Session.
func (s *Session) GetUsername() string { return "" }

// GetSubject implements fosite.Session.
func (s *Session) GetSubject() string { return s.Subject }

// SessionID returns the SSO session id (stored with refresh tokens).
func (s *Session) SessionID() string { return s.SID }

// BusinessTaxCode returns the tax code of the business the person acts for,
// or "" (stored with refresh tokens).
func (s *Session) BusinessTaxCode() string { return s.TaxCode }

// RefreshFamilyExpiresAt returns the end of the refresh-token family, or the
// zero time when the session does not say (a refresh token's stored expiry
// never passes it).
func (s *Session) RefreshFamilyExpiresAt() time.Time { return s.FamilyExpiresAt }

// Clone implements fosite.Session.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	return deepcopy.Copy(s).(fosite.Session)
}

// IDTokenClaims implements openid.Session.
func (s *Session) IDTokenClaims() *jwt.IDTokenClaims {
	if s.Claims == nil {
		s.Claims = &jwt.IDTokenClaims{}
	}
	return s.Claims
}

// IDTokenHeaders implements openid.Session.
func (s *Session) IDTokenHeaders() *jwt.Headers {
	if s.Headers == nil {
		s.Headers = &jwt.Headers{}
	}
	return s.Headers
}

// GetExtraClaims implements fosite.ExtraClaimsSession: introspection answers
// carry how and in which capacity the person logged in.
func (s *Session) GetExtraClaims() map[string]any {
	m := map[string]any{}
	if s.ACR != "" {
		m["acr"] = s.ACR
	}
	if len(s.AMR) > 0 {
		m["amr"] = s.AMR
	}
	if !s.AuthTime.IsZero() {
		m["auth_time"] = s.AuthTime.Unix()
	}
	if s.SID != "" {
		m["sid"] = s.SID
	}
	if s.Capacity != "" {
		m["account_kind"] = s.Capacity
	}
	if s.TaxCode != "" {
		m["tax_code"] = s.TaxCode
	}
	return m
}
