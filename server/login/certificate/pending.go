package certificate

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/dinhdanh/dinhdanh/server/audit"
	certauth "github.com/dinhdanh/dinhdanh/server/authn/certificate"
	"github.com/dinhdanh/dinhdanh/server/login/flow"
	"github.com/dinhdanh/dinhdanh/server/web"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/ui"
)

// pendingCookie names the browser's pending certificate.
const pendingCookie = "dinhdanh_cert_pending"

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
	return ui.CertificateSummary{Subject: certauth.SubjectText(c), Issuer: certauth.IssuerText(c),
		Serial: certauth.SerialKey(c), NotAfter: c.NotAfter}
}

// unknown remembers a certificate that maps to nobody and tells the person
// how to bind it. Nothing is created.
func (s *Step) unknown(w http.ResponseWriter, r *http.Request, fl *flow.Flow, v *certauth.Verified, via string, details map[string]string) {
	ctx := r.Context()
	lifetime := s.cfg.pendingLifetime()
	data, err := json.Marshal(pendingCertificate{Flow: fl.ID, Fingerprint: v.Fingerprint, Certificate: v.Certificate.Raw})
	if err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	token := web.RandomToken(18)
	if err := s.env.Eph.PutRecord(ctx, store.KindPendingCertificate, &store.Record{Key: token, RequestID: fl.ID, Data: data,
		ExpiresAt: s.env.Now().Add(lifetime)}); err != nil {
		s.env.Unavailable(w, r, err)
		return
	}
	s.env.Kit.SetCookie(w, pendingCookie, token, int(lifetime/time.Second))
	s.env.Record(r, audit.LoginCertificateUnknown, "", fl.ClientID, details)
	loginURL := "/login?flow=" + url.QueryEscape(fl.ID)
	if via != viaSignature {
		loginURL = s.cfg.Issuer + loginURL
	}
	s.env.Kit.Render(w, r, http.StatusOK, "certificate_unknown", &ui.CertificateUnknownPage{Base: s.env.Kit.Base(w, r),
		ClientName: fl.ClientName, Certificate: summaryOf(v.Certificate), LoginURL: loginURL, Minutes: int(lifetime / time.Minute)})
}

// pendingFor returns the certificate this browser left pending in the flow,
// and the token of its record.
func (s *Step) pendingFor(r *http.Request, fl *flow.Flow) (*pendingCertificate, string, error) {
	c, err := r.Cookie(pendingCookie)
	if err != nil || c.Value == "" || len(c.Value) > 64 {
		return nil, "", nil
	}
	rec, err := s.env.Eph.GetRecord(r.Context(), store.KindPendingCertificate, c.Value)
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

// HasPending reports whether the browser left a certificate pending in the
// flow; a read that fails counts as none (the binding is an offer). It is
// false when certificate login is off.
func (s *Step) HasPending(r *http.Request, fl *flow.Flow) bool {
	if s == nil {
		return false
	}
	p, _, err := s.pendingFor(r, fl)
	if err != nil {
		s.env.Log.Warn("reading a pending certificate", "err", err, "request_id", web.RequestID(r))
	}
	return p != nil
}

// dropPending forgets the browser's pending certificate.
func (s *Step) dropPending(w http.ResponseWriter, r *http.Request, token string) {
	if token != "" {
		if err := s.env.Eph.DeleteRecord(r.Context(), store.KindPendingCertificate, token); err != nil {
			s.env.Log.Warn("forgetting a pending certificate", "err", err)
		}
	}
	s.env.Kit.SetCookie(w, pendingCookie, "", -1)
}
