package admin

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
)

// Service performs administrative operations. Build it with NewService.
type Service struct {
	Store    store.Store
	Eph      store.Ephemeral
	Sessions *session.Manager
	Logout   *session.Logout
	Guard    *authn.Guard
	Hasher   authn.Hasher
	// MinPasswordLength is the shortest password accepted.
	MinPasswordLength int
	// Actor is recorded in the audit log ("cli" for the command line).
	Actor string
	// Policy is what administrators' sessions must meet (see Allow).
	Policy Policy
	// Keys is the signing key set (SigningKeys, RotateKeys); nil: none.
	Keys *keys.Set
	// Dirs are the configured staff directories (Directories,
	// TestDirectory, SyncDirectory); nil: none.
	Dirs DirectoryOps
	// AccessTokenLifespan is the longest life of an access token: the
	// durable revocation of a locked account's tokens lasts that long (with
	// a margin). 0: one hour.
	AccessTokenLifespan time.Duration

	recorder  *audit.Recorder
	principal *Principal // nil: the command line
}

// NewService returns s ready to use, recording every change it makes
// through rec (as s.Actor). It panics when rec is nil.
func NewService(s Service, rec *audit.Recorder) *Service {
	if rec == nil {
		panic("admin: NewService needs an audit recorder")
	}
	s.recorder = rec
	return &s
}

// Problems lists every problem of an input, by field.
type Problems []Problem

// Problem is one invalid field.
type Problem struct{ Field, Message string }

func (p Problems) Error() string {
	var b strings.Builder
	for i, x := range p {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(x.Field + ": " + x.Message)
	}
	return b.String()
}

func (p *Problems) add(field, format string, args ...any) {
	*p = append(*p, Problem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (p Problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

// audit records a change that is already made: a failed write is logged by
// the recorder and does not undo it.
func (s *Service) audit(ctx context.Context, ev audit.Event, subject, clientID string, details map[string]string) {
	address := ""
	if s.principal != nil {
		address = s.principal.Address
	}
	_ = s.recorder.Record(ctx, audit.Entry{Event: ev, Actor: s.Actor, Subject: subject, ClientID: clientID,
		Address: address, Details: details})
}

// ClientSpec describes a client to register.
type ClientSpec struct {
	ID                      string // "" = generated
	Name                    string
	Public                  bool
	FirstParty              bool
	RedirectURIs            []string
	GrantTypes              []string // default: authorization_code, refresh_token
	Scopes                  []string // default: openid profile email phone
	Audience                []string
	IDTokenAlgorithm        string // default RS256
	AccessTokenFormat       string // default jwt
	TokenEndpointAuthMethod string // default client_secret_basic
	// PostLogoutRedirectURIs are where RP-initiated logout may return the browser (exact match).
	PostLogoutRedirectURIs []string
	// BackchannelLogoutURI receives logout tokens (https, or http on localhost).
	BackchannelLogoutURI string
	// FrontchannelLogoutURI is loaded in a frame of the logout page.
	FrontchannelLogoutURI string
	// MinimumACR is the lowest assurance level of a login for the client: "", LoA1, LoA2 or LoA3.
	MinimumACR string
	// ClaimProfile adds claim names besides the standard ones (see
	// identity.ParseClaimProfile): "" or "standard" (default), or "dvcqg"
	// for the national public-service portal's names.
	ClaimProfile string
	// Agency is the agency that owns the application ("" = the province):
	// its administrators manage it.
	Agency string
	// PurposeVI and PurposeEN state why the application processes personal
	// data, and PrivacyURLVI and PrivacyURLEN link its privacy notice, in
	// Vietnamese and English; the consent page shows them (purpose.go).
	PurposeVI, PurposeEN, PrivacyURLVI, PrivacyURLEN string
}

var clientIDPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._-]{1,63}$`)

// GrantTypes are the grant types a client may be registered with.
var GrantTypes = []string{"authorization_code", "refresh_token", "client_credentials"}

func validateRedirectURI(p *Problems, u string, public bool) {
	parsed, err := url.Parse(u)
	switch {
	case err != nil || !parsed.IsAbs() || parsed.Host == "" && parsed.Scheme != "http" && parsed.Scheme != "https" && !strings.Contains(parsed.Scheme, "."):
		p.add("redirect_uri", "%q is not an absolute URI", u)
	case parsed.Fragment != "" || strings.Contains(u, "#"):
		p.add("redirect_uri", "%q must not contain a fragment", u)
	case parsed.Scheme == "http":
		h := parsed.Hostname()
		if h != "localhost" && h != "127.0.0.1" && h != "::1" {
			p.add("redirect_uri", "%q must use https (http is only for localhost)", u)
		}
	case parsed.Scheme == "https":
	default:
		// Private-use schemes (reverse domain, RFC 8252) are for native (public) clients only.
		if !public || !strings.Contains(parsed.Scheme, ".") {
			p.add("redirect_uri", "%q: scheme %q is only allowed for public native clients, as a reverse domain name", u, parsed.Scheme)
		}
	}
}

// CreateClient validates and registers a client. For a confidential client
// it returns the secret: a 256-bit random value shown only now; only its
// SHA-256 is stored.
func (s *Service) CreateClient(ctx context.Context, spec ClientSpec) (*store.Client, string, error) {
	if err := s.Allow(ctx, PermClientWrite, Target{Agency: strings.TrimSpace(spec.Agency), Ref: spec.ID}); err != nil {
		return nil, "", err
	}
	if spec.ID == "" {
		spec.ID = newClientID()
	}
	c, p := clientOf(spec)
	if err := p.err(); err != nil {
		return nil, "", err
	}
	secret := ""
	if !spec.Public {
		secret = randomID(32)
		c.SecretHash = oauth.HashSecret(secret)
	}
	if err := s.Store.CreateClient(ctx, c); err != nil {
		if _, ok := store.IsConflict(err); ok {
			return nil, "", Problems{{Field: "id", Message: fmt.Sprintf("a client %q already exists", spec.ID)}}
		}
		return nil, "", err
	}
	s.audit(ctx, audit.ClientCreate, "", c.ID, map[string]string{"public": fmt.Sprint(c.Public)})
	return c, secret, nil
}

// clientOf validates spec (with its defaults applied) and returns the
// client it describes, without secret and times, and every problem of it.
func clientOf(spec ClientSpec) (*store.Client, Problems) {
	var p Problems
	if !clientIDPattern.MatchString(spec.ID) {
		p.add("id", "must be 2–64 characters of letters, digits, '.', '_' or '-'")
	}
	spec.Name = strings.TrimSpace(spec.Name)
	if spec.Name == "" || len(spec.Name) > 200 {
		p.add("name", "is required (at most 200 characters)")
	}
	if len(spec.GrantTypes) == 0 {
		spec.GrantTypes = []string{"authorization_code", "refresh_token"}
	}
	for _, g := range spec.GrantTypes {
		if !slices.Contains(GrantTypes, g) {
			p.add("grant_type", "%q is not supported (allowed: %s; implicit and password grants are not offered)", g, strings.Join(GrantTypes, ", "))
		}
	}
	if spec.Public && slices.Contains(spec.GrantTypes, "client_credentials") {
		p.add("grant_type", "a public client cannot use client_credentials")
	}
	usesCode := slices.Contains(spec.GrantTypes, "authorization_code")
	if usesCode && len(spec.RedirectURIs) == 0 {
		p.add("redirect_uri", "at least one redirect URI is required for authorization_code")
	}
	if !usesCode && len(spec.RedirectURIs) > 0 {
		p.add("redirect_uri", "redirect URIs need the authorization_code grant")
	}
	for _, u := range spec.RedirectURIs {
		validateRedirectURI(&p, u, spec.Public)
	}
	if len(spec.Scopes) == 0 {
		if usesCode {
			spec.Scopes = []string{"openid", "profile", "email", "phone"}
		}
	}
	for _, sc := range spec.Scopes {
		if !slices.Contains(oauth.Scopes, sc) && !validCustomScope(sc) {
			p.add("scope", "%q is not a valid scope", sc)
		}
	}
	if spec.IDTokenAlgorithm == "" {
		spec.IDTokenAlgorithm = keys.RS256
	}
	if !keys.Supported(spec.IDTokenAlgorithm) {
		p.add("id_token_alg", "%q is not supported (RS256, ES256, EdDSA)", spec.IDTokenAlgorithm)
	}
	if spec.AccessTokenFormat == "" {
		spec.AccessTokenFormat = store.AccessTokenJWT
	}
	if spec.AccessTokenFormat != store.AccessTokenJWT && spec.AccessTokenFormat != store.AccessTokenOpaque {
		p.add("access_token_format", "must be jwt or opaque")
	}
	switch {
	case spec.Public:
		spec.TokenEndpointAuthMethod = "none"
	case spec.TokenEndpointAuthMethod == "":
		spec.TokenEndpointAuthMethod = "client_secret_basic"
	case spec.TokenEndpointAuthMethod != "client_secret_basic" && spec.TokenEndpointAuthMethod != "client_secret_post":
		p.add("auth_method", "must be client_secret_basic or client_secret_post")
	}
	for _, u := range spec.PostLogoutRedirectURIs {
		validateRedirectURI(&p, u, spec.Public)
	}
	for _, u := range []string{spec.BackchannelLogoutURI, spec.FrontchannelLogoutURI} {
		if u == "" {
			continue
		}
		if parsed, err := url.Parse(u); err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" || parsed.Fragment != "" {
			p.add("logout_uri", "%q must be an absolute http(s) URI without a fragment", u)
		} else if parsed.Scheme == "http" {
			if h := parsed.Hostname(); h != "localhost" && h != "127.0.0.1" && h != "::1" {
				p.add("logout_uri", "%q must use https (http is only for localhost)", u)
			}
		}
	}
	if spec.MinimumACR != "" && authn.Rank(spec.MinimumACR) == 0 {
		p.add("min_acr", "%q is not an assurance level (LoA1, LoA2 or LoA3)", spec.MinimumACR)
	}
	profile, err := identity.ParseClaimProfile(spec.ClaimProfile)
	if err != nil {
		p.add("claim_profile", "%q is not a claim profile (standard or dvcqg)", spec.ClaimProfile)
	}
	validatePurpose(&p, &spec)
	c := &store.Client{ID: spec.ID, Agency: strings.TrimSpace(spec.Agency), MinimumACR: spec.MinimumACR, ClaimProfile: string(profile), Name: spec.Name, Public: spec.Public, FirstParty: spec.FirstParty,
		RedirectURIs: spec.RedirectURIs, GrantTypes: spec.GrantTypes, Scopes: spec.Scopes, Audience: spec.Audience,
		IDTokenAlgorithm: spec.IDTokenAlgorithm, AccessTokenFormat: spec.AccessTokenFormat,
		TokenEndpointAuthMethod: spec.TokenEndpointAuthMethod, PostLogoutRedirectURIs: spec.PostLogoutRedirectURIs,
		BackchannelLogoutURI: spec.BackchannelLogoutURI, FrontchannelLogoutURI: spec.FrontchannelLogoutURI}
	applyPurpose(c, &spec)
	return c, p
}

var customScope = regexp.MustCompile(`^[a-z][a-z0-9_.:-]{0,63}$`)

func validCustomScope(s string) bool { return customScope.MatchString(s) }

// RotateSecret replaces a confidential client's secret and returns the new one.
func (s *Service) RotateSecret(ctx context.Context, id string) (string, error) {
	if err := s.allowOnClient(ctx, PermClientWrite, id); err != nil {
		return "", err
	}
	c, err := s.Store.GetClient(ctx, id)
	if err != nil {
		return "", err
	}
	if c.Public {
		return "", Problems{{Field: "id", Message: "a public client has no secret"}}
	}
	// Only the secret is written: a concurrent edit of the settings stays.
	secret := randomID(32)
	if err := s.Store.SetClientSecret(ctx, c.ID, oauth.HashSecret(secret)); err != nil {
		return "", err
	}
	s.audit(ctx, audit.ClientRotateSecret, "", c.ID, map[string]string{"client_secret": audit.Changed})
	return secret, nil
}

// DeleteClient removes a client with its consents and refresh tokens.
func (s *Service) DeleteClient(ctx context.Context, id string) error {
	if err := s.allowOnClient(ctx, PermClientDelete, id); err != nil {
		return err
	}
	if err := s.Store.DeleteClient(ctx, id); err != nil {
		return err
	}
	s.audit(ctx, audit.ClientDelete, "", id, nil)
	return nil
}

// newClientID returns a random client id that clientIDPattern accepts: a
// base64url string may begin with '-' or '_', which the pattern refuses.
func newClientID() string {
	for {
		if id := randomID(12); clientIDPattern.MatchString(id) {
			return id
		}
	}
}

func randomID(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// RandomPassword returns a strong random password (for bootstrap).
func RandomPassword() string { return randomID(15) }

// ErrNotFound is returned when the account, client or business named does not exist.
var ErrNotFound = store.ErrNotFound

// IsNotFound reports whether err means "no such thing".
func IsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
