package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"

	"github.com/dinhdanh/dinhdanh/store"
)

// An authorization code and the OpenID Connect request of that code are made
// by two fosite handlers in one authorization response and read back in one
// token exchange; they differ only in the form values each keeps. Inside
// BatchAuthorize they are written as one record, the code's, which carries
// the OpenID Connect form too; inside TokenExchange that record is read once
// (fosite reads the code twice). The OpenID Connect request is read only
// after the exchange spent the code (InvalidateAuthorizeCodeSession is
// atomic), so it lives and expires with its code and deleting it costs
// nothing. The code's PKCE request is a record of its own, as fosite knows
// it, and the code's record keeps its code_challenge and method too
// (bundle.Challenge), so the code remembers that a challenge was sent for as
// long as it lives: the token endpoint checks the verifier against the
// code's record (see pkceGuard). An exchange without the matching verifier
// is refused however often it is tried, any PKCE failure spends the code,
// and concurrent exchanges with the right verifier all pass the check and
// race only for the code. Outside a batch, each request is a record of its
// own (and a PKCE record is checked by fosite's handler).

type bundleKey int

const (
	batchKey bundleKey = iota
	exchangeKey
)

// authorizeBatch holds the requests of one authorization response until they
// are written.
type authorizeBatch struct {
	code, pkce, oidc          string // keys
	codeReq, pkceReq, oidcReq fosite.Requester
}

// BatchAuthorize returns a context in which the records of an authorization
// response are held back, and the function that writes them; call it once
// fosite's NewAuthorizeResponse succeeded and before the response is sent.
func (s *Storage) BatchAuthorize(ctx context.Context) (context.Context, func(context.Context) error) {
	b := &authorizeBatch{}
	return context.WithValue(ctx, batchKey, b), func(ctx context.Context) error { return s.flush(ctx, b) }
}

func batchOf(ctx context.Context) *authorizeBatch {
	b, _ := ctx.Value(batchKey).(*authorizeBatch)
	return b
}

// SetCodeSignature gives the function that maps an authorization code to
// its signature, the key of its record (the OpenID Connect request is keyed
// by the code itself). Without it, OpenID Connect requests are never
// bundled.
func (s *Storage) SetCodeSignature(sig func(ctx context.Context, code string) string) {
	s.codeSig = sig
}

func (s *Storage) flush(ctx context.Context, b *authorizeBatch) error {
	if err := s.putStandalone(ctx, store.KindPKCE, b.pkce, b.pkceReq); err != nil {
		return err
	}
	var extra bundle
	if b.codeReq != nil && b.pkceReq != nil && b.pkce == b.code {
		form := b.pkceReq.GetRequestForm()
		extra.Challenge, extra.ChallengeMethod = form.Get("code_challenge"), form.Get("code_challenge_method")
	}
	if b.codeReq == nil {
		return s.putStandalone(ctx, store.KindOIDC, b.oidc, b.oidcReq)
	}
	if b.oidcReq != nil {
		if s.codeSig == nil || s.codeSig(ctx, b.oidc) != b.code {
			if err := s.putStandalone(ctx, store.KindOIDC, b.oidc, b.oidcReq); err != nil {
				return err
			}
		} else {
			extra.OIDC, extra.OIDCForm = true, publicForm(b.oidcReq)
		}
	}
	data, err := marshalRequestWith(b.codeReq, extra)
	if err != nil {
		return err
	}
	r := b.codeReq
	return failed(ctx, s.eph.PutRecord(ctx, store.KindAuthorizeCode, &store.Record{Key: b.code, RequestID: r.GetID(), Subject: r.GetSession().GetSubject(),
		Data: data, ExpiresAt: expiry(r, fosite.AuthorizeCode, codeLifetime, s.now())}))
}

func (s *Storage) putStandalone(ctx context.Context, kind store.RecordKind, key string, r fosite.Requester) error {
	if r == nil {
		return nil
	}
	return s.putRequest(ctx, kind, key, r, expiry(r, fosite.AuthorizeCode, codeLifetime, s.now()))
}

// bundle is what a code's record carries of its OpenID Connect and PKCE
// requests.
type bundle struct {
	OIDC     bool       `json:"o,omitempty"`
	OIDCForm url.Values `json:"of,omitempty"`
	// Challenge and ChallengeMethod are the code_challenge and its method
	// sent with the authorization request ("" when none was): the code is
	// then redeemed only with the matching code_verifier.
	Challenge       string `json:"pc,omitempty"`
	ChallengeMethod string `json:"pm,omitempty"`
}

// exchange remembers, for one token request, the code record read, the PKCE
// request taken, and the refresh token read and left to rotate.
type exchange struct {
	key  string
	rec  *store.Record
	oidc bool // the OpenID Connect request was read from rec

	pkceTaken    string              // the PKCE request GetPKCERequestSession took (read and deleted)
	codeReused   bool                // InvalidateAuthorizeCodeSession found the code spent: this request lost
	refresh      *store.RefreshToken // read by GetRefreshTokenSession
	revokeAccess string              // request id whose access tokens the next one stored replaces
	rotate       string              // signature of the refresh token to deactivate with its successor's insert
	rotateFamily string              // its request id

	presented     string         // the refresh token presented (PresentRefreshToken)
	newRefresh    string         // the refresh token generated in this request
	pendingAccess *pendingAccess // the access token record written once the rotation committed
	grace         *handover      // the successor this request answers with (reuse window)
	refreshLost   bool           // another request rotated the presented token: answer invalid_grant
}

// pendingAccess is an access token record left to write after the rotation.
type pendingAccess struct {
	sig string
	r   fosite.Requester
}

// TokenExchange returns a context for one token request: the code record
// read by a code exchange is read once, for the code and its OpenID Connect
// request, and the PKCE request is read and deleted in one step; a refresh
// reads its subject's account state with the token (see
// RefreshSubject) and rotates the token in one write with its successor.
func (s *Storage) TokenExchange(ctx context.Context) context.Context {
	return context.WithValue(ctx, exchangeKey, &exchange{})
}

func exchangeOf(ctx context.Context) *exchange {
	e, _ := ctx.Value(exchangeKey).(*exchange)
	return e
}

// codeRecord reads the record of the code with signature sig, once per token
// exchange.
func (s *Storage) codeRecord(ctx context.Context, sig string) (*store.Record, error) {
	e := exchangeOf(ctx)
	if e != nil && e.rec != nil && e.key == sig {
		return e.rec, nil
	}
	rec, err := s.eph.GetRecord(ctx, store.KindAuthorizeCode, sig)
	if err != nil {
		return nil, failed(ctx, err)
	}
	if e != nil {
		e.key, e.rec, e.oidc = sig, rec, false
	}
	return rec, nil
}

// bundled returns the request of the code with signature sig as its OpenID
// Connect request, or ok=false when the code's record does not carry it.
func (s *Storage) bundled(ctx context.Context, sig string, session fosite.Session) (r *fosite.Request, ok bool, err error) {
	rec, err := s.codeRecord(ctx, sig)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var sr serialRequest
	if err := json.Unmarshal(rec.Data, &sr); err != nil {
		return nil, false, fmt.Errorf("oauth: decoding request: %w", err)
	}
	if !sr.OIDC {
		return nil, false, nil
	}
	r, err = s.buildRequest(ctx, &sr, session)
	if err != nil {
		return nil, false, err
	}
	r.Form = sr.OIDCForm
	if r.Form == nil {
		r.Form = url.Values{}
	}
	if e := exchangeOf(ctx); e != nil && e.key == sig {
		e.oidc = true
	}
	return r, true, nil
}

// wasBundled reports whether this token exchange found the OpenID Connect
// request of the code with signature sig in the code's record.
func wasBundled(ctx context.Context, sig string) bool {
	e := exchangeOf(ctx)
	return e != nil && e.key == sig && e.oidc
}

// getOIDC implements GetOpenIDConnectSession.
func (s *Storage) getOIDC(ctx context.Context, code string, session fosite.Session) (fosite.Requester, error) {
	if s.codeSig != nil {
		if r, ok, err := s.bundled(ctx, s.codeSig(ctx, code), session); err != nil {
			return nil, err
		} else if ok {
			return r, nil
		}
	}
	req, _, err := s.getRequest(ctx, store.KindOIDC, code, session)
	if errors.Is(err, fosite.ErrNotFound) {
		return nil, openid.ErrNoSessionFound
	}
	if err != nil {
		return nil, err
	}
	return req, nil
}
