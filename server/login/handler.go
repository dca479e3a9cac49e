package login

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

// Options configure the login handlers.
type Options struct {
	FlowLifespan      time.Duration
	AllowRegistration bool
	MinPasswordLength int
}

// Handler serves /oauth2/auth, /login, /register, /consent and /login/business.
type Handler struct {
	Kit      *web.Kit
	Provider *oauth.Provider
	Store    store.Store
	Eph      store.Ephemeral
	Sessions *session.Manager
	Logout   *session.Logout
	Hasher   authn.Hasher
	Guard    *authn.Guard
	// Directory, when set, checks officials' directory passwords before local accounts.
	Directory authn.DirectoryAuthenticator
	Opts      Options
	Log       *slog.Logger
	Now       func() time.Time
	// Sleep waits for the brute-force delay (replaceable in tests).
	Sleep func(ctx context.Context, d time.Duration)
	// MFA, when set, provides second factors and the assurance policy (mfa.go).
	MFA *MFA
	// Certificates, when set, offers login with a digital-signature certificate (certificate.go).
	Certificates *Certificates

	flows *flows
}

// Init prepares the handler; call once before serving.
func (h *Handler) Init() {
	h.flows = &flows{store: h.Eph, lifespan: h.Opts.FlowLifespan}
	if h.Now == nil {
		h.Now = time.Now
	}
	if h.Sleep == nil {
		h.Sleep = func(ctx context.Context, d time.Duration) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}
	}
}

// Register mounts the handlers on the mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+oauth.PathAuthorize, h.HandleAuthorize)
	mux.HandleFunc("POST "+oauth.PathAuthorize, h.HandleAuthorize)
	mux.HandleFunc("GET /login", h.showLogin)
	mux.HandleFunc("POST /login", h.postLogin)
	mux.HandleFunc("GET /register", h.showRegister)
	mux.HandleFunc("POST /register", h.postRegister)
	mux.HandleFunc("GET /consent", h.showConsent)
	mux.HandleFunc("POST /consent", h.postConsent)
	mux.HandleFunc("GET /login/business", h.showBusiness)
	mux.HandleFunc("POST /login/business", h.postBusiness)
	if h.MFA != nil {
		h.registerMFA(mux)
	}
	if h.Certificates != nil {
		h.registerCertificates(mux)
	}
}

func (h *Handler) audit(r *http.Request, typ, subject, clientID string, details map[string]string) {
	if err := h.Store.AppendAudit(r.Context(), &store.AuditEvent{Type: typ, Actor: actorOf(subject), Subject: subject,
		ClientID: clientID, Address: web.ClientAddress(r), Details: details}); err != nil {
		h.Log.Error("audit", "type", typ, "err", err)
	}
}

func actorOf(subject string) string {
	if subject == "" {
		return "anonymous"
	}
	return subject
}

// HandleAuthorize serves /oauth2/auth.
func (h *Handler) HandleAuthorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	// RFC 6749 §3.1: a parameter is never sent twice. When it is, which
	// value counts is ambiguous (two redirect URIs, two states), so the
	// request is refused with a page and nothing is sent anywhere.
	for _, name := range singleValued {
		if len(r.Form[name]) > 1 {
			h.Log.Info("authorization request refused", "err", "invalid_request", "hint", "repeated parameter "+name,
				"request_id", web.RequestID(r))
			h.Kit.ErrorWith(w, r, http.StatusBadRequest, "oauth", "oauth", "invalid_request")
			return
		}
	}
	// An unknown client or a redirect URI that is not registered exactly is
	// shown to the user; nothing is ever sent to such a URI.
	clientID := r.Form.Get("client_id")
	client, err := h.Provider.Storage.LookupClient(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) || clientID == "" {
		h.Kit.ErrorWith(w, r, http.StatusBadRequest, "oauth", "unknown_client")
		return
	}
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	if ru := r.Form.Get("redirect_uri"); ru != "" && !oauth.RedirectURIAllowed(client, ru) {
		h.Kit.ErrorWith(w, r, http.StatusBadRequest, "oauth", "redirect_uri")
		return
	}
	ar, err := h.Provider.NewAuthorizeRequest(ctx, r)
	if err != nil {
		h.authorizeError(w, r, ar, err)
		return
	}
	// fosite checks PKCE only when it issues the code: a request that could
	// never get one is refused before anyone logs in, and no code is stored.
	if err := h.Provider.CheckPKCE(ar); err != nil {
		h.authorizeError(w, r, ar, err)
		return
	}
	query := r.Form.Encode()
	h.decide(w, r, ar, &Flow{AuthorizeQuery: query, ClientID: client.ID, ClientName: client.Name, RequestedAt: h.Now().UTC()})
}

// singleValued are the authorization request parameters that may appear
// only once (audience and resource may repeat).
var singleValued = []string{"client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce",
	"code_challenge", "code_challenge_method", "prompt", "max_age", "acr_values", "ui_locales", "login_hint",
	"id_token_hint", "display", "claims", "request", "request_uri"}

// authorizeError sends the error to the client when its redirect URI is
// trusted, and shows a page otherwise.
func (h *Handler) authorizeError(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	if rfc.CodeField >= 500 {
		h.Log.Error("authorize", "err", rfc.ErrorField, "debug", rfc.DebugField, "cause", rfc.Cause())
	}
	if ar != nil && ar.IsRedirectURIValid() {
		w.Header().Del("Content-Security-Policy")
		h.Provider.WriteAuthorizeError(r.Context(), w, ar, err)
		return
	}
	// The page names the error code only: fosite's hints are English
	// sentences for the application's developers, and go to the log.
	h.Log.Info("authorization request refused", "err", rfc.ErrorField, "hint", rfc.HintField,
		"client", r.Form.Get("client_id"), "request_id", web.RequestID(r))
	h.Kit.ErrorWith(w, r, http.StatusBadRequest, "oauth", "oauth", rfc.ErrorField)
}

func (h *Handler) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.Error("storage", "err", err, "path", r.URL.Path, "request_id", web.RequestID(r))
	h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
}

// resume re-parses the original authorization request of a flow and carries on.
func (h *Handler) resume(w http.ResponseWriter, r *http.Request, fl *Flow) {
	if fl.AuthorizeQuery == "" {
		if h.MFA != nil && h.consoleStepUp(w, r, fl) {
			return
		}
		if h.offerBinding(w, r, fl) {
			return
		}
		_ = h.flows.delete(r.Context(), fl.ID)
		to := fl.ReturnTo
		if to == "" || !strings.HasPrefix(to, "/") || strings.HasPrefix(to, "//") {
			to = "/account"
		}
		web.Redirect(w, r, to)
		return
	}
	req := r.Clone(r.Context())
	req.Method = http.MethodGet
	req.URL = &url.URL{Path: oauth.PathAuthorize, RawQuery: fl.AuthorizeQuery}
	req.RequestURI = req.URL.RequestURI()
	req.Form, req.PostForm, req.Body = nil, nil, http.NoBody
	req.Header = r.Header.Clone()
	req.Header.Del("Content-Type")
	ar, err := h.Provider.NewAuthorizeRequest(r.Context(), req)
	if err != nil {
		h.authorizeError(w, r, ar, err)
		return
	}
	h.decide(w, r, ar, fl)
}

func promptSet(ar fosite.AuthorizeRequester) map[string]bool {
	m := map[string]bool{}
	for _, p := range strings.Fields(ar.GetRequestForm().Get("prompt")) {
		m[p] = true
	}
	return m
}

// decide takes an authorization request as far as it can: it asks for
// whatever is missing (login, consent, business) or issues the code.
func (h *Handler) decide(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, fl *Flow) {
	ctx := r.Context()
	client := oauth.ClientOf(ar.GetClient())
	prompts := promptSet(ar)
	now := h.Now().UTC()
	if h.MFA != nil && h.refuseUnreachable(w, r, ar, client, fl) {
		return
	}

	// 1. Authentication.
	if !fl.LoginDone {
		sso, err := h.Sessions.Get(ctx, r)
		if err != nil && !errors.Is(err, session.ErrNoSession) {
			h.unavailable(w, r, err)
			return
		}
		need := sso == nil || prompts["login"]
		if sso != nil {
			if ma := ar.GetRequestForm().Get("max_age"); ma != "" {
				if secs, err := strconv.ParseInt(ma, 10, 64); err == nil && secs >= 0 && now.Sub(sso.AuthTime) > time.Duration(secs)*time.Second {
					need = true
				}
			}
		}
		if need {
			if prompts["none"] {
				h.authorizeError(w, r, ar, fosite.ErrLoginRequired.WithHint("The user is not logged in."))
				return
			}
			if h.preLoginLevel(ar, client) == authn.LoA3 {
				fl.Required = authn.LoA3
			}
			if err := h.flows.create(ctx, fl); err != nil {
				h.unavailable(w, r, err)
				return
			}
			web.Redirect(w, r, "/login?flow="+url.QueryEscape(fl.ID))
			return
		}
		fl.AccountID, fl.Capacity, fl.SID = sso.AccountID, sso.Capacity, sso.ID
		fl.AuthTime, fl.ACR, fl.AMR = sso.AuthTime, sso.ACR, sso.AMR
		fl.session = sso
	}
	acct, err := fl.account, error(nil)
	if acct == nil || acct.ID != fl.AccountID {
		acct, err = h.Store.GetAccount(ctx, fl.AccountID)
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && acct.Disabled) {
		// The account went away or was locked since the session began.
		if sso, err := h.Sessions.Lookup(ctx, fl.SID); err == nil {
			if err := h.Logout.End(ctx, sso, session.ReasonDisabled, "system"); err != nil {
				h.unavailable(w, r, err)
				return
			}
		}
		h.Sessions.ClearCookie(w)
		if prompts["none"] {
			h.authorizeError(w, r, ar, fosite.ErrLoginRequired)
			return
		}
		fl.LoginDone = false
		fl.AccountID = ""
		if err := h.flows.create(ctx, fl); err != nil {
			h.unavailable(w, r, err)
			return
		}
		web.Redirect(w, r, "/login?flow="+url.QueryEscape(fl.ID))
		return
	}
	if err != nil {
		h.unavailable(w, r, err)
		return
	}
	// The level of assurance asked for: a second factor (step-up) when the
	// login is below it.
	if h.MFA != nil && h.stepUp(w, r, ar, client, acct, fl, prompts) {
		return
	}
	// A certificate that mapped to nobody earlier in the flow is offered
	// for binding now that the person logged in another way.
	if h.offerBinding(w, r, fl) {
		return
	}

	// 2. Consent.
	requested := []string(ar.GetRequestedScopes())
	granted := requested
	pidConsented := false
	if fl.ConsentDone {
		granted = fl.ConsentScopes
		pidConsented = fl.PersonalIDConsented
	} else {
		prior, err := h.Store.GetConsent(ctx, acct.ID, client.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			h.unavailable(w, r, err)
			return
		}
		var remembered []string
		if prior != nil {
			remembered = prior.Scopes
		}
		needConsent := prompts["consent"]
		if !client.FirstParty && !subset(consentable(requested), remembered) {
			needConsent = true
		}
		if client.FirstParty && has(requested, identity.ScopePersonalID) && !has(remembered, identity.ScopePersonalID) {
			needConsent = true
		}
		if needConsent {
			if prompts["none"] {
				h.authorizeError(w, r, ar, fosite.ErrConsentRequired.WithHint("The user has not consented."))
				return
			}
			if err := h.saveFlow(ctx, fl); err != nil {
				h.unavailable(w, r, err)
				return
			}
			web.Redirect(w, r, "/consent?flow="+url.QueryEscape(fl.ID))
			return
		}
		pidConsented = has(remembered, identity.ScopePersonalID)
	}

	// 3. Business.
	var biz *identity.Representation
	if has(granted, identity.ScopeBusiness) && fl.Capacity == string(identity.CapacityCitizen) {
		reps, err := h.Store.Representations(ctx, acct.ID)
		if err != nil {
			h.unavailable(w, r, err)
			return
		}
		if len(reps) > 0 {
			switch {
			case fl.BusinessDone:
				for _, rep := range reps {
					if string(rep.TaxCode) == fl.TaxCode {
						biz = rep
					}
				}
			case prompts["none"]:
				// No page may be shown: the person acts for themselves.
			default:
				if err := h.saveFlow(ctx, fl); err != nil {
					h.unavailable(w, r, err)
					return
				}
				web.Redirect(w, r, "/login/business?flow="+url.QueryEscape(fl.ID))
				return
			}
		}
	}

	// 4. The code.
	if fl.SID != "" {
		sso := fl.session
		if sso == nil || sso.ID != fl.SID {
			sso, err = h.Sessions.Lookup(ctx, fl.SID)
		}
		if err == nil {
			if err := h.Sessions.AddClient(ctx, sso, client.ID); err != nil {
				h.unavailable(w, r, err)
				return
			}
		}
	}
	if fl.ID != "" {
		_ = h.flows.delete(ctx, fl.ID)
	}
	w.Header().Del("Content-Security-Policy") // fosite's form_post page submits itself with a script
	err = h.Provider.Issue(ctx, w, ar, oauth.Grant{
		Account: acct, SID: fl.SID, AuthTime: fl.AuthTime, RequestedAt: fl.RequestedAt, ACR: fl.ACR, AMR: fl.AMR,
		Capacity: identity.Capacity(fl.Capacity), Scopes: granted, Business: biz, PersonalIDConsented: pidConsented,
	})
	if err == nil {
		details := map[string]string{"scopes": strings.Join(granted, " ")}
		if biz != nil {
			details["tax_code"] = string(biz.TaxCode)
		}
		h.audit(r, "authorize.code", acct.ID, client.ID, details)
	}
}

func (h *Handler) saveFlow(ctx context.Context, fl *Flow) error {
	if fl.ID == "" {
		return h.flows.create(ctx, fl)
	}
	return h.flows.save(ctx, fl)
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !has(b, x) {
			return false
		}
	}
	return true
}

// consentable drops the scopes that release nothing to consent to.
func consentable(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if s != "openid" {
			out = append(out, s)
		}
	}
	return out
}
