package certificate

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	certauth "github.com/dinhdanh/dinhdanh/server/authn/certificate"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/web"
)

// loginChallenge answers the login page's script with a challenge to sign.
func (s *Step) loginChallenge(w http.ResponseWriter, r *http.Request) {
	fl, ok := s.challengeRequest(w, r)
	if !ok {
		return
	}
	s.issueChallenge(w, r, fl.ID, certauth.PurposeLogin)
}

// postSignature logs in with a signed challenge.
func (s *Step) postSignature(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !s.env.Kit.ParsePostWith(w, r, signatureLimits) {
		return
	}
	fl, err := s.certificateFlow(r, r.PostForm.Get("flow"))
	if err != nil {
		s.env.FlowError(w, r, err)
		return
	}
	c := s.cfg
	v, refusal, err := certauth.VerifyPosted(ctx, c.Challenges, c.Verifier, fl.ID, certauth.PurposeLogin, r.PostForm)
	if s.clientGone(r) {
		return
	}
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if refusal != nil {
		s.refused(w, r, fl, refusal, viaSignature)
		return
	}
	s.login(w, r, fl, v, viaSignature)
}

// refusalStatus is the HTTP status of a page that shows a refusal.
func refusalStatus(r *certauth.Refusal) int {
	switch r.Reason {
	case certauth.ReasonMalformed, certauth.ReasonAlgorithm:
		return http.StatusBadRequest
	case certauth.ReasonRevocationUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusUnauthorized
}

// refused audits a refusal and shows its message.
func (s *Step) refused(w http.ResponseWriter, r *http.Request, fl *flow.Flow, refusal *certauth.Refusal, via string) {
	details := refusal.AuditDetails()
	details["method"], details["via"] = "certificate", via
	s.env.Record(r, audit.LoginCertificateRefused, "", fl.ClientID, details)
	s.env.Log.Info("certificate refused", "check", refusal.Check, "reason", refusal.Reason, "detail", refusal.Detail,
		"request_id", web.RequestID(r))
	s.showError(w, r, fl, via, refusalStatus(refusal), refusal.MessageKey())
}

// showError shows a message where the certificate came from: the login
// page, or the mutual-TLS page.
func (s *Step) showError(w http.ResponseWriter, r *http.Request, fl *flow.Flow, via string, status int, key string, args ...any) {
	if via == viaSignature {
		s.env.Next.RenderLogin(w, r, status, fl, "", key, args...)
		return
	}
	s.renderMutualTLS(w, r, status, fl, nil, key, args...)
}

// login maps a verified certificate to its account and completes the
// login, or offers the way to bind it when it maps to nobody.
func (s *Step) login(w http.ResponseWriter, r *http.Request, fl *flow.Flow, v *certauth.Verified, via string) {
	ctx := r.Context()
	details := v.AuditDetails()
	details["method"], details["via"] = "certificate", via
	match, ok, err := s.cfg.Mapper.Map(ctx, v)
	switch {
	case errors.Is(err, authn.ErrAccountDisabled):
		s.env.Record(r, audit.LoginDisabled, match.Account.ID, fl.ClientID, details)
		s.showError(w, r, fl, via, http.StatusForbidden, "login.account_disabled")
		return
	case errors.Is(err, certauth.ErrIdentityConflict):
		s.env.Record(r, audit.LoginCertificateConflict, "", fl.ClientID, details)
		s.showError(w, r, fl, via, http.StatusForbidden, "error.certificate.identity_conflict")
		return
	case err != nil:
		s.env.Unavailable(w, r, err)
		return
	case !ok:
		holder, err := s.createHolder(w, r, v, details)
		if err != nil {
			s.env.Unavailable(w, r, err)
			return
		}
		if holder == nil {
			s.unknown(w, r, fl, v, via, details)
			return
		}
		match.Account, match.By = holder, certauth.MatchPersonalID
	}
	acct, err := s.proveMatched(ctx, match.Account, v, details)
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	capacity := capacityOf(acct, v, match)
	details["matched_by"] = string(match.By)
	if match.Business != nil && acct.PersonalIDVerified() {
		rep, err := certauth.LinkBusiness(ctx, s.env.Store, acct.ID, v)
		if err != nil {
			s.env.Unavailable(w, r, err)
			return
		}
		details["tax_code"] = string(rep.TaxCode)
		if capacity == identity.CapacityCitizen {
			// The login is as the business's representative.
			fl.BusinessDone, fl.TaxCode = true, string(rep.TaxCode)
		}
	}
	acr, amr := v.Assurance()
	if s.clientGone(r) {
		return
	}
	if err := s.env.StartSession(w, r, fl, acct, capacity, acr, amr, "certificate"); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	details["sid"], details["capacity"] = fl.SID, string(capacity)
	s.env.Record(r, audit.LoginCertificate, acct.ID, fl.ClientID, details)
	if via != viaSignature {
		s.backToIssuer(w, r, fl)
		return
	}
	s.env.Next.Resume(w, r, fl)
}

// clientGone reports whether the request's context has ended (the client
// went away, or the server is shutting down), logging it: no session is
// then started for an answer nobody can read.
func (s *Step) clientGone(r *http.Request) bool {
	err := r.Context().Err()
	if err == nil {
		return false
	}
	s.env.Log.Info("certificate login abandoned: the request ended", "err", err, "request_id", web.RequestID(r))
	return true
}

// backToIssuer saves the flow of a mutual-TLS login and sends the browser
// from the mutual-TLS listener back to the main one, which resumes it.
func (s *Step) backToIssuer(w http.ResponseWriter, r *http.Request, fl *flow.Flow) {
	if err := s.env.Flows.Save(r.Context(), fl); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	web.Redirect(w, r, s.cfg.Issuer+"/login/certificate/resume?flow="+url.QueryEscape(fl.ID))
}

// capacityOf is the capacity of a certificate login: the citizen's, unless
// the account is an official's and has no personal ID, or the certificate
// is an official's (found by the official's address, or issued by an
// authority that certifies officials' addresses). An account without an
// official record is never an official's (a citizen whose asserted
// personal ID was taken by its prover holds neither). A certificate naming
// a business is always the citizen's.
func capacityOf(acct *identity.Account, v *certauth.Verified, m certauth.Match) identity.Capacity {
	switch {
	case acct.PersonalID == "" && acct.Official != nil:
		return identity.CapacityOfficial
	case acct.Official == nil || m.Business != nil:
		return identity.CapacityCitizen
	case m.By == certauth.MatchEmail || v.MapEmail:
		return identity.CapacityOfficial
	}
	return identity.CapacityCitizen
}
