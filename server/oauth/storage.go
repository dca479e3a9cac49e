package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"

	"github.com/dinhdanh/dinhdanh/store"
)

// Storage adapts a durable store.Store and a store.Ephemeral to the storage
// interfaces fosite asks for. Authorization codes, PKCE and OIDC requests and
// access-token records are ephemeral; refresh-token families are durable.
// The clients it hands to fosite are *Client.
type Storage struct {
	durable    store.Store
	eph        store.Ephemeral
	newSession func() fosite.Session
	now        func() time.Time

	mu        sync.Mutex
	clients   map[string]cachedClient
	clientTTL time.Duration

	codeSig func(ctx context.Context, code string) string // see SetCodeSignature

	// reuseWindow is the refresh reuse window (refresh_window.go); 0 is off.
	reuseWindow time.Duration

	// accessLifespan is the longest life of an access token: a durable
	// revocation lasts that long (see revocationExpiry).
	accessLifespan time.Duration
}

// codeLifetime is how long an authorization code lives when its session does
// not say.
const codeLifetime = 10 * time.Minute

type cachedClient struct {
	c       *Client
	fetched time.Time
}

var (
	_ fosite.Storage                     = (*Storage)(nil)
	_ oauth2.CoreStorage                 = (*Storage)(nil)
	_ oauth2.TokenRevocationStorage      = (*Storage)(nil)
	_ openid.OpenIDConnectRequestStorage = (*Storage)(nil)
	_ pkce.PKCERequestStorage            = (*Storage)(nil)
)

// NewStorage returns the fosite storage over the two stores. newSession makes
// an empty session of the type the server uses, for deserialising requests.
// Clients are cached for clientTTL (0 disables the cache) so the hot paths
// (introspection, client credentials) do not read the database every time.
func NewStorage(durable store.Store, eph store.Ephemeral, newSession func() fosite.Session, clientTTL time.Duration) *Storage {
	return &Storage{durable: durable, eph: eph, newSession: newSession, now: time.Now,
		clients: map[string]cachedClient{}, clientTTL: clientTTL}
}

// ForgetClient drops a client from the cache (after an update on this node).
func (s *Storage) ForgetClient(id string) {
	s.mu.Lock()
	delete(s.clients, id)
	s.mu.Unlock()
}

// LookupClient returns the registered client, through the cache, or
// store.ErrNotFound.
func (s *Storage) LookupClient(ctx context.Context, id string) (*store.Client, error) {
	c, err := s.client(ctx, id)
	if err != nil {
		return nil, err
	}
	return c.Client, nil
}

// client returns the registered client as fosite sees it, through the cache.
func (s *Storage) client(ctx context.Context, id string) (*Client, error) {
	now := s.now()
	if s.clientTTL > 0 {
		s.mu.Lock()
		cc, ok := s.clients[id]
		s.mu.Unlock()
		if ok && now.Sub(cc.fetched) < s.clientTTL {
			return cc.c, nil
		}
	}
	sc, err := s.durable.GetClient(ctx, id)
	if err != nil {
		return nil, failed(ctx, err)
	}
	c := &Client{Client: sc}
	if s.clientTTL > 0 {
		s.mu.Lock()
		if len(s.clients) > 10000 {
			s.clients = map[string]cachedClient{}
		}
		s.clients[id] = cachedClient{c: c, fetched: now}
		s.mu.Unlock()
	}
	return c, nil
}

// GetClient implements fosite.ClientManager: the client is a *Client.
func (s *Storage) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	c, err := s.client(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ClientAssertionJWTValid implements fosite.ClientManager: a jti seen before is refused.
func (s *Storage) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	_, err := s.eph.GetRecord(ctx, store.KindClientJTI, jti)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return failed(ctx, err)
	}
	return fosite.ErrJTIKnown
}

// SetClientAssertionJWT implements fosite.ClientManager.
func (s *Storage) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	return failed(ctx, s.eph.PutRecord(ctx, store.KindClientJTI, &store.Record{Key: jti, ExpiresAt: exp}))
}

// serialRequest is the stored form of a fosite request.
type serialRequest struct {
	ID                string          `json:"id"`
	RequestedAt       time.Time       `json:"at"`
	ClientID          string          `json:"c"`
	RequestedScope    []string        `json:"rs,omitempty"`
	GrantedScope      []string        `json:"gs,omitempty"`
	RequestedAudience []string        `json:"ra,omitempty"`
	GrantedAudience   []string        `json:"ga,omitempty"`
	Form              url.Values      `json:"f,omitempty"`
	Session           json.RawMessage `json:"s"`
	bundle                            // a code's PKCE and OpenID Connect requests (storage_bundle.go)
}

// secretFormKeys are never stored with a request.
var secretFormKeys = []string{"client_secret", "password", "code_verifier", "refresh_token", "code", "client_assertion", "token"}

func marshalRequest(r fosite.Requester) ([]byte, error) { return marshalRequestWith(r, bundle{}) }

func marshalRequestWith(r fosite.Requester, b bundle) ([]byte, error) {
	sess, err := json.Marshal(r.GetSession())
	if err != nil {
		return nil, fmt.Errorf("oauth: encoding session: %w", err)
	}
	return json.Marshal(serialRequest{
		ID: r.GetID(), RequestedAt: r.GetRequestedAt(), ClientID: r.GetClient().GetID(),
		RequestedScope: r.GetRequestedScopes(), GrantedScope: r.GetGrantedScopes(),
		RequestedAudience: r.GetRequestedAudience(), GrantedAudience: r.GetGrantedAudience(),
		Form: publicForm(r), Session: sess, bundle: b,
	})
}

// publicForm is the form of r without the values never stored; nil when empty.
func publicForm(r fosite.Requester) url.Values {
	form := url.Values{}
	for k, v := range r.GetRequestForm() {
		form[k] = v
	}
	for _, k := range secretFormKeys {
		delete(form, k)
	}
	if len(form) == 0 {
		return nil
	}
	return form
}

func (s *Storage) unmarshalRequest(ctx context.Context, data []byte, session fosite.Session) (*fosite.Request, error) {
	var sr serialRequest
	if err := json.Unmarshal(data, &sr); err != nil {
		return nil, fmt.Errorf("oauth: decoding request: %w", err)
	}
	return s.buildRequest(ctx, &sr, session)
}

// buildRequest makes the request a decoded record holds, decoding its session
// into session (a new one when nil).
func (s *Storage) buildRequest(ctx context.Context, sr *serialRequest, session fosite.Session) (*fosite.Request, error) {
	if session == nil {
		session = s.newSession()
	}
	if err := json.Unmarshal(sr.Session, session); err != nil {
		return nil, fmt.Errorf("oauth: decoding session: %w", err)
	}
	client, err := s.client(ctx, sr.ClientID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			// The client was deleted: its tokens are gone with it.
			return nil, fosite.ErrNotFound
		}
		return nil, err
	}
	r := &fosite.Request{
		ID: sr.ID, RequestedAt: sr.RequestedAt, Client: client,
		RequestedScope: sr.RequestedScope, GrantedScope: sr.GrantedScope,
		RequestedAudience: sr.RequestedAudience, GrantedAudience: sr.GrantedAudience,
		Form: sr.Form, Session: session,
	}
	if r.Form == nil {
		r.Form = url.Values{}
	}
	return r, nil
}

func expiry(r fosite.Requester, t fosite.TokenType, fallback time.Duration, now time.Time) time.Time {
	if e := r.GetSession().GetExpiresAt(t); !e.IsZero() {
		return e
	}
	return now.Add(fallback)
}

func (s *Storage) putRequest(ctx context.Context, kind store.RecordKind, key string, r fosite.Requester, exp time.Time) error {
	data, err := marshalRequest(r)
	if err != nil {
		return err
	}
	return failed(ctx, s.eph.PutRecord(ctx, kind, &store.Record{Key: key, RequestID: r.GetID(), Subject: r.GetSession().GetSubject(), Data: data, ExpiresAt: exp}))
}

func (s *Storage) getRequest(ctx context.Context, kind store.RecordKind, key string, session fosite.Session) (*fosite.Request, bool, error) {
	var rec *store.Record
	var err error
	if kind == store.KindAuthorizeCode {
		rec, err = s.codeRecord(ctx, key)
	} else {
		rec, err = s.eph.GetRecord(ctx, kind, key)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, fosite.ErrNotFound
	}
	if err != nil {
		return nil, false, failed(ctx, err)
	}
	r, err := s.unmarshalRequest(ctx, rec.Data, session)
	return r, rec.Used, err
}

func notFoundOK(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// CreateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
func (s *Storage) CreateAuthorizeCodeSession(ctx context.Context, code string, r fosite.Requester) error {
	if b := batchOf(ctx); b != nil {
		b.code, b.codeReq = code, r
		return nil
	}
	return s.putRequest(ctx, store.KindAuthorizeCode, code, r, expiry(r, fosite.AuthorizeCode, codeLifetime, s.now()))
}

// GetAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage: a used code
// returns fosite.ErrInvalidatedAuthorizeCode together with its request.
func (s *Storage) GetAuthorizeCodeSession(ctx context.Context, code string, session fosite.Session) (fosite.Requester, error) {
	r, used, err := s.getRequest(ctx, store.KindAuthorizeCode, code, session)
	if err != nil {
		return nil, err
	}
	if used {
		// fosite revokes the code's tokens next; the mark makes an exchange
		// still writing them revoke them itself (ConfirmCodeExchange).
		if err := s.markCodeReused(ctx, code); err != nil {
			return nil, err
		}
		return r, fosite.ErrInvalidatedAuthorizeCode
	}
	return r, nil
}

// InvalidateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage. It is
// atomic: of two concurrent exchanges of one code only one succeeds. The
// loser finds the code spent: it marks the code reused, revokes the tokens
// of the code's request (RFC 6749 §4.1.2) and returns
// fosite.ErrInvalidatedAuthorizeCode; inside a token request, CodeReused
// then tells the caller to answer invalid_grant.
func (s *Storage) InvalidateAuthorizeCodeSession(ctx context.Context, code string) error {
	err := s.eph.MarkRecordUsed(ctx, store.KindAuthorizeCode, code)
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		if err := s.codeReused(ctx, code); err != nil {
			return err
		}
		return fosite.ErrInvalidatedAuthorizeCode
	case errors.Is(err, store.ErrNotFound):
		return fosite.ErrNotFound
	}
	return failed(ctx, err)
}

// reusedCodeKey is the key of the mark left by an exchange of a spent code
// (in the authorization codes' namespace; a code's signature has no dot).
func reusedCodeKey(sig string) string { return "reused." + sig }

// markCodeReused records that the code with signature sig was presented
// after it was spent.
func (s *Storage) markCodeReused(ctx context.Context, sig string) error {
	return failed(ctx, s.eph.PutRecord(ctx, store.KindAuthorizeCode, &store.Record{Key: reusedCodeKey(sig),
		ExpiresAt: s.now().Add(codeLifetime)}))
}

// codeReused handles a code presented again, in a token request that read
// its record: the code is marked reused, then the tokens issued for it are
// revoked. An exchange that is still writing them sees the mark afterwards
// (ConfirmCodeExchange) and revokes them itself, so whichever order the two
// requests take, no token of a reused code stays active.
func (s *Storage) codeReused(ctx context.Context, sig string) error {
	e := exchangeOf(ctx)
	if e != nil && e.key == sig {
		e.codeReused = true
	}
	if err := s.markCodeReused(ctx, sig); err != nil {
		return err
	}
	if e == nil || e.key != sig || e.rec == nil || e.rec.RequestID == "" {
		return nil
	}
	if err := s.RevokeAccessToken(ctx, e.rec.RequestID); err != nil {
		return err
	}
	return s.RevokeRefreshToken(ctx, e.rec.RequestID)
}

// CodeReused reports whether this token request (TokenExchange) lost its
// code to another exchange of the same code: it is answered invalid_grant.
func (s *Storage) CodeReused(ctx context.Context) bool {
	e := exchangeOf(ctx)
	return e != nil && e.codeReused
}

// ConfirmCodeExchange is called once a code exchange (TokenExchange) has
// stored its tokens: when the code was presented again meanwhile, the tokens
// of the code's request are revoked, since the presenter of the other copy
// may have revoked before they were written.
func (s *Storage) ConfirmCodeExchange(ctx context.Context) error {
	e := exchangeOf(ctx)
	if e == nil || e.rec == nil || e.rec.RequestID == "" {
		return nil
	}
	_, err := s.eph.GetRecord(ctx, store.KindAuthorizeCode, reusedCodeKey(e.key))
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return failed(ctx, err)
	}
	if err := s.RevokeAccessToken(ctx, e.rec.RequestID); err != nil {
		return err
	}
	return s.RevokeRefreshToken(ctx, e.rec.RequestID)
}

// CodeChallenge returns the code_challenge and its method that the
// authorization request of the code with signature sig sent, as its record
// keeps them (see bundle.Challenge); "" when none was sent or the code's
// PKCE request is a record of its own.
func (s *Storage) CodeChallenge(ctx context.Context, sig string) (challenge, method string, err error) {
	rec, err := s.codeRecord(ctx, sig)
	if errors.Is(err, store.ErrNotFound) {
		return "", "", fosite.ErrNotFound
	}
	if err != nil {
		return "", "", failed(ctx, err)
	}
	var b struct {
		bundle
	}
	if err := json.Unmarshal(rec.Data, &b); err != nil {
		return "", "", fmt.Errorf("oauth: decoding request: %w", err)
	}
	return b.Challenge, b.ChallengeMethod, nil
}

// SpendCode spends the code with signature sig after a failed exchange (a
// PKCE failure): it can never be redeemed afterwards. When another exchange
// spent it first, the tokens issued for it are revoked (as for a code
// presented twice).
func (s *Storage) SpendCode(ctx context.Context, sig string) error {
	err := s.eph.MarkRecordUsed(ctx, store.KindAuthorizeCode, sig)
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		return s.codeReused(ctx, sig)
	case errors.Is(err, store.ErrNotFound):
		return nil
	}
	return failed(ctx, err)
}

// CreatePKCERequestSession implements pkce.PKCERequestStorage.
func (s *Storage) CreatePKCERequestSession(ctx context.Context, sig string, r fosite.Requester) error {
	if b := batchOf(ctx); b != nil {
		b.pkce, b.pkceReq = sig, r
		return nil
	}
	return s.putStandalone(ctx, store.KindPKCE, sig, r)
}

// GetPKCERequestSession implements pkce.PKCERequestStorage.
// Inside a token request (TokenExchange) the request is taken: read and
// deleted in one step, since fosite deletes it right after reading it
// (DeletePKCERequestSession is then a no-op).
func (s *Storage) GetPKCERequestSession(ctx context.Context, sig string, session fosite.Session) (fosite.Requester, error) {
	e := exchangeOf(ctx)
	if e == nil {
		r, _, err := s.getRequest(ctx, store.KindPKCE, sig, session)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	rec, err := s.eph.TakeRecord(ctx, store.KindPKCE, sig)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, failed(ctx, err)
	}
	e.pkceTaken = sig
	return s.unmarshalRequest(ctx, rec.Data, session)
}

// DeletePKCERequestSession implements pkce.PKCERequestStorage.
func (s *Storage) DeletePKCERequestSession(ctx context.Context, sig string) error {
	if e := exchangeOf(ctx); e != nil && e.pkceTaken == sig && sig != "" {
		return nil
	}
	return failed(ctx, s.eph.DeleteRecord(ctx, store.KindPKCE, sig))
}

// CreateOpenIDConnectSession implements openid.OpenIDConnectRequestStorage.
func (s *Storage) CreateOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) error {
	if b := batchOf(ctx); b != nil {
		b.oidc, b.oidcReq = code, r
		return nil
	}
	return s.putStandalone(ctx, store.KindOIDC, code, r)
}

// GetOpenIDConnectSession implements openid.OpenIDConnectRequestStorage.
func (s *Storage) GetOpenIDConnectSession(ctx context.Context, code string, r fosite.Requester) (fosite.Requester, error) {
	var sess fosite.Session
	if r != nil {
		sess = r.GetSession()
	}
	return s.getOIDC(ctx, code, sess)
}

// DeleteOpenIDConnectSession implements openid.OpenIDConnectRequestStorage.
// An OpenID Connect request kept in its code's record goes with the code.
func (s *Storage) DeleteOpenIDConnectSession(ctx context.Context, code string) error {
	if s.codeSig != nil && wasBundled(ctx, s.codeSig(ctx, code)) {
		return nil
	}
	return failed(ctx, s.eph.DeleteRecord(ctx, store.KindOIDC, code))
}

// CreateAccessTokenSession implements oauth2.AccessTokenStorage.
// Inside a token request whose RotateRefreshToken left the family's access
// tokens to revoke, they are replaced by this one in one step.
func (s *Storage) CreateAccessTokenSession(ctx context.Context, sig string, r fosite.Requester) error {
	exp := expiry(r, fosite.AccessToken, time.Hour, s.now())
	e := exchangeOf(ctx)
	if e != nil && e.grace != nil {
		// A new access token of the successor's family, beside the one the
		// rotation issued (which the client may still hold).
		return s.putRequest(ctx, store.KindAccessToken, sig, r, exp)
	}
	if e == nil || e.revokeAccess == "" {
		return s.putRequest(ctx, store.KindAccessToken, sig, r, exp)
	}
	if e.rotate != "" && e.pendingAccess == nil {
		// Written once the rotation committed (CreateRefreshTokenSession):
		// a request that loses the rotation must not replace the
		// winner's access token.
		e.pendingAccess = &pendingAccess{sig: sig, r: r}
		return nil
	}
	return s.writeAccess(ctx, e, sig, r, exp)
}

// writeAccess stores the access token of a token request whose rotation
// replaces the family's access tokens (e.revokeAccess) by this one.
func (s *Storage) writeAccess(ctx context.Context, e *exchange, sig string, r fosite.Requester, exp time.Time) error {
	family := e.revokeAccess
	e.revokeAccess = ""
	if family != r.GetID() {
		if err := s.supersedeAccessTokens(ctx, family); err != nil {
			return err
		}
		return s.putRequest(ctx, store.KindAccessToken, sig, r, exp)
	}
	data, err := marshalRequest(r)
	if err != nil {
		return err
	}
	return failed(ctx, s.eph.ReplaceRequestRecords(ctx, store.KindAccessToken, &store.Record{Key: sig, RequestID: r.GetID(),
		Subject: r.GetSession().GetSubject(), Data: data, ExpiresAt: exp}))
}

// GetAccessTokenSession implements oauth2.AccessTokenStorage. A JWT access
// token verified by the introspector whose record the ephemeral store lost
// is rebuilt from its claims, unless it is durably revoked
// (recoverAccessJWT).
func (s *Storage) GetAccessTokenSession(ctx context.Context, sig string, session fosite.Session) (fosite.Requester, error) {
	r, _, err := s.getRequest(ctx, store.KindAccessToken, sig, session)
	if errors.Is(err, fosite.ErrNotFound) {
		return s.recoverAccessJWT(ctx, sig, session)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Storage) DeleteAccessTokenSession(ctx context.Context, sig string) error {
	return failed(ctx, s.eph.DeleteRecord(ctx, store.KindAccessToken, sig))
}

// RevokeAccessToken implements oauth2.TokenRevocationStorage: every access
// token of the request (the whole family) is revoked. The grant is listed
// in the durable revocation list first (a JWT stays revoked when the
// ephemeral store loses its records), then the records are removed.
func (s *Storage) RevokeAccessToken(ctx context.Context, requestID string) error {
	if requestID == "" {
		return nil
	}
	if err := s.durable.RevokeGrant(ctx, requestID, s.revocationExpiry()); err != nil {
		return failed(ctx, err)
	}
	return failed(ctx, s.eph.DeleteRecordsByRequest(ctx, store.KindAccessToken, requestID))
}

// supersedeAccessTokens removes the records of the access tokens of the
// request, which a refresh replaced: unlike RevokeAccessToken, the grant
// lives on and nothing durable is written.
func (s *Storage) supersedeAccessTokens(ctx context.Context, requestID string) error {
	return failed(ctx, s.eph.DeleteRecordsByRequest(ctx, store.KindAccessToken, requestID))
}

// CreateRefreshTokenSession implements oauth2.RefreshTokenStorage. The
// stored token keeps the session's SSO session id and business tax code
// (when the session tells them: SessionID, BusinessTaxCode), and expires no
// later than its family (RefreshFamilyExpiresAt). Inside
// a token request whose RotateRefreshToken left the presented token to
// rotate, that token is deactivated and this one inserted in one write.
func (s *Storage) CreateRefreshTokenSession(ctx context.Context, sig, accessSig string, r fosite.Requester) error {
	data, err := marshalRequest(r)
	if err != nil {
		return err
	}
	now := s.now()
	exp := r.GetSession().GetExpiresAt(fosite.RefreshToken)
	if exp.IsZero() {
		exp = now.Add(100 * 365 * 24 * time.Hour)
	}
	sid := ""
	if ss, ok := r.GetSession().(interface{ SessionID() string }); ok {
		sid = ss.SessionID()
	}
	taxCode := ""
	if ss, ok := r.GetSession().(interface{ BusinessTaxCode() string }); ok {
		taxCode = ss.BusinessTaxCode()
	}
	if ss, ok := r.GetSession().(interface{ RefreshFamilyExpiresAt() time.Time }); ok {
		if end := ss.RefreshFamilyExpiresAt(); !end.IsZero() && end.Before(exp) {
			exp = end
		}
	}
	t := &store.RefreshToken{
		Signature: sig, RequestID: r.GetID(), AccessSignature: accessSig, ClientID: r.GetClient().GetID(),
		Subject: r.GetSession().GetSubject(), SessionID: sid, TaxCode: taxCode, Offline: r.GetGrantedScopes().Has("offline_access"),
		Active: true, Request: data, ExpiresAt: exp, CreatedAt: now,
	}
	e := exchangeOf(ctx)
	if e != nil && e.grace != nil {
		// The answer is the successor of an earlier rotation: nothing new.
		return nil
	}
	if e == nil || e.rotate == "" {
		return failed(ctx, s.durable.CreateRefreshToken(ctx, t))
	}
	old, family := e.rotate, e.rotateFamily
	e.rotate, e.rotateFamily = "", ""
	if s.reuseWindow > 0 && e.presented != "" && e.newRefresh != "" {
		sealed, err := sealHandover(&handover{Refresh: e.newRefresh},
			e.presented, old, t.ClientID)
		if err != nil {
			return err
		}
		t.Handover = sealed
	}
	pending := e.pendingAccess
	e.pendingAccess = nil
	switch err := s.durable.RotateRefreshToken(ctx, old, t); {
	case err == nil:
		if pending == nil {
			return nil
		}
		if err := s.writeAccess(ctx, e, pending.sig, pending.r, expiry(pending.r, fosite.AccessToken, time.Hour, s.now())); err != nil {
			return err
		}
		// The access token is written after the commit: when the family
		// was revoked meanwhile (a reuse), it goes too.
		switch cur, err := s.durable.GetRefreshToken(ctx, t.Signature); {
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		case err != nil || !cur.Active:
			return s.RevokeAccessToken(ctx, family)
		}
		return nil
	case errors.Is(err, store.ErrAlreadyUsed):
		// A concurrent rotation took the token first, or it is reused.
		return s.lostRotation(ctx, e, old, family, pending)
	case errors.Is(err, store.ErrNotFound):
		// The token went away since it was read: no access token was
		// stored for this answer.
		return fosite.ErrNotFound
	default:
		return failed(ctx, err)
	}
}

// lostRotation handles a token request whose rotation of the token old
// found it inactive: another request rotated it (a true race) or it was
// revoked or rotated before. Within the reuse window the request answers
// with the committed successor, or with invalid_grant when it cannot
// (RefreshLost), the family untouched; otherwise it is reuse and the family
// is revoked.
func (s *Storage) lostRotation(ctx context.Context, e *exchange, old, family string, pending *pendingAccess) error {
	e.refreshLost = true
	cur, err := s.durable.GetRefreshToken(ctx, old)
	if errors.Is(err, store.ErrNotFound) {
		return fosite.ErrNotFound
	}
	if err != nil {
		return err
	}
	h, err := s.graceOf(ctx, cur)
	if err != nil {
		return err
	}
	if h != nil {
		e.refreshLost, e.grace = false, h
		if pending == nil {
			return nil
		}
		return s.putRequest(ctx, store.KindAccessToken, pending.sig, pending.r,
			expiry(pending.r, fosite.AccessToken, time.Hour, s.now()))
	}
	if s.withinWindow(cur) {
		return fosite.ErrInactiveToken
	}
	return s.reused(ctx, family)
}

// GetRefreshTokenSession implements oauth2.RefreshTokenStorage: an inactive
// (rotated or revoked) token returns fosite.ErrInactiveToken with its request.
func (s *Storage) GetRefreshTokenSession(ctx context.Context, sig string, session fosite.Session) (fosite.Requester, error) {
	t, err := s.durable.GetRefreshToken(ctx, sig)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, failed(ctx, err)
	}
	r, err := s.unmarshalRequest(ctx, t.Request, session)
	if err != nil {
		return nil, err
	}
	if e := exchangeOf(ctx); e != nil {
		e.refresh = t
	}
	if !t.Active {
		h, err := s.graceOf(ctx, t)
		if err != nil {
			return nil, err
		}
		if h != nil {
			exchangeOf(ctx).grace = h
			return r, nil
		}
		return r, fosite.ErrInactiveToken
	}
	return r, nil
}

// RefreshSubject reports what the refresh token read in this token request
// (see TokenExchange) said of the account of subject: locked, or gone.
// known is false when no such token was read; the caller then reads the
// account itself.
func (s *Storage) RefreshSubject(ctx context.Context, subject string) (disabled, missing, known bool) {
	e := exchangeOf(ctx)
	if e == nil || e.refresh == nil || e.refresh.Subject != subject {
		return false, false, false
	}
	return e.refresh.SubjectDisabled, e.refresh.SubjectMissing, true
}

// DeleteRefreshTokenSession implements oauth2.RefreshTokenStorage.
func (s *Storage) DeleteRefreshTokenSession(ctx context.Context, sig string) error {
	return failed(ctx, notFoundOK(s.durable.DeleteRefreshToken(ctx, sig)))
}

// RotateRefreshToken implements oauth2.RefreshTokenStorage. The presented
// token is deactivated atomically; when a concurrent request deactivated it
// first, the attempt is treated as reuse: the whole family is revoked and
// fosite.ErrInactiveToken returned. Access tokens of the family are revoked.
//
// Inside a token request (TokenExchange) both are left to the calls fosite
// makes next: the access tokens are replaced by the new one
// (CreateAccessTokenSession), and the token is deactivated with its
// successor's insert, in one statement (CreateRefreshTokenSession).
func (s *Storage) RotateRefreshToken(ctx context.Context, requestID, sig string) error {
	if e := exchangeOf(ctx); e != nil && e.grace != nil {
		// Already rotated: the answer is that rotation's successor.
		return nil
	}
	if e := exchangeOf(ctx); e != nil {
		e.revokeAccess, e.rotate, e.rotateFamily = requestID, sig, requestID
		return nil
	}
	err := s.durable.DeactivateRefreshToken(ctx, sig)
	switch {
	case errors.Is(err, store.ErrAlreadyUsed):
		return s.reused(ctx, requestID)
	case errors.Is(err, store.ErrNotFound):
		return fosite.ErrNotFound
	case err != nil:
		return failed(ctx, err)
	}
	return s.supersedeAccessTokens(ctx, requestID)
}

// reused revokes the family of a refresh token presented again and returns
// fosite.ErrInactiveToken.
func (s *Storage) reused(ctx context.Context, requestID string) error {
	if err := s.RevokeRefreshToken(ctx, requestID); err != nil {
		return err
	}
	if err := s.RevokeAccessToken(ctx, requestID); err != nil {
		return err
	}
	return fosite.ErrInactiveToken
}

// RevokeRefreshToken implements oauth2.TokenRevocationStorage: the whole family is revoked.
func (s *Storage) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return failed(ctx, s.durable.RevokeRefreshTokenFamily(ctx, requestID))
}
