package login

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/authn/certificate"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Login with a digital-signature certificate on a USB token (LoA3).
//
// Signed challenge: the login page carries a signing form (the scripts of
// ui/assets/signing). Its script posts the form's csrf_token and flow to
// /login/certificate/challenge and gets a single-use challenge bound to the
// flow, has the signing software sign it (adapters: the VGCA Sign Service
// today), and posts the signature to /login/certificate. The challenge is
// consumed first, then the signature is verified (certificate.Verifier: the
// challenge, the signature, the chain, validity, key usage, revocation), then
// the certificate is mapped to an account (certificate.Mapper). Every
// refusal is audited and shows its own message on the login page.
//
// Mutual TLS: the browser presents its certificate in a TLS handshake, on
// the listener of certificates.mutual_tls.listen (MutualTLSHandler) or to a
// reverse proxy that passes it on in a header, believed only from the
// configured proxies. /login/certificate/mtls?flow=… shows the certificate
// and logs in with it when the person confirms (a form, so that no other
// site can log a browser in); the certificate goes through the same checks
// but the signature, and the same mapping. The browser then goes back to
// the main listener (/login/certificate/resume).
//
// A certificate that maps to an account logs in at LoA3 with amr sc, hwk and
// mfa, which satisfies any level a request asks. The capacity is the
// citizen's, unless the account has no personal ID, or is an official's and
// the certificate comes from an authority that certifies officials
// (map_email, the government CA). A certificate naming a business ("MST:…")
// links the citizen as its representative and the login acts for that
// business: the business page is skipped and the business claims are
// released when the client asks for the business scope.
//
// A valid certificate that maps to nobody never creates an account. The page
// says so and leads to the other ways to log in; the certificate is
// remembered for a few minutes, bound to the browser (a cookie) and to the
// flow. Once the person has logged in another way in that flow (and reached
// the level the request needs), they are offered to bind it: they sign a new
// challenge with the same certificate (/login/certificate/bind), or decline
// (/login/certificate/bind/skip). A login below LoA2 is not offered to bind
// a certificate to an account that has a second factor: the binding would
// let a password alone become an LoA3 login.

// Certificates is what the login flow needs for certificate login.
type Certificates struct {
	Verifier   *certificate.Verifier
	Challenges *certificate.Challenges
	Mapper     *certificate.Mapper
	// Forwarded reads the client certificate a trusted reverse proxy passes
	// in a header to the main listener; nil when none is configured.
	Forwarded *certificate.ClientCertificates
	// MutualTLSLogin is the URL of the mutual-TLS login without its query:
	// on the mutual-TLS listener (https://host:port/login/certificate/mtls)
	// or, behind a proxy, on the main listener (/login/certificate/mtls);
	// "" when mutual TLS is not configured.
	MutualTLSLogin string
	// Issuer is the base URL of the main listener, where the mutual-TLS
	// listener sends the browser back.
	Issuer string
	// VGCAEndpoint is the local WebSocket of the VGCA Sign Service, allowed
	// in the Content Security Policy of the pages that sign.
	VGCAEndpoint string
	// PendingLifetime is how long a certificate that mapped to nobody is
	// remembered for binding; zero means DefaultPendingLifetime.
	PendingLifetime time.Duration
}

// DefaultPendingLifetime is how long a certificate that mapped to nobody is
// remembered when Certificates.PendingLifetime is zero.
const DefaultPendingLifetime = 10 * time.Minute

func (c *Certificates) pendingLifetime() time.Duration {
	if c.PendingLifetime > 0 {
		return c.PendingLifetime
	}
	return DefaultPendingLifetime
}

// How a certificate came: a signed challenge or a TLS handshake (directly or
// through a proxy).
const (
	viaSignature = "signature"
	viaTLS       = "mutual_tls"
	viaProxy     = "proxy_header"
)

// pendingCookie names the browser's pending certificate.
const pendingCookie = "dinhdanh_cert_pending"

// signatureLimits are the form limits of a posted signature.
var signatureLimits = map[string]web.FieldLimit{
	"signature":   {MaxLen: certificate.MaxSignatureField},
	"certificate": {MaxLen: certificate.MaxCertificateField, MaxCount: certificate.MaxCertificateFields},
}

func (h *Handler) registerCertificates(mux *http.ServeMux) {
	mux.HandleFunc("POST /login/certificate/challenge", h.certificateChallenge)
	mux.HandleFunc("POST /login/certificate", h.postCertificate)
	mux.HandleFunc("GET /login/certificate/resume", h.resumeAfterCertificate)
	mux.HandleFunc("POST /login/certificate/bind/challenge", h.bindChallenge)
	mux.HandleFunc("POST /login/certificate/bind", h.postBind)
	mux.HandleFunc("POST /login/certificate/bind/skip", h.skipBind)
	if h.Certificates.Forwarded != nil {
		reader := h.Certificates.Forwarded
		mux.HandleFunc("GET /login/certificate/mtls", func(w http.ResponseWriter, r *http.Request) { h.showMutualTLS(w, r, reader) })
		mux.HandleFunc("POST /login/certificate/mtls", func(w http.ResponseWriter, r *http.Request) { h.postMutualTLS(w, r, reader, viaProxy) })
	}
}

// MutualTLSHandler returns the handler of the mutual-TLS listener: the
// certificate login of a browser that presented a client certificate in the
// handshake, and the assets of its pages. Only the connection's certificate
// counts there; no header is read.
func (h *Handler) MutualTLSHandler() http.Handler {
	reader := &certificate.ClientCertificates{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/certificate/mtls", func(w http.ResponseWriter, r *http.Request) { h.showMutualTLS(w, r, reader) })
	mux.HandleFunc("POST /login/certificate/mtls", func(w http.ResponseWriter, r *http.Request) { h.postMutualTLS(w, r, reader, viaTLS) })
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", h.Kit.UI.Assets()))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { h.Kit.Error(w, r, http.StatusNotFound, "not_found") })
	return h.Kit.Middleware(mux)
}

// certificateSection adds the certificate section to the login page and
// lets the page's script reach the signing software.
func (h *Handler) certificateSection(w http.ResponseWriter, page *ui.LoginPage) {
	if h.Certificates == nil || page.FlowID == "" {
		return
	}
	sec := &ui.CertificateSignIn{Form: h.signingForm(page.CSRFToken, "/login/certificate", "/login/certificate/challenge",
		page.FlowID, "certificate.login.submit")}
	if h.Certificates.MutualTLSLogin != "" {
		sec.MutualTLSURL = h.Certificates.MutualTLSLogin + "?flow=" + url.QueryEscape(page.FlowID)
	}
	page.Certificate = sec
	h.signingPolicy(w)
}

func (h *Handler) signingForm(csrf, action, challenge, flowID, buttonKey string) ui.SigningForm {
	return ui.SigningForm{Action: action, ChallengeURL: challenge, FlowID: flowID, CSRFToken: csrf, Adapters: "vgca",
		VGCAEndpoint: h.Certificates.VGCAEndpoint, ButtonKey: buttonKey}
}

// signingPolicy allows the page's script to reach the signing software.
func (h *Handler) signingPolicy(w http.ResponseWriter) {
	w.Header().Set("Content-Security-Policy", web.ContentSecurityPolicyConnecting(h.Certificates.VGCAEndpoint))
}

// challengeRequest checks a challenge request of a signing script: the CSRF
// token (the X-CSRF-Token header or the csrf_token field) and the flow (the
// query's or the form's). It answers the request itself (JSON) when they
// fail.
func (h *Handler) challengeRequest(w http.ResponseWriter, r *http.Request) (*Flow, bool) {
	if err := web.ParseForm(r); err != nil {
		h.Kit.JSONError(w, r, http.StatusBadRequest, "error.bad_request")
		return nil, false
	}
	token := r.Header.Get("X-CSRF-Token")
	if token == "" {
		token = r.PostForm.Get(web.CSRFField)
	}
	if !web.CheckCSRFToken(r, token) {
		h.Kit.JSONError(w, r, http.StatusForbidden, "error.csrf")
		return nil, false
	}
	id := r.URL.Query().Get("flow")
	if id == "" {
		id = r.PostForm.Get("flow")
	}
	fl, err := h.certificateFlow(r, id)
	if errors.Is(err, flow.ErrGone) {
		h.Kit.JSONError(w, r, http.StatusGone, "error.flow_expired")
		return nil, false
	}
	if err != nil {
		h.jsonStorageError(w, r, err)
		return nil, false
	}
	return fl, true
}

// certificateFlow returns the login flow a certificate may log in to: any
// but the confirmation of who is signed in (a re-authentication), which
// asks for the signed-in person's own factors.
func (h *Handler) certificateFlow(r *http.Request, id string) (*Flow, error) {
	fl, err := h.env.Flows.Get(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if fl.Reauth {
		return nil, flow.ErrGone
	}
	return fl, nil
}

func (h *Handler) jsonStorageError(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.Error("storage", "err", err, "path", r.URL.Path, "request_id", web.RequestID(r))
	h.Kit.JSONError(w, r, http.StatusServiceUnavailable, "error.unavailable")
}

// issueChallenge answers with a new challenge of the flow for the purpose.
func (h *Handler) issueChallenge(w http.ResponseWriter, r *http.Request, flowID string, p certificate.Purpose) {
	ch, err := h.Certificates.Challenges.Issue(r.Context(), flowID, p)
	if err != nil {
		h.jsonStorageError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, ch.Response())
}

func (h *Handler) certificateChallenge(w http.ResponseWriter, r *http.Request) {
	fl, ok := h.challengeRequest(w, r)
	if !ok {
		return
	}
	h.issueChallenge(w, r, fl.ID, certificate.PurposeLogin)
}

func (h *Handler) postCertificate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePostWith(w, r, signatureLimits) {
		return
	}
	fl, err := h.certificateFlow(r, r.PostForm.Get("flow"))
	if err != nil {
		h.env.FlowError(w, r, err)
		return
	}
	c := h.Certificates
	v, refusal, err := certificate.VerifyPosted(ctx, c.Challenges, c.Verifier, fl.ID, certificate.PurposeLogin, r.PostForm)
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	if refusal != nil {
		h.certificateRefused(w, r, fl, refusal, viaSignature)
		return
	}
	h.certificateLogin(w, r, fl, v, viaSignature)
}

// refusalStatus is the HTTP status of a page that shows a refusal.
func refusalStatus(r *certificate.Refusal) int {
	switch r.Reason {
	case certificate.ReasonMalformed, certificate.ReasonAlgorithm:
		return http.StatusBadRequest
	case certificate.ReasonRevocationUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusUnauthorized
}

// certificateRefused audits a refusal and shows its message.
func (h *Handler) certificateRefused(w http.ResponseWriter, r *http.Request, fl *Flow, refusal *certificate.Refusal, via string) {
	details := refusal.AuditDetails()
	details["method"], details["via"] = "certificate", via
	h.env.Record(r, audit.LoginCertificateRefused, "", fl.ClientID, details)
	h.Log.Info("certificate refused", "check", refusal.Check, "reason", refusal.Reason, "detail", refusal.Detail,
		"request_id", web.RequestID(r))
	h.certificateError(w, r, fl, via, refusalStatus(refusal), refusal.MessageKey())
}

// certificateError shows a message where the certificate came from: the
// login page, or the mutual-TLS page.
func (h *Handler) certificateError(w http.ResponseWriter, r *http.Request, fl *Flow, via string, status int, key string, args ...any) {
	if via == viaSignature {
		h.RenderLogin(w, r, status, fl, "", key, args...)
		return
	}
	h.renderMutualTLS(w, r, status, fl, nil, key, args...)
}

// certificateLogin maps a verified certificate to its account and completes
// the login, or offers the way to bind it when it maps to nobody.
func (h *Handler) certificateLogin(w http.ResponseWriter, r *http.Request, fl *Flow, v *certificate.Verified, via string) {
	ctx := r.Context()
	details := v.AuditDetails()
	details["method"], details["via"] = "certificate", via
	match, ok, err := h.Certificates.Mapper.Map(ctx, v)
	switch {
	case errors.Is(err, authn.ErrAccountDisabled):
		h.env.Record(r, audit.LoginDisabled, match.Account.ID, fl.ClientID, details)
		h.certificateError(w, r, fl, via, http.StatusForbidden, "login.account_disabled")
		return
	case errors.Is(err, certificate.ErrIdentityConflict):
		h.env.Record(r, audit.LoginCertificateConflict, "", fl.ClientID, details)
		h.certificateError(w, r, fl, via, http.StatusForbidden, "error.certificate.identity_conflict")
		return
	case err != nil:
		h.env.Unavailable(w, r, err)
		return
	case !ok:
		h.unknownCertificate(w, r, fl, v, via, details)
		return
	}
	acct := match.Account
	capacity := certificateCapacity(acct, v, match)
	details["matched_by"] = string(match.By)
	if match.Business != nil && acct.PersonalID != "" {
		rep, err := certificate.LinkBusiness(ctx, h.Store, acct.ID, v)
		if err != nil {
			h.env.Unavailable(w, r, err)
			return
		}
		details["tax_code"] = string(rep.TaxCode)
		if capacity == identity.CapacityCitizen {
			// The login is as the business's representative.
			fl.BusinessDone, fl.TaxCode = true, string(rep.TaxCode)
		}
	}
	acr, amr := v.Assurance()
	if err := h.env.StartSession(w, r, fl, acct, capacity, acr, amr, "certificate"); err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	details["sid"], details["capacity"] = fl.SID, string(capacity)
	h.env.Record(r, audit.LoginCertificate, acct.ID, fl.ClientID, details)
	if via != viaSignature {
		// The browser leaves the mutual-TLS listener and comes back for the flow.
		if err := h.env.Flows.Save(r.Context(), fl); err != nil {
			h.env.Unavailable(w, r, err)
			return
		}
		web.Redirect(w, r, h.Certificates.Issuer+"/login/certificate/resume?flow="+url.QueryEscape(fl.ID))
		return
	}
	h.Resume(w, r, fl)
}

// certificateCapacity is the capacity of a certificate login: the
// citizen's, unless the account has no personal ID, or is an official's and
// the certificate is an official's (found by the official's address, or
// issued by an authority that certifies officials' addresses). A
// certificate naming a business is always the citizen's.
func certificateCapacity(acct *identity.Account, v *certificate.Verified, m certificate.Match) identity.Capacity {
	switch {
	case acct.PersonalID == "":
		return identity.CapacityOfficial
	case acct.Official == nil || m.Business != nil:
		return identity.CapacityCitizen
	case m.By == certificate.MatchEmail || v.MapEmail:
		return identity.CapacityOfficial
	}
	return identity.CapacityCitizen
}

// pendingCertificate is a verified certificate that mapped to nobody,
// remembered for binding after a login made another way.
type pendingCertificate struct {
	Flow        string `json:"flow"`
	Fingerprint string `json:"fp"`
	// Certificate is the certificate's DER.
	Certificate []byte `json:"cert"`
}

// summary returns what the pages show of the certificate.
func (p *pendingCertificate) summary() ui.CertificateSummary {
	c, err := x509.ParseCertificate(p.Certificate)
	if err != nil {
		return ui.CertificateSummary{}
	}
	return summaryOf(c)
}

// subject is the certificate's subject in the form of the audit log.
func (p *pendingCertificate) subject() string {
	if c, err := x509.ParseCertificate(p.Certificate); err == nil {
		return c.Subject.String()
	}
	return ""
}

func summaryOf(c *x509.Certificate) ui.CertificateSummary {
	return ui.CertificateSummary{Subject: certificate.SubjectText(c), Issuer: certificate.IssuerText(c),
		Serial: certificate.SerialKey(c), NotAfter: c.NotAfter}
}

// unknownCertificate remembers a certificate that maps to nobody and tells
// the person how to bind it. Nothing is created.
func (h *Handler) unknownCertificate(w http.ResponseWriter, r *http.Request, fl *Flow, v *certificate.Verified, via string, details map[string]string) {
	ctx := r.Context()
	lifetime := h.Certificates.pendingLifetime()
	data, err := json.Marshal(pendingCertificate{Flow: fl.ID, Fingerprint: v.Fingerprint, Certificate: v.Certificate.Raw})
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	token := web.RandomToken(18)
	if err := h.Eph.PutRecord(ctx, store.KindPendingCertificate, &store.Record{Key: token, RequestID: fl.ID, Data: data,
		ExpiresAt: h.Now().Add(lifetime)}); err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	h.Kit.SetCookie(w, pendingCookie, token, int(lifetime/time.Second))
	h.env.Record(r, audit.LoginCertificateUnknown, "", fl.ClientID, details)
	loginURL := "/login?flow=" + url.QueryEscape(fl.ID)
	if via != viaSignature {
		loginURL = h.Certificates.Issuer + loginURL
	}
	h.Kit.Render(w, r, http.StatusOK, "certificate_unknown", &ui.CertificateUnknownPage{Base: h.Kit.Base(w, r),
		ClientName: fl.ClientName, Certificate: summaryOf(v.Certificate), LoginURL: loginURL, Minutes: int(lifetime / time.Minute)})
}

// pendingFor returns the certificate this browser left pending in the flow.
func (h *Handler) pendingFor(r *http.Request, fl *Flow) (*pendingCertificate, string, error) {
	c, err := r.Cookie(pendingCookie)
	if err != nil || c.Value == "" || len(c.Value) > 64 {
		return nil, "", nil
	}
	rec, err := h.Eph.GetRecord(r.Context(), store.KindPendingCertificate, c.Value)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	var p pendingCertificate
	if err := json.Unmarshal(rec.Data, &p); err != nil {
		return nil, "", err
	}
	if p.Flow != fl.ID {
		return nil, "", nil
	}
	return &p, c.Value, nil
}

// dropPending forgets the browser's pending certificate.
func (h *Handler) dropPending(w http.ResponseWriter, r *http.Request, token string) {
	if token != "" {
		if err := h.Eph.DeleteRecord(r.Context(), store.KindPendingCertificate, token); err != nil {
			h.Log.Warn("forgetting a pending certificate", "err", err)
		}
	}
	h.Kit.SetCookie(w, pendingCookie, "", -1)
}

// offerBinding shows, once the flow's login is done, the offer to bind the
// certificate that mapped to nobody earlier in the flow. It reports whether
// it answered the request. A login that may not bind it (below LoA2 while
// the account has a second factor) forgets the certificate.
func (h *Handler) offerBinding(w http.ResponseWriter, r *http.Request, fl *Flow) bool {
	if h.Certificates == nil || !fl.LoginDone || fl.AccountID == "" || fl.Reauth {
		return false
	}
	p, token, err := h.pendingFor(r, fl)
	if err != nil {
		h.Log.Warn("reading a pending certificate", "err", err, "request_id", web.RequestID(r))
		return false
	}
	if p == nil {
		return false
	}
	may, err := h.mayBind(r.Context(), fl)
	if err != nil {
		h.Log.Warn("second factors of a binding", "err", err, "request_id", web.RequestID(r))
		return false
	}
	if !may {
		h.dropPending(w, r, token)
		h.env.Record(r, audit.CertificateBindingNotOffered, fl.AccountID, fl.ClientID, map[string]string{
			"reason": "second_factor_required", "certificate_fingerprint": p.Fingerprint})
		return false
	}
	// The offer is answered in a later request, which needs the flow as it
	// is now (its login done).
	if err := h.env.Flows.SaveOrCreate(r.Context(), fl); err != nil {
		h.env.Unavailable(w, r, err)
		return true
	}
	h.renderBind(w, r, http.StatusOK, fl, p, "")
	return true
}

// mayBind reports whether the flow's login may bind a certificate: it is at
// LoA2 at least, or the account has no second factor.
func (h *Handler) mayBind(ctx context.Context, fl *Flow) (bool, error) {
	if authn.Rank(fl.ACR) >= authn.Rank(authn.LoA2) || h.MFA == nil {
		return true, nil
	}
	fs, err := h.factors(ctx, fl.AccountID)
	if err != nil {
		return false, err
	}
	return fs.ProvesSecondFactor(fl.ACR), nil
}

func (h *Handler) renderBind(w http.ResponseWriter, r *http.Request, status int, fl *Flow, p *pendingCertificate, errKey string, args ...any) {
	base := h.Kit.Base(w, r)
	base.ErrorKey, base.ErrorArgs = errKey, args
	h.signingPolicy(w)
	h.Kit.Render(w, r, status, "certificate_bind", &ui.CertificateBindPage{Base: base, FlowID: fl.ID,
		ClientName: fl.ClientName, Certificate: p.summary(),
		Form: h.signingForm(base.CSRFToken, "/login/certificate/bind", "/login/certificate/bind/challenge", fl.ID,
			"certificate.bind.submit"),
		SkipAction: "/login/certificate/bind/skip"})
}

// bindingFlow returns the flow of a binding offer and its pending
// certificate: the flow's login is done by this browser's session, and the
// browser left a certificate pending in it.
func (h *Handler) bindingFlow(r *http.Request, id string) (*Flow, *pendingCertificate, string, error) {
	ctx := r.Context()
	fl, err := h.env.Flows.Get(ctx, id)
	if err != nil {
		return nil, nil, "", err
	}
	if !fl.LoginDone || fl.AccountID == "" || fl.SID == "" {
		return nil, nil, "", flow.ErrGone
	}
	sso, err := h.Sessions.Get(ctx, r)
	if errors.Is(err, session.ErrNoSession) || (err == nil && (sso.ID != fl.SID || sso.AccountID != fl.AccountID)) {
		return nil, nil, "", flow.ErrGone
	}
	if err != nil {
		return nil, nil, "", err
	}
	p, token, err := h.pendingFor(r, fl)
	if err != nil {
		return nil, nil, "", err
	}
	if p == nil {
		return nil, nil, "", flow.ErrGone
	}
	return fl, p, token, nil
}

func (h *Handler) bindChallenge(w http.ResponseWriter, r *http.Request) {
	fl, ok := h.challengeRequest(w, r)
	if !ok {
		return
	}
	if _, _, _, err := h.bindingFlow(r, fl.ID); err != nil {
		if errors.Is(err, flow.ErrGone) {
			h.Kit.JSONError(w, r, http.StatusGone, "error.flow_expired")
			return
		}
		h.jsonStorageError(w, r, err)
		return
	}
	h.issueChallenge(w, r, fl.ID, certificate.PurposeBind)
}

func (h *Handler) postBind(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePostWith(w, r, signatureLimits) {
		return
	}
	fl, p, token, err := h.bindingFlow(r, r.PostForm.Get("flow"))
	if err != nil {
		h.env.FlowError(w, r, err)
		return
	}
	c := h.Certificates
	v, refusal, err := certificate.VerifyPosted(ctx, c.Challenges, c.Verifier, fl.ID, certificate.PurposeBind, r.PostForm)
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	if refusal != nil {
		details := refusal.AuditDetails()
		details["via"] = "login"
		h.env.Record(r, audit.CertificateBindRefused, fl.AccountID, fl.ClientID, details)
		h.renderBind(w, r, refusalStatus(refusal), fl, p, refusal.MessageKey())
		return
	}
	details := v.AuditDetails()
	details["via"] = "login"
	if v.Fingerprint != p.Fingerprint {
		details["reason"] = "certificate.not_offered"
		h.env.Record(r, audit.CertificateBindRefused, fl.AccountID, fl.ClientID, details)
		h.renderBind(w, r, http.StatusBadRequest, fl, p, "error.certificate.not_offered")
		return
	}
	_, err = certificate.Bind(ctx, c.Mapper, h.Store, fl.AccountID, v)
	if key := bindRefusal(err); key != "" {
		details["reason"] = key
		h.env.Record(r, audit.CertificateBindRefused, fl.AccountID, fl.ClientID, details)
		h.dropPending(w, r, token)
		h.renderBind(w, r, http.StatusConflict, fl, p, "error."+key)
		return
	}
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	if v.Identifiers.TaxCode != "" {
		acct, err := h.Store.GetAccount(ctx, fl.AccountID)
		if err != nil {
			h.env.Unavailable(w, r, err)
			return
		}
		if acct.PersonalID != "" {
			rep, err := certificate.LinkBusiness(ctx, h.Store, acct.ID, v)
			if err != nil {
				h.env.Unavailable(w, r, err)
				return
			}
			details["tax_code"] = string(rep.TaxCode)
		}
	}
	h.env.Record(r, audit.CertificateBind, fl.AccountID, fl.ClientID, details)
	h.dropPending(w, r, token)
	h.Resume(w, r, fl)
}

// bindRefusal is the reason key of a binding that certificate.Bind
// refused, or "".
func bindRefusal(err error) string {
	switch {
	case errors.Is(err, certificate.ErrBoundElsewhere):
		return "certificate.bound_elsewhere"
	case errors.Is(err, certificate.ErrAnotherPerson):
		return "certificate.another_person"
	}
	return ""
}

func (h *Handler) skipBind(w http.ResponseWriter, r *http.Request) {
	if !h.Kit.ParsePost(w, r) {
		return
	}
	fl, p, token, err := h.bindingFlow(r, r.PostForm.Get("flow"))
	if err != nil {
		h.env.FlowError(w, r, err)
		return
	}
	h.dropPending(w, r, token)
	h.env.Record(r, audit.CertificateBindingDeclined, fl.AccountID, fl.ClientID, map[string]string{
		"certificate_fingerprint": p.Fingerprint, "certificate_subject": p.subject()})
	h.Resume(w, r, fl)
}

// resumeAfterCertificate continues a flow after a mutual-TLS login, back on
// the main listener: the flow's login must be this browser's session.
func (h *Handler) resumeAfterCertificate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	fl, err := h.env.Flows.Get(ctx, r.URL.Query().Get("flow"))
	if err != nil {
		h.env.FlowError(w, r, err)
		return
	}
	sso, err := h.Sessions.Get(ctx, r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		h.env.Unavailable(w, r, err)
		return
	}
	if !fl.LoginDone || sso == nil || sso.ID != fl.SID || sso.AccountID != fl.AccountID {
		h.Kit.ErrorWith(w, r, http.StatusBadRequest, "bad_request", "flow_expired")
		return
	}
	h.Resume(w, r, fl)
}

// Mutual TLS.

// clientCertificates reads the client certificate of the request; a
// forwarded one that does not parse is refused here.
func (h *Handler) clientCertificates(w http.ResponseWriter, r *http.Request, reader *certificate.ClientCertificates, fl *Flow) ([]*x509.Certificate, bool) {
	certs, err := reader.FromRequest(r)
	if err != nil {
		h.Log.Info("forwarded client certificate", "err", err, "request_id", web.RequestID(r))
		h.env.Record(r, audit.LoginCertificateRefused, "", fl.ClientID, map[string]string{"method": "certificate",
			"via": viaProxy, "reason": "certificate.forwarded_malformed"})
		h.renderMutualTLS(w, r, http.StatusBadRequest, fl, nil, "error.certificate.forwarded_malformed")
		return nil, false
	}
	return certs, true
}

func (h *Handler) showMutualTLS(w http.ResponseWriter, r *http.Request, reader *certificate.ClientCertificates) {
	if err := web.ParseForm(r); err != nil {
		h.Kit.FormError(w, r, err)
		return
	}
	fl, err := h.certificateFlow(r, r.URL.Query().Get("flow"))
	if err != nil {
		h.env.FlowError(w, r, err)
		return
	}
	certs, ok := h.clientCertificates(w, r, reader, fl)
	if !ok {
		return
	}
	var summary *ui.CertificateSummary
	if len(certs) > 0 {
		s := summaryOf(certs[0])
		summary = &s
	}
	h.renderMutualTLS(w, r, http.StatusOK, fl, summary, "")
}

func (h *Handler) renderMutualTLS(w http.ResponseWriter, r *http.Request, status int, fl *Flow, c *ui.CertificateSummary, errKey string, args ...any) {
	base := h.Kit.Base(w, r)
	base.ErrorKey, base.ErrorArgs = errKey, args
	h.Kit.Render(w, r, status, "certificate_mtls", &ui.CertificateMTLSPage{Base: base, FlowID: fl.ID, ClientName: fl.ClientName,
		Certificate: c, Action: "/login/certificate/mtls",
		LoginURL: h.Certificates.Issuer + "/login?flow=" + url.QueryEscape(fl.ID)})
}

func (h *Handler) postMutualTLS(w http.ResponseWriter, r *http.Request, reader *certificate.ClientCertificates, via string) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	fl, err := h.certificateFlow(r, r.PostForm.Get("flow"))
	if err != nil {
		h.env.FlowError(w, r, err)
		return
	}
	certs, ok := h.clientCertificates(w, r, reader, fl)
	if !ok {
		return
	}
	if len(certs) == 0 {
		h.env.Record(r, audit.LoginCertificateRefused, "", fl.ClientID, map[string]string{"method": "certificate", "via": via,
			"reason": "certificate.no_client_certificate"})
		h.renderMutualTLS(w, r, http.StatusUnauthorized, fl, nil, "error.certificate.no_client_certificate")
		return
	}
	v, refusal, err := h.Certificates.Verifier.VerifyCertificate(ctx, certs)
	if err != nil {
		h.env.Unavailable(w, r, err)
		return
	}
	if refusal != nil {
		h.certificateRefused(w, r, fl, refusal, via)
		return
	}
	h.certificateLogin(w, r, fl, v, via)
}
