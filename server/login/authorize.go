package login

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/oauth"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
)

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
		h.env.Unavailable(w, r, err)
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
	// A store that failed (the client could not be read) is no refusal:
	// the person sees the 503 page, the application hears nothing final.
	if oauth.Outage(r.Context(), err) {
		h.env.Unavailable(w, r, err)
		return
	}
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

// Refuse ends the flow's authorization request with err at the client:
// the original request is parsed again for its redirect URI and state.
func (h *Handler) Refuse(w http.ResponseWriter, r *http.Request, fl *Flow, err error) {
	req := r.Clone(r.Context())
	req.Method = http.MethodGet
	req.URL = &url.URL{Path: oauth.PathAuthorize, RawQuery: fl.AuthorizeQuery}
	req.Form, req.PostForm, req.Body = nil, nil, http.NoBody
	req.Header = r.Header.Clone()
	req.Header.Del("Content-Type")
	ar, perr := h.Provider.NewAuthorizeRequest(r.Context(), req)
	if perr != nil {
		h.authorizeError(w, r, ar, perr)
		return
	}
	h.authorizeError(w, r, ar, err)
}

// Resume is where every step returns: it re-parses the original
// authorization request of the flow (or, for the account console, takes the
// flow's return path) and lets the dispatcher decide what comes next.
func (h *Handler) Resume(w http.ResponseWriter, r *http.Request, fl *Flow) {
	if fl.AuthorizeQuery == "" {
		f, err := h.consoleFacts(r, fl)
		if err != nil {
			h.env.Unavailable(w, r, err)
			return
		}
		h.act(w, r, nil, fl, Next(f), nil)
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

// decide takes an authorization request as far as it can: it reads the
// facts, asks Next for the next step and carries it out.
func (h *Handler) decide(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, fl *Flow) {
	f, k, err := h.gather(r, ar, fl)
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	h.act(w, r, ar, fl, Next(f), k)
}

// act carries out a decision of the dispatcher: it sends the browser to the
// step's page, the error to the client, or issues the code.
func (h *Handler) act(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, fl *Flow, d Decision, k *known) {
	if d.UseSession {
		sso := k.sso
		fl.AccountID, fl.Capacity, fl.SID = sso.AccountID, sso.Capacity, sso.ID
		fl.AuthTime, fl.ACR, fl.AMR = sso.AuthTime, sso.ACR, sso.AMR
		fl.Session = sso
	}
	if k != nil && k.account != nil {
		fl.Account = k.account
	}
	switch d.Outcome {
	case Refuse:
		if d.Err == errUnmet {
			h.Log.Info("authorization request refused", "err", errUnmet.ErrorField, "client", fl.ClientID,
				"request_id", web.RequestID(r))
		}
		h.authorizeError(w, r, ar, d.Err)
	case ShowLogin:
		if d.Required != "" {
			fl.Required = d.Required
		}
		h.toStep(w, r, fl, "/login", !fl.LoginDone)
	case SecondFactor:
		fl.Required = d.Required
		h.toStep(w, r, fl, "/login/mfa", false)
	case Relogin:
		h.relogin(w, r, ar, fl, d)
	case OfferBinding:
		if h.cert.Offer(w, r, fl) {
			return
		}
		// Not offered after all (the login may not bind it): on to the
		// next step without it.
		fl.NoBinding = true
		if ar == nil {
			h.Resume(w, r, fl)
			return
		}
		h.decide(w, r, ar, fl)
	case Consent:
		h.toStep(w, r, fl, "/consent", false)
	case ChooseBusiness:
		h.toStep(w, r, fl, "/login/business", false)
	case ReturnToConsole:
		_ = h.env.Flows.Delete(r.Context(), fl.ID)
		web.Redirect(w, r, web.LocalPathOr(fl.ReturnTo, "/account"))
	case IssueCode:
		h.issue(w, r, ar, fl, d, k)
	}
}

// toStep saves the flow and sends the browser to a step's page. A flow that
// is sent to log in afresh gets a new id.
func (h *Handler) toStep(w http.ResponseWriter, r *http.Request, fl *Flow, path string, fresh bool) {
	if path == "/login" && fl.Required != "" {
		// Only a certificate login reaches LoA3: the person logs in again
		// with their USB token; the login page offers nothing else.
		fl.LoginDone = false
	}
	var err error
	if fresh {
		err = h.env.Flows.Create(r.Context(), fl)
	} else {
		err = h.env.Flows.SaveOrCreate(r.Context(), fl)
	}
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	web.Redirect(w, r, path+"?flow="+url.QueryEscape(fl.ID))
}

// relogin ends the session of an account that went away or was locked since
// it began, and sends the person to log in again.
func (h *Handler) relogin(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, fl *Flow, d Decision) {
	ctx := r.Context()
	if sso, err := h.Sessions.Lookup(ctx, fl.SID); err == nil {
		if err := h.Logout.End(ctx, sso, session.ReasonDisabled, "system"); err != nil {
			h.env.Unavailable(w, r, err)
			return
		}
	}
	h.Sessions.ClearCookie(w)
	if d.Err != nil {
		h.authorizeError(w, r, ar, d.Err)
		return
	}
	fl.LoginDone, fl.AccountID = false, ""
	h.toStep(w, r, fl, "/login", true)
}

// issue issues the code: the session records the client, the flow ends.
// When the request has ended already (the client went away), it does
// nothing: no code, no session change, the flow kept.
func (h *Handler) issue(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, fl *Flow, d Decision, k *known) {
	ctx := r.Context()
	if err := ctx.Err(); err != nil {
		// The client went away (or the server is stopping): no code is
		// issued, and the flow is kept, for an answer nobody can read.
		h.env.Log.Info("authorization abandoned: the request ended", "err", err, "request_id", web.RequestID(r))
		return
	}
	var biz *identity.Representation
	if fl.BusinessDone {
		for _, rep := range k.reps {
			if string(rep.TaxCode) == fl.TaxCode {
				biz = rep
			}
		}
	}
	if fl.SID != "" {
		sso, err := fl.Session, error(nil)
		if sso == nil || sso.ID != fl.SID {
			sso, err = h.Sessions.Lookup(ctx, fl.SID)
		}
		if err == nil {
			if err := h.Sessions.AddClient(ctx, sso, fl.ClientID); err != nil {
				h.env.Unavailable(w, r, err)
				return
			}
		}
	}
	if fl.ID != "" {
		_ = h.env.Flows.Delete(ctx, fl.ID)
	}
	acct := k.account
	w.Header().Del("Content-Security-Policy") // fosite's form_post page submits itself with a script
	err := h.Provider.Issue(ctx, w, ar, oauth.Grant{
		Account: acct, SID: fl.SID, AuthTime: fl.AuthTime, RequestedAt: fl.RequestedAt, ACR: fl.ACR, AMR: fl.AMR,
		Capacity: identity.Capacity(fl.Capacity), Scopes: d.Granted, Business: biz, PersonalIDConsented: d.PIDConsented,
	})
	if err == nil {
		details := map[string]string{"scopes": strings.Join(d.Granted, " ")}
		if biz != nil {
			details["tax_code"] = string(biz.TaxCode)
		}
		h.env.Record(r, audit.AuthorizeCode, acct.ID, fl.ClientID, details)
	}
}
