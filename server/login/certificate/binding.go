package certificate

import (
	"context"
	"errors"
	"net/http"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	certauth "github.com/dinhdanh/dinhdanh/server/authn/certificate"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

// Offer shows, once the flow's login is done, the offer to bind the
// certificate that mapped to nobody earlier in the flow. It reports whether
// it answered the request. A login that may not bind it (below LoA2: a
// certificate makes later logins LoA3, which a password alone must not
// buy) forgets the certificate. It does nothing when certificate login is
// off.
func (s *Step) Offer(w http.ResponseWriter, r *http.Request, fl *flow.Flow) bool {
	if s == nil || !fl.LoginDone || fl.AccountID == "" || fl.Reauth {
		return false
	}
	p, token, err := s.pendingFor(r, fl)
	if err != nil {
		s.env.Log.Warn("reading a pending certificate", "err", err, "request_id", web.RequestID(r))
		return false
	}
	if p == nil {
		return false
	}
	if !mayBind(fl) {
		s.dropPending(w, r, token)
		s.env.Record(r, audit.CertificateBindingNotOffered, fl.AccountID, fl.ClientID, map[string]string{
			"reason": "second_factor_required", "certificate_fingerprint": p.Fingerprint})
		return false
	}
	// The offer is answered in a later request, which needs the flow as it
	// is now (its login done).
	if err := s.env.Flows.SaveOrCreate(r.Context(), fl); err != nil {
		s.env.Unavailable(w, r, err)
		return true
	}
	s.renderBind(w, r, http.StatusOK, fl, p, "")
	return true
}

// mayBind reports whether the flow's login may bind a certificate: it is at
// LoA2 at least.
func mayBind(fl *flow.Flow) bool {
	return authn.Rank(fl.ACR) >= authn.Rank(authn.LoA2)
}

func (s *Step) renderBind(w http.ResponseWriter, r *http.Request, status int, fl *flow.Flow, p *pendingCertificate, errKey string, args ...any) {
	base := s.env.Kit.Base(w, r)
	base.ErrorKey, base.ErrorArgs = errKey, args
	s.signingPolicy(w)
	s.env.Kit.Render(w, r, status, "certificate_bind", &ui.CertificateBindPage{Base: base, FlowID: fl.ID,
		ClientName: fl.ClientName, Certificate: p.summary(),
		Form: s.signingForm(base.CSRFToken, "/login/certificate/bind", "/login/certificate/bind/challenge", fl.ID,
			"certificate.bind.submit"),
		SkipAction: "/login/certificate/bind/skip"})
}

// bindingFlow returns the flow of a binding offer and its pending
// certificate: the flow's login is done by this browser's session at LoA2
// at least (mayBind), and the browser left a certificate pending in it.
func (s *Step) bindingFlow(r *http.Request, id string) (*flow.Flow, *pendingCertificate, string, error) {
	ctx := r.Context()
	fl, err := s.env.Flows.Get(ctx, id)
	if err != nil {
		return nil, nil, "", err
	}
	if !fl.LoginDone || fl.AccountID == "" || fl.SID == "" || !mayBind(fl) {
		return nil, nil, "", flow.ErrGone
	}
	sso, err := s.env.Sessions.Get(ctx, r)
	if errors.Is(err, session.ErrNoSession) || (err == nil && (sso.ID != fl.SID || sso.AccountID != fl.AccountID)) {
		return nil, nil, "", flow.ErrGone
	}
	if err != nil {
		return nil, nil, "", err
	}
	p, token, err := s.pendingFor(r, fl)
	if err != nil {
		return nil, nil, "", err
	}
	if p == nil {
		return nil, nil, "", flow.ErrGone
	}
	return fl, p, token, nil
}

// bindChallenge answers the binding page's script with a challenge to sign.
func (s *Step) bindChallenge(w http.ResponseWriter, r *http.Request) {
	fl, ok := s.challengeRequest(w, r)
	if !ok {
		return
	}
	if _, _, _, err := s.bindingFlow(r, fl.ID); err != nil {
		if errors.Is(err, flow.ErrGone) {
			s.env.Kit.JSONError(w, r, http.StatusGone, "error.flow_expired")
			return
		}
		s.env.JSONUnavailable(w, r, err)
		return
	}
	s.issueChallenge(w, r, fl.ID, certauth.PurposeBind)
}

// postBind binds the pending certificate, signed again, to the flow's
// account, and resumes the flow.
func (s *Step) postBind(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.env.Kit.ParsePostWith(w, r, signatureLimits) {
		return
	}
	fl, p, token, err := s.bindingFlow(r, r.PostForm.Get("flow"))
	if err != nil {
		s.env.FlowError(w, r, err)
		return
	}
	c := s.cfg
	v, refusal, err := certauth.VerifyPosted(ctx, c.Challenges, c.Verifier, fl.ID, certauth.PurposeBind, r.PostForm)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if refusal != nil {
		details := refusal.AuditDetails()
		details["via"] = "login"
		s.env.Record(r, audit.CertificateBindRefused, fl.AccountID, fl.ClientID, details)
		s.renderBind(w, r, refusalStatus(refusal), fl, p, refusal.MessageKey())
		return
	}
	details := v.AuditDetails()
	details["via"] = "login"
	if v.Fingerprint != p.Fingerprint {
		details["reason"] = "certificate.not_offered"
		s.env.Record(r, audit.CertificateBindRefused, fl.AccountID, fl.ClientID, details)
		s.renderBind(w, r, http.StatusBadRequest, fl, p, "error.certificate.not_offered")
		return
	}
	_, err = certauth.Bind(ctx, c.Mapper, s.env.Store, fl.AccountID, v)
	if key := bindRefusal(err); key != "" {
		details["reason"] = key
		s.env.Record(r, audit.CertificateBindRefused, fl.AccountID, fl.ClientID, details)
		s.dropPending(w, r, token)
		s.renderBind(w, r, http.StatusConflict, fl, p, "error."+key)
		return
	}
	if err == nil {
		err = s.linkBusiness(ctx, fl.AccountID, v, details)
	}
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	s.env.Record(r, audit.CertificateBind, fl.AccountID, fl.ClientID, details)
	s.dropPending(w, r, token)
	s.env.Next.Resume(w, r, fl)
}

// linkBusiness links the account, when it has a proven personal ID, as the
// representative of the business a newly bound certificate names (if any),
// and adds its tax code to the audit details.
func (s *Step) linkBusiness(ctx context.Context, accountID string, v *certauth.Verified, details map[string]string) error {
	if v.Identifiers.TaxCode == "" {
		return nil
	}
	acct, err := s.env.Store.GetAccount(ctx, accountID)
	if err != nil {
		return err
	}
	if !acct.PersonalIDVerified() {
		return nil // an asserted personal ID links no business
	}
	rep, err := certauth.LinkBusiness(ctx, s.env.Store, acct.ID, v)
	if err != nil {
		return err
	}
	details["tax_code"] = string(rep.TaxCode)
	return nil
}

// bindRefusal is the reason key of a binding that certauth.Bind refused,
// or "".
func bindRefusal(err error) string {
	switch {
	case errors.Is(err, certauth.ErrBoundElsewhere):
		return "certificate.bound_elsewhere"
	case errors.Is(err, certauth.ErrAnotherPerson):
		return "certificate.another_person"
	case errors.Is(err, certauth.ErrOtherName):
		return "certificate.other_name"
	}
	return ""
}

// skipBind declines the binding offer: the pending certificate is
// forgotten and the flow resumes.
func (s *Step) skipBind(w http.ResponseWriter, r *http.Request) {
	if !s.env.Kit.ParsePost(w, r) {
		return
	}
	fl, p, token, err := s.bindingFlow(r, r.PostForm.Get("flow"))
	if err != nil {
		s.env.FlowError(w, r, err)
		return
	}
	s.dropPending(w, r, token)
	s.env.Record(r, audit.CertificateBindingDeclined, fl.AccountID, fl.ClientID, map[string]string{
		"certificate_fingerprint": p.Fingerprint, "certificate_subject": p.subject()})
	s.env.Next.Resume(w, r, fl)
}
