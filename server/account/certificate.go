package account

import (
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/authn/certificate"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Certificates is what the console needs to manage the digital-signature
// certificates bound to the account, at /account/certificates.
//
// The page lists the bound certificates (subject, issuer, serial number,
// validity, when bound), each with a form to unbind it. Binding one proves
// holding it: the page's script asks /account/certificates/challenge for a
// challenge bound to the session (certificate.PurposeBind), has the signing
// software sign it and posts it to /account/certificates/bind, where it
// goes through the whole verification; a certificate that is another
// account's (bound to it, or naming its person) or that is issued to
// another name than the account's (certificate.Bind) is refused. A bound
// certificate that names a business ("MST:…") links the account as its
// representative (certificate.LinkBusiness) only when the account has
// proven its personal ID: an asserted ID links no business. Binding a
// certificate makes later certificate logins LoA3, so a session binds from
// LoA2 only: below, the page leads to /login/step-up?acr=LoA2 (which leads
// a person without a second factor through setting one up, then asks for
// it). Every change is audited with the certificate's subject, issuer and
// serial number.
type Certificates struct {
	Verifier   *certificate.Verifier
	Challenges *certificate.Challenges
	Mapper     *certificate.Mapper
	// VGCAEndpoint is the local WebSocket of the VGCA Sign Service, allowed
	// in the page's Content Security Policy.
	VGCAEndpoint string
}

const certificatesPath = "/account/certificates"

// certificateNotices are the outcomes a redirect to the page may announce (?done=…).
var certificateNotices = map[string]string{"bound": "certificates.bound_done", "unbound": "certificates.unbound_done"}

// certificateLimits are the form limits of a posted signature.
var certificateLimits = map[string]web.FieldLimit{
	"signature":   {MaxLen: certificate.MaxSignatureField},
	"certificate": {MaxLen: certificate.MaxCertificateField, MaxCount: certificate.MaxCertificateFields},
}

func (h *Handler) registerCertificates(mux *http.ServeMux) {
	mux.HandleFunc("GET "+certificatesPath, h.showCertificates)
	mux.HandleFunc("POST "+certificatesPath+"/challenge", h.certificateChallenge)
	mux.HandleFunc("POST "+certificatesPath+"/bind", h.bindCertificate)
	mux.HandleFunc("POST "+certificatesPath+"/unbind", h.unbindCertificate)
}

// bindKey is the flow a console binding's challenge is bound to: the session.
func bindKey(sso *session.SSO) string { return "console:" + sso.ID }

func (h *Handler) certificateUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	h.Log.Error("storage", "err", err, "path", r.URL.Path, "request_id", web.RequestID(r))
	h.Kit.Error(w, r, http.StatusServiceUnavailable, "unavailable")
}

func (h *Handler) showCertificates(w http.ResponseWriter, r *http.Request) {
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	h.renderCertificates(w, r, http.StatusOK, sso, certificateNotices[r.URL.Query().Get("done")], "")
}

// stepUpToBind returns where the session must be raised before it may bind
// a certificate, or "": binding needs a session at LoA2.
func stepUpToBind(sso *session.SSO) string {
	if authn.Rank(sso.ACR) >= authn.Rank(authn.LoA2) {
		return ""
	}
	return "/login/step-up?acr=LoA2&return=" + url.QueryEscape(certificatesPath)
}

func (h *Handler) renderCertificates(w http.ResponseWriter, r *http.Request, status int, sso *session.SSO, notice, errKey string) {
	ctx := r.Context()
	acct, err := h.Store.GetAccount(ctx, sso.AccountID)
	if err != nil {
		h.certificateUnavailable(w, r, err)
		return
	}
	bound, err := h.Store.CertificateBindings(ctx, acct.ID)
	if err != nil {
		h.certificateUnavailable(w, r, err)
		return
	}
	stepUp := stepUpToBind(sso)
	base := h.Kit.Base(w, r)
	base.NoticeKey, base.ErrorKey = notice, errKey
	page := &ui.CertificatesPage{Base: base, FullName: acct.FullName, StepUpURL: stepUp,
		Form: ui.SigningForm{Action: certificatesPath + "/bind", ChallengeURL: certificatesPath + "/challenge",
			CSRFToken: base.CSRFToken, Adapters: "vgca", VGCAEndpoint: h.Certificates.VGCAEndpoint,
			ButtonKey: "certificates.submit"}}
	for _, b := range bound {
		s := ui.CertificateSummary{Subject: b.Subject, Issuer: b.Issuer, Serial: b.Serial, NotAfter: b.NotAfter}
		if c, err := x509.ParseCertificate(b.Certificate); err == nil {
			s.Subject, s.Issuer = certificate.SubjectText(c), certificate.IssuerText(c)
		}
		page.Certificates = append(page.Certificates, ui.CertificateRow{Fingerprint: b.Fingerprint,
			CertificateSummary: s, BoundAt: b.CreatedAt})
	}
	w.Header().Set("Content-Security-Policy", web.ContentSecurityPolicyConnecting(h.Certificates.VGCAEndpoint))
	h.Kit.Render(w, r, status, "certificates", page)
}

// certificateChallenge hands the page's script a challenge bound to the
// session (JSON; the CSRF token in the X-CSRF-Token header or the
// csrf_token field).
func (h *Handler) certificateChallenge(w http.ResponseWriter, r *http.Request) {
	if err := web.ParseForm(r); err != nil {
		h.Kit.JSONError(w, r, http.StatusBadRequest, "error.bad_request")
		return
	}
	token := r.Header.Get("X-CSRF-Token")
	if token == "" {
		token = r.PostForm.Get(web.CSRFField)
	}
	if !h.Kit.CheckCSRFToken(r, token) {
		h.Kit.JSONError(w, r, http.StatusForbidden, "error.csrf")
		return
	}
	sso, err := h.Sessions.Get(r.Context(), r)
	if errors.Is(err, session.ErrNoSession) {
		h.Kit.JSONError(w, r, http.StatusGone, "error.flow_expired")
		return
	}
	if err != nil {
		h.Log.Error("session", "err", err, "request_id", web.RequestID(r))
		h.Kit.JSONError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	ch, err := h.Certificates.Challenges.Issue(r.Context(), bindKey(sso), certificate.PurposeBind)
	if err != nil {
		h.Log.Error("storage", "err", err, "request_id", web.RequestID(r))
		h.Kit.JSONError(w, r, http.StatusServiceUnavailable, "error.unavailable")
		return
	}
	web.WriteJSON(w, http.StatusOK, ch.Response())
}

func (h *Handler) bindCertificate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePostWith(w, r, certificateLimits) {
		return
	}
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	if stepUp := stepUpToBind(sso); stepUp != "" {
		web.Redirect(w, r, stepUp)
		return
	}
	c := h.Certificates
	v, refusal, err := certificate.VerifyPosted(ctx, c.Challenges, c.Verifier, bindKey(sso), certificate.PurposeBind, r.PostForm)
	if err != nil {
		h.certificateUnavailable(w, r, err)
		return
	}
	if refusal != nil {
		details := refusal.AuditDetails()
		details["via"] = "console"
		h.recorder.FromRequest(r, audit.CertificateBindRefused, sso.AccountID, "", details)
		h.renderCertificates(w, r, http.StatusUnauthorized, sso, "", refusal.MessageKey())
		return
	}
	details := v.AuditDetails()
	details["via"] = "console"
	already, err := certificate.Bind(ctx, c.Mapper, h.Store, sso.AccountID, v)
	switch {
	case errors.Is(err, certificate.ErrBoundElsewhere), errors.Is(err, certificate.ErrAnotherPerson), errors.Is(err, certificate.ErrOtherName):
		reason := "certificate.bound_elsewhere"
		switch {
		case errors.Is(err, certificate.ErrAnotherPerson):
			reason = "certificate.another_person"
		case errors.Is(err, certificate.ErrOtherName):
			reason = "certificate.other_name"
		}
		details["reason"] = reason
		h.recorder.FromRequest(r, audit.CertificateBindRefused, sso.AccountID, "", details)
		h.renderCertificates(w, r, http.StatusConflict, sso, "", "error."+reason)
		return
	case err != nil:
		h.certificateUnavailable(w, r, err)
		return
	case already:
		h.renderCertificates(w, r, http.StatusOK, sso, "", "error.certificate.already_bound")
		return
	}
	if v.Identifiers.TaxCode != "" {
		acct, err := h.Store.GetAccount(ctx, sso.AccountID)
		if err != nil {
			h.certificateUnavailable(w, r, err)
			return
		}
		if acct.PersonalIDVerified() { // an asserted personal ID links no business
			rep, err := certificate.LinkBusiness(ctx, h.Store, acct.ID, v)
			if err != nil {
				h.certificateUnavailable(w, r, err)
				return
			}
			details["tax_code"] = string(rep.TaxCode)
		}
	}
	h.recorder.FromRequest(r, audit.CertificateBind, sso.AccountID, "", details)
	web.Redirect(w, r, certificatesPath+"?done=bound")
}

func (h *Handler) unbindCertificate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.Kit.ParsePost(w, r) {
		return
	}
	sso, ok := h.current(w, r)
	if !ok {
		return
	}
	fp := r.PostForm.Get("fingerprint")
	bound, err := h.Store.CertificateBindings(ctx, sso.AccountID)
	if err != nil {
		h.certificateUnavailable(w, r, err)
		return
	}
	var b *store.CertificateBinding
	for _, x := range bound {
		if x.Fingerprint == fp {
			b = x
		}
	}
	if b == nil {
		h.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	err = h.Store.UnbindCertificate(ctx, sso.AccountID, fp)
	if errors.Is(err, store.ErrNotFound) {
		h.Kit.Error(w, r, http.StatusNotFound, "not_found")
		return
	}
	if err != nil {
		h.certificateUnavailable(w, r, err)
		return
	}
	h.recorder.FromRequest(r, audit.CertificateUnbind, sso.AccountID, "", map[string]string{"certificate_subject": b.Subject,
		"certificate_issuer": b.Issuer, "certificate_serial": b.Serial, "certificate_fingerprint": b.Fingerprint})
	web.Redirect(w, r, certificatesPath+"?done=unbound")
}
