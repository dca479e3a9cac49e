package certificate

import (
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"

	"github.com/dinhdanh/dinhdanh/server/audit"
	certauth "github.com/dinhdanh/dinhdanh/server/authn/certificate"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/ui"
)

// resumeAfterMutualTLS continues a flow after a mutual-TLS login, back on
// the main listener: the flow's login must be this browser's session.
func (s *Step) resumeAfterMutualTLS(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := web.ParseForm(r); err != nil {
		s.env.Kit.FormError(w, r, err)
		return
	}
	fl, err := s.env.Flows.Get(ctx, r.URL.Query().Get("flow"))
	if err != nil {
		s.env.FlowError(w, r, err)
		return
	}
	sso, err := s.env.Sessions.Get(ctx, r)
	if err != nil && !errors.Is(err, session.ErrNoSession) {
		s.env.Unavailable(w, r, err)
		return
	}
	if !fl.LoginDone || sso == nil || sso.ID != fl.SID || sso.AccountID != fl.AccountID {
		s.env.Kit.ErrorWith(w, r, http.StatusBadRequest, "bad_request", "flow_expired")
		return
	}
	s.env.Next.Resume(w, r, fl)
}

// clientCertificates reads the client certificate of the request; a
// forwarded one that does not parse is refused here.
func (s *Step) clientCertificates(w http.ResponseWriter, r *http.Request, reader *certauth.ClientCertificates, fl *flow.Flow) ([]*x509.Certificate, bool) {
	certs, err := reader.FromRequest(r)
	if err != nil {
		s.env.Log.Info("forwarded client certificate", "err", err, "request_id", web.RequestID(r))
		s.env.Record(r, audit.LoginCertificateRefused, "", fl.ClientID, map[string]string{"method": "certificate",
			"via": viaProxy, "reason": "certificate.forwarded_malformed"})
		s.renderMutualTLS(w, r, http.StatusBadRequest, fl, nil, "error.certificate.forwarded_malformed")
		return nil, false
	}
	return certs, true
}

// showMutualTLS shows the certificate the browser presented and the form
// that logs in with it.
func (s *Step) showMutualTLS(w http.ResponseWriter, r *http.Request, reader *certauth.ClientCertificates) {
	if err := web.ParseForm(r); err != nil {
		s.env.Kit.FormError(w, r, err)
		return
	}
	fl, err := s.certificateFlow(r, r.URL.Query().Get("flow"))
	if err != nil {
		s.env.FlowError(w, r, err)
		return
	}
	certs, ok := s.clientCertificates(w, r, reader, fl)
	if !ok {
		return
	}
	var summary *ui.CertificateSummary
	if len(certs) > 0 {
		sum := summaryOf(certs[0])
		summary = &sum
	}
	s.renderMutualTLS(w, r, http.StatusOK, fl, summary, "")
}

func (s *Step) renderMutualTLS(w http.ResponseWriter, r *http.Request, status int, fl *flow.Flow, c *ui.CertificateSummary, errKey string, args ...any) {
	base := s.env.Kit.Base(w, r)
	base.ErrorKey, base.ErrorArgs = errKey, args
	s.env.Kit.Render(w, r, status, "certificate_mtls", &ui.CertificateMTLSPage{Base: base, FlowID: fl.ID, ClientName: fl.ClientName,
		Certificate: c, Action: "/login/certificate/mtls",
		LoginURL: s.cfg.Issuer + "/login?flow=" + url.QueryEscape(fl.ID)})
}

// postMutualTLS logs in with the certificate the browser presented (via
// tells how it came).
func (s *Step) postMutualTLS(w http.ResponseWriter, r *http.Request, reader *certauth.ClientCertificates, via string) {
	ctx := r.Context()
	if !s.env.Kit.ParsePost(w, r) {
		return
	}
	fl, err := s.certificateFlow(r, r.PostForm.Get("flow"))
	if err != nil {
		s.env.FlowError(w, r, err)
		return
	}
	certs, ok := s.clientCertificates(w, r, reader, fl)
	if !ok {
		return
	}
	if len(certs) == 0 {
		s.env.Record(r, audit.LoginCertificateRefused, "", fl.ClientID, map[string]string{"method": "certificate", "via": via,
			"reason": "certificate.no_client_certificate"})
		s.renderMutualTLS(w, r, http.StatusUnauthorized, fl, nil, "error.certificate.no_client_certificate")
		return
	}
	v, refusal, err := s.cfg.Verifier.VerifyCertificate(ctx, certs)
	if s.clientGone(r) {
		return
	}
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	if refusal != nil {
		s.refused(w, r, fl, refusal, via)
		return
	}
	s.login(w, r, fl, v, via)
}
