package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ory/fosite/token/jwt"

	"github.com/dinhdanh/dinhdanh/server/keys"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// ClientLookup finds registered clients.
type ClientLookup interface {
	LookupClient(ctx context.Context, id string) (*store.Client, error)
}

// Handler serves logout: RP-initiated logout at /oauth2/logout (OpenID
// Connect RP-Initiated Logout 1.0) and the logout button at /logout. After a
// logout the page loads every front-channel logout URI of the session's
// clients (Front-Channel Logout 1.0) and continues to the application's
// registered post-logout redirect URI, if it asked for one.
type Handler struct {
	Kit      *web.Kit
	Logout   *Logout
	Sessions *Manager
	Clients  ClientLookup
	Signer   *keys.Signer
	Issuer   string
	Log      *slog.Logger
	// UpstreamLogout, when set, returns the URL of the end-session endpoint
	// of the upstream provider a session's login went through, carrying
	// state when not "" ("" when the provider has none): after the
	// session's logout the logged-out page continues there. When an
	// application asked for its own post-logout redirect, that redirect is
	// kept under a random state (KindUpstreamLogoutReturn); the provider
	// sends the browser back to PathEndSession with it, and the logged-out
	// page then continues to the application.
	UpstreamLogout func(ctx context.Context, s *SSO, state string) string
}

// PathEndSession is the RP-initiated logout endpoint.
const PathEndSession = "/oauth2/logout"

// PathEndSessionAlias is the national public-service portal's name of the
// RP-initiated logout endpoint (the WSO2 path): served exactly as
// PathEndSession, never advertised in discovery.
const PathEndSessionAlias = "/oidc/logout"

// Register mounts the handlers: RP-initiated logout at PathEndSession and
// PathEndSessionAlias, the logout button at /logout.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, path := range []string{PathEndSession, PathEndSessionAlias} {
		mux.HandleFunc("GET "+path, h.endSession)
		mux.HandleFunc("POST "+path, h.endSession)
	}
	mux.HandleFunc("POST /logout", h.logoutButton)
}

// logoutRequest is a validated RP-initiated logout request.
type logoutRequest struct {
	client   *store.Client
	redirect string // the validated post-logout redirect URI with state, or ""
	hintSID  string
	hintSub  string
	hasHint  bool
}

var errBadHint = errors.New("invalid id_token_hint")

func (h *Handler) parseLogout(ctx context.Context, form url.Values) (*logoutRequest, error) {
	lr := &logoutRequest{}
	clientID := form.Get("client_id")
	if hint := form.Get("id_token_hint"); hint != "" {
		tok, err := h.Signer.Decode(ctx, hint)
		var ve *jwt.ValidationError
		if err != nil && !(errors.As(err, &ve) && ve.Has(jwt.ValidationErrorExpired) && tok != nil) {
			return nil, errBadHint
		}
		if iss, _ := tok.Claims["iss"].(string); iss != h.Issuer {
			return nil, errBadHint
		}
		// Only an ID token is a hint: access tokens (typ at+jwt) and logout
		// tokens (logout+jwt) are signed with the same keys and carry iss,
		// aud and sid too, and access tokens travel to resource servers.
		if typ, _ := tok.Header["typ"].(string); typ != "" && !strings.EqualFold(typ, "JWT") {
			return nil, errBadHint
		}
		aud := audience(tok.Claims["aud"])
		if len(aud) == 0 {
			return nil, errBadHint
		}
		if clientID == "" {
			clientID = aud[0]
		} else if !slices.Contains(aud, clientID) {
			return nil, errClientMismatch
		}
		lr.hasHint = true
		lr.hintSID, _ = tok.Claims["sid"].(string)
		lr.hintSub, _ = tok.Claims["sub"].(string)
	}
	if clientID != "" {
		c, err := h.Clients.LookupClient(ctx, clientID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		lr.client = c
	}
	if u := form.Get("post_logout_redirect_uri"); u != "" && lr.client != nil && slices.Contains(lr.client.PostLogoutRedirectURIs, u) {
		if st := form.Get("state"); st != "" {
			u = addQuery(u, url.Values{"state": {st}})
		}
		lr.redirect = u
	}
	return lr, nil
}

var errClientMismatch = errors.New("client_id does not match the id_token_hint")

func audience(v any) []string {
	switch a := v.(type) {
	case string:
		return []string{a}
	case []any:
		var out []string
		for _, x := range a {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func addQuery(u string, v url.Values) string {
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return u + sep + v.Encode()
}

func (h *Handler) endSession(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	lr, err := h.parseLogout(ctx, r.Form)
	switch {
	case errors.Is(err, errBadHint):
		h.Kit.ErrorWith(w, r, http.StatusBadRequest, "logout", "logout_hint")
		return
	case errors.Is(err, errClientMismatch):
		h.Kit.ErrorWith(w, r, http.StatusBadRequest, "logout", "logout_client")
		return
	case err != nil:
		h.unavailable(w, r, err)
		return
	}
	// Back from the upstream provider's logout: continue to the
	// application's redirect kept under the state.
	switch ret, err := h.upstreamReturned(ctx, r.Form); {
	case err != nil:
		h.unavailable(w, r, err)
		return
	case ret != nil:
		h.renderLoggedOut(w, r, nil, ret.URI, ret.Client)
		return
	}
	sso, err := h.Sessions.Get(ctx, r)
	if err != nil && !errors.Is(err, ErrNoSession) {
		h.unavailable(w, r, err)
		return
	}
	confirmed := false
	if r.Method == http.MethodPost && r.PostForm.Has("confirm") {
		if !h.Kit.CheckCSRF(r) {
			h.Kit.Error(w, r, http.StatusForbidden, "csrf")
			return
		}
		if r.PostForm.Get("confirm") != "yes" {
			base := h.Kit.Base(w, r)
			page := &ui.MessagePage{Base: base, TitleKey: "logout.confirm_title",
				MessageKey: "logout.kept", LinkURL: "/account", LinkKey: "account.title"}
			if lr.client != nil {
				if home := ClientHome(lr.client); home != "" {
					page.AppURL, page.AppName = home, lr.client.Name
				}
			}
			h.Kit.Render(w, r, http.StatusOK, "message", page)
			return
		}
		confirmed = true
	}
	if sso == nil {
		// Nobody is logged in here: there is nothing to end.
		h.loggedOut(w, r, nil, lr)
		return
	}
	tied := lr.hasHint && ((lr.hintSID != "" && lr.hintSID == sso.ID) || (lr.hintSID == "" && lr.hintSub == sso.AccountID))
	if !tied && !confirmed {
		page := &ui.LogoutConfirmPage{Base: h.Kit.Base(w, r), State: r.Form.Get("state"), UILocales: r.Form.Get("ui_locales"),
			Stale: lr.hasHint && lr.hintSID != "" && lr.hintSID != sso.ID}
		if lr.client != nil {
			page.ClientName, page.ClientID = lr.client.Name, lr.client.ID
			if lr.redirect != "" {
				page.PostLogoutRedirectURI = r.Form.Get("post_logout_redirect_uri")
			}
		}
		h.Kit.Render(w, r, http.StatusOK, "logout_confirm", page)
		return
	}
	if err := h.Logout.End(ctx, sso, ReasonLogout, sso.AccountID); err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.Sessions.ClearCookie(w)
	h.loggedOut(w, r, sso, lr)
}

// upstreamReturnLifetime is how long an application's post-logout redirect
// is kept while the browser ends its session at the upstream provider.
const upstreamReturnLifetime = 30 * time.Minute

// upstreamReturn is an application's post-logout redirect kept while the
// browser ends its session at the upstream provider.
type upstreamReturn struct {
	URI    string `json:"uri"`
	Client string `json:"client,omitempty"`
}

// upstreamNext returns where the browser goes after the logout of sso: the
// end-session endpoint of the upstream provider its login went through,
// when it has one, or next (the application's redirect, or ""). When next
// is not "" it is kept under a new state sent to the provider.
func (h *Handler) upstreamNext(ctx context.Context, sso *SSO, next, clientName string) (string, error) {
	if sso == nil || sso.Upstream == "" || h.UpstreamLogout == nil {
		return next, nil
	}
	if next == "" {
		if u := h.UpstreamLogout(ctx, sso, ""); u != "" {
			return u, nil
		}
		return next, nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	state := base64.RawURLEncoding.EncodeToString(raw)
	u := h.UpstreamLogout(ctx, sso, state)
	if u == "" {
		return next, nil
	}
	data, err := json.Marshal(upstreamReturn{URI: next, Client: clientName})
	if err != nil {
		return "", err
	}
	if err := h.Sessions.Store.PutRecord(ctx, store.KindUpstreamLogoutReturn, &store.Record{Key: state, Data: data,
		ExpiresAt: time.Now().Add(upstreamReturnLifetime)}); err != nil {
		return "", err
	}
	return u, nil
}

// upstreamReturned returns the application's redirect kept under the state
// the upstream provider sent back, taken once; nil when there is none.
func (h *Handler) upstreamReturned(ctx context.Context, form url.Values) (*upstreamReturn, error) {
	st := form.Get("state")
	if st == "" || len(st) > 64 || form.Has("client_id") || form.Has("id_token_hint") || h.UpstreamLogout == nil {
		return nil, nil
	}
	rec, err := h.Sessions.Store.TakeRecord(ctx, store.KindUpstreamLogoutReturn, st)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ret upstreamReturn
	if err := json.Unmarshal(rec.Data, &ret); err != nil || rec.ExpiresAt.Before(time.Now()) {
		return nil, nil
	}
	return &ret, nil
}

func (h *Handler) logoutButton(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	sso, err := h.Sessions.Get(ctx, r)
	if err != nil && !errors.Is(err, ErrNoSession) {
		h.unavailable(w, r, err)
		return
	}
	if sso != nil {
		if err := h.Logout.End(ctx, sso, ReasonLogout, sso.AccountID); err != nil {
			h.unavailable(w, r, err)
			return
		}
	}
	h.Sessions.ClearCookie(w)
	h.loggedOut(w, r, sso, &logoutRequest{})
}

// LoggedOut renders the logged-out page for sessions that just ended: it
// loads the front-channel logout URIs of their clients.
func (h *Handler) LoggedOut(w http.ResponseWriter, r *http.Request, ended []Ended) {
	var all []string
	for _, e := range ended {
		all = append(all, h.frontchannelURIs(r.Context(), e.ID, e.Clients)...)
	}
	h.renderLoggedOut(w, r, all, "", "")
}

func (h *Handler) loggedOut(w http.ResponseWriter, r *http.Request, sso *SSO, lr *logoutRequest) {
	var uris []string
	if sso != nil {
		uris = h.frontchannelURIs(r.Context(), sso.ID, sso.Clients)
	}
	name := ""
	if lr.client != nil {
		name = lr.client.Name
	}
	next, err := h.upstreamNext(r.Context(), sso, lr.redirect, name)
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	h.renderLoggedOut(w, r, uris, next, name)
}

func (h *Handler) frontchannelURIs(ctx context.Context, sid string, clients []string) []string {
	var out []string
	for _, id := range clients {
		c, err := h.Clients.LookupClient(ctx, id)
		if err != nil || c.FrontchannelLogoutURI == "" {
			continue
		}
		out = append(out, addQuery(c.FrontchannelLogoutURI, url.Values{"iss": {h.Issuer}, "sid": {sid}}))
	}
	return out
}

func (h *Handler) renderLoggedOut(w http.ResponseWriter, r *http.Request, uris []string, next, clientName string) {
	if len(uris) > 0 {
		var origins []string
		for _, u := range uris {
			if p, err := url.Parse(u); err == nil && p.Scheme != "" && p.Host != "" {
				origins = append(origins, p.Scheme+"://"+p.Host)
			}
		}
		w.Header().Set("Content-Security-Policy", web.ContentSecurityPolicy+"; frame-src "+strings.Join(origins, " "))
	}
	base := h.Kit.Base(w, r)
	h.Kit.Render(w, r, http.StatusOK, "logged_out", &ui.LoggedOutPage{Base: base, FrontchannelURIs: uris,
		ContinueURL: next, ClientName: clientName})
}

func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.Error("logout", "err", err, "request_id", web.RequestID(r))
	h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
}
