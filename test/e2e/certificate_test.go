package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/test/harness"
	"github.com/dinhdanh/dinhdanh/test/pki"
	"github.com/dinhdanh/dinhdanh/ui"
)

// People of the certificate tests; their personal IDs are those the test
// PKI writes in the certificates' subjects.
var (
	certAn = harness.Official{Username: "an.nv", Name: "Nguyễn Văn An", Agency: "Sở Thông tin và Truyền thông",
		PersonalID: pki.OfficialPersonalID, Email: pki.OfficialEmail, Password: "Huế-mộng-mơ-1989-an"}
	certCuc = harness.Citizen{PersonalID: pki.CitizenPersonalID, Name: "Lê Thị Cúc", Birthdate: "1990-05-12",
		Gender: "female", Email: "cuc.le@example.vn", Password: "Sông-Hương-núi-Ngự-1990"}
)

// oidUID is the userid attribute where Vietnamese CAs write "CCCD:…" and "MST:…".
var oidUID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}

// certOptions shape a server that trusts the test PKI.
type certOptions struct {
	// revocation is the YAML of certificates.revocation ("" keeps the defaults).
	revocation string
	// mutualTLS adds the mutual-TLS listener and the proxy header
	// X-SSL-Client-Cert, trusted from 127.0.0.2.
	mutualTLS bool
	// proxiesAtTop trusts 127.0.0.2 through the top-level trusted_proxies
	// instead of certificates.mutual_tls.trusted_proxies.
	proxiesAtTop bool
	// vgcaEndpoint is certificates.signing.vgca_endpoint ("" keeps the default).
	vgcaEndpoint string
}

// certServer is a dinhdanh server that trusts the test PKI's government
// chain (bcy-g2, whose certificates may find officials by e-mail) and its
// public chain (neac).
type certServer struct {
	*harness.Server
	pki *pki.PKI
	// mtls is the base URL of the mutual-TLS listener ("" without one) and
	// mtlsRoots the roots that trust its certificate.
	mtls      string
	mtlsRoots *x509.CertPool
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// startCertServer writes the trust anchors and the configuration file and
// starts the server.
func startCertServer(t *testing.T, p *pki.PKI, o certOptions, opts ...harness.Option) *certServer {
	t.Helper()
	dir := t.TempDir()
	pemFile := func(name string, c *x509.Certificate) string {
		return writeFile(t, filepath.Join(dir, name), pki.CertPEM(c))
	}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, `certificates:
  trust_anchors:
    - name: bcy-g2
      file: %q
      intermediates_file: %q
      map_email: true
    - name: neac
      file: %q
      intermediates_file: %q
`, pemFile("gov-root.pem", p.GovRoot.Cert), pemFile("gov-sub.pem", p.GovSub.Cert),
		pemFile("public-root.pem", p.PublicRoot.Cert), pemFile("public-sub.pem", p.PublicSub.Cert))
	if o.revocation != "" {
		fmt.Fprintf(&cfg, "  revocation:\n%s", o.revocation)
	}
	cs := &certServer{pki: p}
	if o.mutualTLS {
		certFile, keyFile, roots := serverCertificate(t, dir)
		port := freeLoopbackPort(t)
		fmt.Fprintf(&cfg, `  mutual_tls:
    listen: 127.0.0.1:%d
    cert_file: %q
    key_file: %q
    header: X-SSL-Client-Cert
`, port, certFile, keyFile)
		if !o.proxiesAtTop {
			cfg.WriteString("    trusted_proxies: [127.0.0.2]\n")
		}
		cs.mtls, cs.mtlsRoots = "https://127.0.0.1:"+strconv.Itoa(port), roots
	}
	if o.vgcaEndpoint != "" {
		fmt.Fprintf(&cfg, "  signing:\n    vgca_endpoint: %q\n", o.vgcaEndpoint)
	}
	if o.proxiesAtTop {
		cfg.WriteString("trusted_proxies: [127.0.0.2]\n")
	}
	file := writeFile(t, filepath.Join(dir, "dinhdanh.yaml"), []byte(cfg.String()))
	cs.Server = harness.Start(t, append(opts, harness.WithConfigFile(file))...)
	return cs
}

// serverCertificate makes the TLS certificate of the mutual-TLS listener,
// for 127.0.0.1, and returns its files and a pool that trusts it.
func serverCertificate(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return writeFile(t, filepath.Join(dir, "tls.pem"), pki.CertPEM(cert)),
		writeFile(t, filepath.Join(dir, "tls.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})), roots
}

// freeLoopbackPort returns a loopback port that was free a moment ago.
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// signer makes the fields a signing adapter posts, over a challenge.
type signer func(challenge string) url.Values

// cmsSigner signs as CMS SignedData (the challenge attached unless o says otherwise).
func cmsSigner(l *pki.Leaf, o pki.CMSOptions) signer {
	return func(ch string) url.Values {
		return url.Values{"format": {"cms"}, "signature": {base64.StdEncoding.EncodeToString(l.SignCMS([]byte(ch), o))}}
	}
}

// rawSigner signs with a bare signature and sends the leaf's chain.
func rawSigner(l *pki.Leaf, alg string) signer {
	return func(ch string) url.Values {
		v := url.Values{"format": {"raw"}, "algorithm": {alg},
			"signature": {base64.StdEncoding.EncodeToString(l.SignRaw([]byte(ch), alg))}}
		for _, der := range l.ChainDER() {
			v.Add("certificate", base64.StdEncoding.EncodeToString(der))
		}
		return v
	}
}

// signingForm returns the signing form of a page that posts to action, and
// the URL its script asks challenges of.
func signingForm(t *testing.T, page *harness.Page, action string) (*harness.Form, string) {
	t.Helper()
	f := page.Form(t, action)
	for _, el := range page.ByTag("form") {
		if _, ok := el.Attrs["data-certificate-signing"]; ok && el.Attrs["action"] == action {
			if el.Attrs["data-challenge-url"] == "" {
				t.Fatalf("the signing form of %s names no challenge URL", page.URL.Path)
			}
			return f, el.Attrs["data-challenge-url"]
		}
	}
	t.Fatalf("the page %s has no signing form posting to %s:\n%s", page.URL.Path, action, page.Body)
	return nil, ""
}

// challenge asks for a challenge as the page's script does.
func challenge(t *testing.T, b *harness.Browser, challengeURL string, form url.Values) string {
	t.Helper()
	vals := url.Values{"csrf_token": {form.Get("csrf_token")}}
	if flow := form.Get("flow"); flow != "" {
		vals.Set("flow", flow)
	}
	resp := b.Send(t, http.MethodPost, challengeURL, vals)
	page := resp.MustPage(t, http.StatusOK, strings.SplitN(challengeURL, "?", 2)[0])
	var ch struct {
		Challenge string `json:"challenge"`
		SHA256    string `json:"sha256"`
		ExpiresAt string `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(page.Body), &ch); err != nil || ch.Challenge == "" || ch.SHA256 == "" {
		t.Fatalf("the challenge endpoint answered %q (%v)", page.Body, err)
	}
	if exp, err := time.Parse(time.RFC3339, ch.ExpiresAt); err != nil || time.Until(exp) > 2*time.Minute+5*time.Second {
		t.Fatalf("the challenge expires at %q", ch.ExpiresAt)
	}
	return ch.Challenge
}

// sign has the page's signing form signed by sign and posts it, as the
// page's script does; it returns the navigation and the challenge signed.
func sign(t *testing.T, b *harness.Browser, page *harness.Page, action string, sign signer) (*harness.Response, url.Values) {
	t.Helper()
	f, challengeURL := signingForm(t, page, action)
	vals, err := f.Values(nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range sign(challenge(t, b, challengeURL, vals)) {
		vals[k] = v
	}
	return b.Send(t, http.MethodPost, f.Action, vals), vals
}

// certificateLogin signs on the login page the navigation ended on.
func certificateLogin(t *testing.T, b *harness.Browser, resp *harness.Response, s signer) *harness.Response {
	t.Helper()
	r, _ := sign(t, b, resp.MustPage(t, http.StatusOK, "/login"), "/login/certificate", s)
	return r
}

// pageError returns the text of a page's error summary.
func pageError(page *harness.Page) string {
	for _, el := range page.ByClass("error-summary") {
		return el.Text
	}
	return ""
}

// wantRefused checks that the navigation ended on a page at path with the
// status, showing the message key in the page's language.
func wantRefused(t *testing.T, resp *harness.Response, status int, path, key string) *harness.Page {
	t.Helper()
	page := resp.MustPage(t, status, path)
	if want := ui.T(page.Lang(), key); !strings.Contains(pageError(page), want) {
		t.Fatalf("the page %s says %q, want %q", path, pageError(page), want)
	}
	return page
}

// audited returns the latest audit event of the type whose details hold want.
func audited(t *testing.T, srv *harness.Server, typ string, want map[string]string) *store.AuditEvent {
	t.Helper()
	events := srv.Audit(t, "", 200)
	for _, e := range events {
		if e.Type != typ {
			continue
		}
		ok := true
		for k, v := range want {
			ok = ok && e.Details[k] == v
		}
		if ok {
			return e
		}
	}
	var seen []string
	for _, e := range events {
		seen = append(seen, fmt.Sprintf("%s %v", e.Type, e.Details))
	}
	t.Fatalf("no audit event %s with %v among:\n%s", typ, want, strings.Join(seen, "\n"))
	return nil
}

// wantCertificateLogin checks the ID token of a certificate login.
func wantCertificateLogin(t *testing.T, toks *tokens, sub string) {
	t.Helper()
	wantClaims(t, "ID token", toks.Claims, map[string]any{"sub": sub, "acr": "LoA3"})
	var amr []string
	list, _ := toks.Claims["amr"].([]any)
	for _, m := range list {
		s, _ := m.(string)
		amr = append(amr, s)
	}
	for _, m := range []string{"sc", "hwk"} {
		if !slices.Contains(amr, m) {
			t.Errorf("amr %v lacks %s", amr, m)
		}
	}
}

// wantSubjectAudited checks that a certificate's subject, issuer and serial
// were audited with the event.
func wantSubjectAudited(t *testing.T, e *store.AuditEvent, c *x509.Certificate) {
	t.Helper()
	want := map[string]string{"certificate_subject": c.Subject.String(), "certificate_issuer": c.Issuer.String(),
		"certificate_serial": strings.ToLower(c.SerialNumber.Text(16))}
	for k, v := range want {
		if e.Details[k] != v {
			t.Errorf("audit %s: %s = %q, want %q", e.Type, k, e.Details[k], v)
		}
	}
}

func TestCertificateLogin(t *testing.T) {
	t.Parallel()
	p := pki.New(t)
	srv := startCertServer(t, p, certOptions{})
	anSub, _ := srv.CreateOfficial(t, certAn)
	cucSub := srv.CreateCitizen(t, certCuc)
	rp := newRP(t, srv.Server, srv.CreateClient(t, portal("openid", "profile", "business")))

	t.Run("personal ID in the subject (CCCD), CMS", func(t *testing.T) {
		b := srv.NewBrowser(t)
		ar, resp := rp.authorize(t, b, openidProfile)
		page := resp.MustPage(t, http.StatusOK, "/login")
		if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' wss://127.0.0.1:8987;") {
			t.Errorf("the login page's policy does not let its script reach the signing software: %q", csp)
		}
		toks := rp.exchange(t, ar, rp.code(t, ar, certificateLogin(t, b, resp, cmsSigner(p.Official, pki.CMSOptions{}))))
		wantCertificateLogin(t, toks, anSub)
		wantClaims(t, "ID token", toks.Claims, map[string]any{"account_kind": "official"})
		e := audited(t, srv.Server, "login.certificate", map[string]string{"matched_by": "personal_id", "via": "signature"})
		wantSubjectAudited(t, e, p.Official.Cert)
		if e.Subject != anSub || e.Details["certificate_anchor"] != "bcy-g2" {
			t.Errorf("audit %+v", e)
		}
		// The session serves the next application without a page.
		_, resp = rp.authorize(t, b, openidProfile)
		singleRedirect(t, resp, rp.client.RedirectURI())
	})

	t.Run("twelve-digit CMND, bare ECDSA signature", func(t *testing.T) {
		b := srv.NewBrowser(t)
		ar, resp := rp.authorize(t, b, openidProfile)
		toks := rp.exchange(t, ar, rp.code(t, ar, certificateLogin(t, b, resp, rawSigner(p.Citizen, "ES256"))))
		wantCertificateLogin(t, toks, cucSub)
		wantClaims(t, "ID token", toks.Claims, map[string]any{"account_kind": "citizen"})
	})

	t.Run("business representative (MST)", func(t *testing.T) {
		director := p.Issue(p.PublicSub, "director", pki.LeafSpec{Subject: pkix.Name{Country: []string{"VN"},
			Organization: []string{pki.BusinessName}, CommonName: certCuc.Name, ExtraNames: []pkix.AttributeTypeAndValue{
				{Type: oidUID, Value: "CCCD:" + certCuc.PersonalID}, {Type: oidUID, Value: "MST:" + pki.BusinessTaxCode}}}})
		b := srv.NewBrowser(t)
		ar, resp := rp.authorize(t, b, []string{"openid", "profile", "business"})
		// No business page: the login is as the business's representative.
		resp = certificateLogin(t, b, resp, cmsSigner(director, pki.CMSOptions{Detached: true}))
		toks := rp.exchange(t, ar, rp.code(t, ar, resp))
		wantCertificateLogin(t, toks, cucSub)
		business := map[string]any{"tax_code": pki.BusinessTaxCode, "name": pki.BusinessName, "role": "authorised_staff"}
		wantClaims(t, "ID token", toks.Claims, map[string]any{"tax_code": pki.BusinessTaxCode, "business": business})
		_, claims := rp.userinfo(t, toks.AccessToken)
		wantClaims(t, "userinfo", claims, map[string]any{"tax_code": pki.BusinessTaxCode})
		audited(t, srv.Server, "login.certificate", map[string]string{"tax_code": pki.BusinessTaxCode})
		// The link stays: a password login may choose the business.
		b = srv.NewBrowser(t)
		ar, resp = rp.authorize(t, b, []string{"openid", "profile", "business"})
		form := login(t, b, resp, certCuc.PersonalID, certCuc.Password).MustPage(t, http.StatusOK, "/login/business").Form(t, "/login/business")
		if !slices.Contains(form.Options("tax_code"), pki.BusinessTaxCode) {
			t.Fatalf("the business page offers %q", form.Options("tax_code"))
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			leaf   *pki.Leaf
			status int
			reason string
		}{
			{"expired", p.Expired, http.StatusUnauthorized, "certificate.expired"},
			{"not yet valid", p.NotYetValid, http.StatusUnauthorized, "certificate.not_yet_valid"},
			{"wrong key usage", p.WrongKeyUsage, http.StatusUnauthorized, "certificate.key_usage"},
			{"revoked by CRL", p.RevokedCRL, http.StatusUnauthorized, "certificate.revoked"},
			{"revoked by OCSP", p.RevokedOCSP, http.StatusUnauthorized, "certificate.revoked"},
			{"untrusted chain", p.Untrusted, http.StatusUnauthorized, "certificate.untrusted"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				b := srv.NewBrowser(t)
				_, resp := rp.authorize(t, b, openidProfile)
				page := wantRefused(t, certificateLogin(t, b, resp, cmsSigner(tt.leaf, pki.CMSOptions{})), tt.status,
					"/login/certificate", "error."+tt.reason)
				// The login page is back, in the person's language.
				page.Form(t, "/login")
				signingForm(t, page, "/login/certificate")
				e := audited(t, srv.Server, "login.certificate_refused", map[string]string{"reason": tt.reason,
					"certificate_serial": strings.ToLower(tt.leaf.Cert.SerialNumber.Text(16))})
				wantSubjectAudited(t, e, tt.leaf.Cert)
				if b.Cookie("dinhdanh_session") != "" {
					t.Error("a refused certificate started a session")
				}
			})
		}
		// In English, for a person who reads English.
		b := srv.NewBrowser(t)
		b.AcceptLanguage = "en"
		_, resp := rp.authorize(t, b, openidProfile)
		page := wantRefused(t, certificateLogin(t, b, resp, rawSigner(p.Expired, "RS256")), http.StatusUnauthorized,
			"/login/certificate", "error.certificate.expired")
		if page.Lang() != "en" || !strings.Contains(pageError(page), "The certificate has expired.") {
			t.Errorf("the refusal in English: lang %q, %q", page.Lang(), pageError(page))
		}
		// The process log names the refused certificates without their
		// subjects: the personal IDs of the revoked ones are not in it.
		log := srv.Log()
		if !strings.Contains(log, "certificate refused") {
			t.Fatalf("no refusal in the process log:\n%s", log)
		}
		for _, id := range []string{"001085000111", "001185000222"} {
			if strings.Contains(log, id) {
				t.Errorf("the process log shows the personal ID %s of a refused certificate", id)
			}
		}
	})

	t.Run("replayed challenge", func(t *testing.T) {
		b := srv.NewBrowser(t)
		ar, resp := rp.authorize(t, b, openidProfile)
		page := resp.MustPage(t, http.StatusOK, "/login")
		f, challengeURL := signingForm(t, page, "/login/certificate")
		vals, _ := f.Values(nil)
		ch := challenge(t, b, challengeURL, vals)
		// A first attempt that fails uses the challenge up...
		first := url.Values{}
		for k, v := range vals {
			first[k] = v
		}
		for k, v := range cmsSigner(p.Expired, pki.CMSOptions{})(ch) {
			first[k] = v
		}
		wantRefused(t, b.Send(t, http.MethodPost, f.Action, first), http.StatusUnauthorized, "/login/certificate", "error.certificate.expired")
		// ...so the right signature over it is a replay.
		good := url.Values{}
		for k, v := range vals {
			good[k] = v
		}
		for k, v := range cmsSigner(p.Official, pki.CMSOptions{})(ch) {
			good[k] = v
		}
		wantRefused(t, b.Send(t, http.MethodPost, f.Action, good), http.StatusUnauthorized, "/login/certificate",
			"error.certificate.challenge_unknown")
		audited(t, srv.Server, "login.certificate_refused", map[string]string{"reason": "certificate.challenge_unknown"})
		// A new challenge logs in; replaying that form afterwards is refused:
		// its CSRF token is of before the login, which renewed it.
		resp, posted := sign(t, b, page, "/login/certificate", cmsSigner(p.Official, pki.CMSOptions{}))
		rp.code(t, ar, resp)
		if replay := b.Send(t, http.MethodPost, f.Action, posted).MustPage(t, http.StatusForbidden, "/login/certificate"); !strings.Contains(replay.Body, ui.T("vi", "error.csrf")) {
			t.Errorf("the replayed form after the login:\n%s", replay.Body)
		}
		// Replayed into another flow, whose challenge is another value.
		other := srv.NewBrowser(t)
		_, resp = rp.authorize(t, other, openidProfile)
		f2, url2 := signingForm(t, resp.MustPage(t, http.StatusOK, "/login"), "/login/certificate")
		vals2, _ := f2.Values(nil)
		challenge(t, other, url2, vals2)
		posted.Set("flow", vals2.Get("flow"))
		posted.Set("csrf_token", vals2.Get("csrf_token"))
		wantRefused(t, other.Send(t, http.MethodPost, f2.Action, posted), http.StatusUnauthorized, "/login/certificate",
			"error.certificate.challenge_mismatch")
	})

	t.Run("signature over another value", func(t *testing.T) {
		other := []byte("dinhdanh:login:another-value-the-person-never-saw")
		for _, tt := range []struct {
			name   string
			sign   signer
			reason string
		}{
			{"detached CMS", cmsSigner(p.Official, pki.CMSOptions{Detached: true, SignedContent: other}), "certificate.signature_invalid"},
			{"CMS carrying the challenge", cmsSigner(p.Official, pki.CMSOptions{SignedContent: other}), "certificate.signature_invalid"},
			{"CMS carrying another value", func(string) url.Values { return cmsSigner(p.Official, pki.CMSOptions{})(string(other)) },
				"certificate.challenge_mismatch"},
			{"bare signature", func(string) url.Values { return rawSigner(p.Official, "RS256")(string(other)) }, "certificate.signature_invalid"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				b := srv.NewBrowser(t)
				_, resp := rp.authorize(t, b, openidProfile)
				wantRefused(t, certificateLogin(t, b, resp, tt.sign), http.StatusUnauthorized, "/login/certificate", "error."+tt.reason)
				audited(t, srv.Server, "login.certificate_refused", map[string]string{"reason": tt.reason})
			})
		}
	})

	t.Run("certificate swapped after signing", func(t *testing.T) {
		for _, tt := range []struct {
			name string
			sign signer
		}{
			{"CMS", cmsSigner(p.Official, pki.CMSOptions{Signer: p.OfficialNoID.Cert, Certificates: p.OfficialNoID.Chain()})},
			{"bare signature", func(ch string) url.Values {
				v := rawSigner(p.Official, "RS256")(ch)
				v["certificate"] = nil
				for _, der := range p.OfficialNoID.ChainDER() {
					v.Add("certificate", base64.StdEncoding.EncodeToString(der))
				}
				return v
			}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				b := srv.NewBrowser(t)
				_, resp := rp.authorize(t, b, openidProfile)
				wantRefused(t, certificateLogin(t, b, resp, tt.sign), http.StatusUnauthorized, "/login/certificate",
					"error.certificate.signature_invalid")
			})
		}
	})

	t.Run("bad input", func(t *testing.T) {
		b := srv.NewBrowser(t)
		_, resp := rp.authorize(t, b, openidProfile)
		page := resp.MustPage(t, http.StatusOK, "/login")
		f, challengeURL := signingForm(t, page, "/login/certificate")
		vals, _ := f.Values(nil)
		with := func(extra url.Values) url.Values {
			v := url.Values{}
			for k, x := range vals {
				v[k] = x
			}
			for k, x := range extra {
				v[k] = x
			}
			return v
		}
		// A signature of several kilobytes is fine; one over the limit is not.
		challenge(t, b, challengeURL, vals)
		wantRefused(t, b.Send(t, http.MethodPost, f.Action, with(url.Values{"format": {"cms"},
			"signature": {strings.Repeat("A", 40<<10)}})), http.StatusBadRequest, "/login/certificate", "error.certificate.malformed")
		b.Send(t, http.MethodPost, f.Action, with(url.Values{"format": {"cms"}, "signature": {strings.Repeat("A", 49<<10)}})).
			MustPage(t, http.StatusBadRequest, "/login/certificate")
		cert := base64.StdEncoding.EncodeToString(p.Official.Cert.Raw)
		b.Send(t, http.MethodPost, f.Action, with(url.Values{"format": {"raw"}, "algorithm": {"RS256"}, "signature": {"AAAA"},
			"certificate": slices.Repeat([]string{cert[:100]}, 11)})).MustPage(t, http.StatusBadRequest, "/login/certificate")
		// The whole body stays within the global limit.
		b.Send(t, http.MethodPost, f.Action, with(url.Values{"format": {"cms"}, "signature": {strings.Repeat("A", 45<<10)},
			"certificate": slices.Repeat([]string{strings.Repeat("B", 10<<10)}, 3)})).MustPage(t, http.StatusRequestEntityTooLarge, "/login/certificate")
		// Without the CSRF token, nothing happens.
		noCSRF := with(nil)
		noCSRF.Del("csrf_token")
		b.Send(t, http.MethodPost, f.Action, noCSRF).MustPage(t, http.StatusForbidden, "/login/certificate")
		if r := b.Send(t, http.MethodPost, challengeURL, url.Values{"flow": {vals.Get("flow")}}); r.Page == nil || r.Page.Status != http.StatusForbidden {
			t.Errorf("a challenge without the CSRF token:%s", r)
		}
		if r := b.Send(t, http.MethodPost, challengeURL, url.Values{"csrf_token": {vals.Get("csrf_token")}, "flow": {"no-such-flow"}}); r.Page == nil || r.Page.Status != http.StatusGone {
			t.Errorf("a challenge for an unknown flow:%s", r)
		}
		// The token may come in the X-CSRF-Token header, the flow in the query.
		b.Header = http.Header{"X-Csrf-Token": {vals.Get("csrf_token")}}
		page = b.Send(t, http.MethodPost, challengeURL+"?flow="+url.QueryEscape(vals.Get("flow")), url.Values{}).
			MustPage(t, http.StatusOK, challengeURL)
		b.Header = nil
		if !strings.Contains(page.Body, `"challenge":"dinhdanh:login:`) {
			t.Errorf("a challenge asked with the header: %s", page.Body)
		}
	})
}

// TestCertificateOfUnknownPerson: a valid certificate that maps to no
// account creates none. A login below LoA2 is not offered to bind it (a
// certificate makes later logins LoA3); a login with both factors is, and
// binds it when it is issued to the account's name; the next certificate
// login finds the person by the binding.
func TestCertificateOfUnknownPerson(t *testing.T) {
	t.Parallel()
	p := pki.New(t)
	srv := startCertServer(t, p, certOptions{})
	datSub := srv.CreateCitizen(t, dat)
	srv.CreateCitizen(t, hang)
	rp := newRP(t, srv.Server, srv.CreateClient(t, portal("openid", "profile")))
	accounts := func() string { return srv.CLI(t, "", "account", "list", "--json") }
	_, codes := setUpApp(t, srv.Server, dat.PersonalID, dat.Password)
	before := accounts()

	b := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b, openidProfile)
	page := certificateLogin(t, b, resp, cmsSigner(p.OfficialNoID, pki.CMSOptions{})).MustPage(t, http.StatusOK, "/login/certificate")
	if !strings.Contains(page.Body, ui.T("vi", "certificate.unknown.title")) || !strings.Contains(page.Body, "Trần Thị Bình") {
		t.Fatalf("the page for an unknown certificate:\n%s", page.Body)
	}
	if got := accounts(); got != before {
		t.Fatalf("an account was created:\n%s\nwas\n%s", got, before)
	}
	if b.Cookie("dinhdanh_session") != "" {
		t.Fatal("an unknown certificate started a session")
	}
	e := audited(t, srv.Server, "login.certificate_unknown", nil)
	wantSubjectAudited(t, e, p.OfficialNoID.Cert)

	// A password alone (Hằng has no second factor): no offer, the flow goes
	// on to the application at LoA1.
	toks := rp.exchange(t, ar, rp.code(t, ar, login(t, b, b.Get(t, otherLogin(t, page)), hang.PersonalID, hang.Password)))
	wantClaims(t, "ID token of the password alone", toks.Claims, map[string]any{"acr": "LoA1"})
	audited(t, srv.Server, "certificate.binding_not_offered", map[string]string{"reason": "second_factor_required",
		"certificate_fingerprint": fingerprint(p.OfficialNoID)})

	// Đạt logs in with both factors after the certificate: the offer.
	b = srv.NewBrowser(t)
	_, resp = rp.authorize(t, b, openidProfile)
	page = certificateLogin(t, b, resp, cmsSigner(p.OfficialNoID, pki.CMSOptions{})).MustPage(t, http.StatusOK, "/login/certificate")
	offer := presentRecovery(t, b, login(t, b, b.Get(t, otherLogin(t, page)), dat.PersonalID, dat.Password), codes[0]).
		MustPage(t, http.StatusOK, "/login/resume")
	if !strings.Contains(offer.Body, ui.T("vi", "certificate.bind.title")) {
		t.Fatalf("no offer to bind the certificate after a login with both factors:\n%s", offer.Body)
	}
	if csp := offer.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "wss://127.0.0.1:8987") {
		t.Errorf("the offer's policy: %q", csp)
	}
	// Signed with another certificate: refused, the offer stays.
	resp, _ = sign(t, b, offer, "/login/certificate/bind", cmsSigner(p.Citizen, pki.CMSOptions{}))
	offer = wantRefused(t, resp, http.StatusBadRequest, "/login/certificate/bind", "error.certificate.not_offered")
	// Trần Thị Bình's certificate is not Nguyễn Hữu Đạt's: refused.
	resp, _ = sign(t, b, offer, "/login/certificate/bind", rawSigner(p.OfficialNoID, "PS256"))
	wantRefused(t, resp, http.StatusConflict, "/login/certificate/bind", "error.certificate.other_name")
	audited(t, srv.Server, "certificate.bind_refused", map[string]string{"reason": "certificate.other_name", "via": "login"})
	b2 := srv.NewBrowser(t)
	_, resp = rp.authorize(t, b2, openidProfile)
	certificateLogin(t, b2, resp, cmsSigner(p.OfficialNoID, pki.CMSOptions{})).MustPage(t, http.StatusOK, "/login/certificate")

	// A certificate issued to Đạt's name, without an ID number: bound, and
	// the flow goes on to the application.
	own := p.Issue(p.PublicSub, "dat-no-id", pki.LeafSpec{Subject: pkix.Name{Country: []string{"VN"}, CommonName: strings.ToUpper(dat.Name)}})
	b = srv.NewBrowser(t)
	ar, resp = rp.authorize(t, b, openidProfile)
	page = certificateLogin(t, b, resp, cmsSigner(own, pki.CMSOptions{})).MustPage(t, http.StatusOK, "/login/certificate")
	offer = presentRecovery(t, b, login(t, b, b.Get(t, otherLogin(t, page)), dat.PersonalID, dat.Password), codes[1]).
		MustPage(t, http.StatusOK, "/login/resume")
	resp, _ = sign(t, b, offer, "/login/certificate/bind", rawSigner(own, "ES256"))
	toks = rp.exchange(t, ar, rp.code(t, ar, resp))
	wantClaims(t, "ID token of the login with both factors", toks.Claims, map[string]any{"sub": datSub, "acr": "LoA2"})
	e = audited(t, srv.Server, "certificate.bind", map[string]string{"via": "login"})
	wantSubjectAudited(t, e, own.Cert)
	if e.Subject != datSub {
		t.Errorf("the binding was audited for %q", e.Subject)
	}

	// The next certificate login finds the person by the binding.
	b2 = srv.NewBrowser(t)
	ar, resp = rp.authorize(t, b2, openidProfile)
	toks = rp.exchange(t, ar, rp.code(t, ar, certificateLogin(t, b2, resp, cmsSigner(own, pki.CMSOptions{}))))
	wantCertificateLogin(t, toks, datSub)
	audited(t, srv.Server, "login.certificate", map[string]string{"matched_by": "binding"})

	// Declined: another unknown certificate of Đạt's name, "Not now".
	unknown := p.Issue(p.PublicSub, "unknown-person", pki.LeafSpec{Subject: pkix.Name{Country: []string{"VN"}, CommonName: dat.Name}})
	b3 := srv.NewBrowser(t)
	ar, resp = rp.authorize(t, b3, openidProfile)
	page = certificateLogin(t, b3, resp, cmsSigner(unknown, pki.CMSOptions{})).MustPage(t, http.StatusOK, "/login/certificate")
	offer = presentRecovery(t, b3, login(t, b3, b3.Get(t, otherLogin(t, page)), dat.PersonalID, dat.Password), codes[2]).
		MustPage(t, http.StatusOK, "/login/resume")
	rp.code(t, ar, b3.Submit(t, offer.Form(t, "/login/certificate/bind/skip"), nil))
	audited(t, srv.Server, "certificate.binding_declined", map[string]string{"certificate_subject": unknown.Cert.Subject.String()})
	b4 := srv.NewBrowser(t)
	_, resp = rp.authorize(t, b4, openidProfile)
	certificateLogin(t, b4, resp, cmsSigner(unknown, pki.CMSOptions{})).MustPage(t, http.StatusOK, "/login/certificate")
}

// setUpApp logs the person in to the account console with the password,
// sets up an authenticator app there and returns its secret and the
// recovery codes.
func setUpApp(t *testing.T, srv *harness.Server, identifier, password string) (secret string, codes []string) {
	t.Helper()
	b := srv.NewBrowser(t)
	login(t, b, b.Get(t, "/account"), identifier, password).MustPage(t, http.StatusOK, "/account")
	page, secret := readSetup(t, b.Get(t, "/account/security/totp"), http.StatusOK, "/account/security/totp")
	resp := b.Submit(t, page.Form(t, "/account/security/totp"), map[string]string{"code": totpCode(t, secret, freshStep(t))})
	codes, _ = recoveryCodes(t, resp.MustPage(t, http.StatusOK, "/account/security/codes"))
	return secret, codes
}

// csrfOf returns the CSRF token of the page's forms.
func csrfOf(t *testing.T, page *harness.Page) string {
	t.Helper()
	for _, f := range page.Forms() {
		if v := f.Value("csrf_token"); v != "" {
			return v
		}
	}
	t.Fatalf("the page %s has no CSRF token:\n%s", page.URL.Path, page.Body)
	return ""
}

// presentRecovery presents a recovery code on the second-factor page the
// navigation ended on and follows the page's link back to the flow.
func presentRecovery(t *testing.T, b *harness.Browser, resp *harness.Response, code string) *harness.Response {
	t.Helper()
	page := resp.MustPage(t, http.StatusOK, "/login/mfa")
	page = b.Get(t, "/login/mfa?flow="+page.Form(t, "/login/mfa").Value("flow")+"&method=recovery").MustPage(t, http.StatusOK, "/login/mfa")
	page = b.Submit(t, page.Form(t, "/login/mfa"), map[string]string{"code": code}).MustPage(t, http.StatusOK, "/login/mfa")
	return b.Get(t, linkTo(t, page, "/login/resume"))
}

// fingerprint is the SHA-256 fingerprint of the leaf's certificate, as the
// audit log writes it.
func fingerprint(l *pki.Leaf) string {
	sum := sha256.Sum256(l.Cert.Raw)
	return hex.EncodeToString(sum[:])
}

// otherLogin returns where the page about an unknown certificate leads to
// log in another way: the login page of the same flow.
func otherLogin(t *testing.T, page *harness.Page) string {
	t.Helper()
	for _, a := range page.ByTag("a") {
		if strings.HasPrefix(a.Attrs["href"], "/login?flow=") {
			return a.Attrs["href"]
		}
	}
	t.Fatalf("the page leads to no other login:\n%s", page.Body)
	return ""
}

// TestCertificateConsole: a person logged in with both factors binds a
// certificate that names only a business by signing with it, logs in with
// it as the business's representative, and unbinds it. (Binding needs LoA2:
// TestCertificateBindingNeedsSecondFactor.)
func TestCertificateConsole(t *testing.T) {
	t.Parallel()
	p := pki.New(t)
	srv := startCertServer(t, p, certOptions{})
	hangSub := srv.CreateCitizen(t, hang)
	rp := newRP(t, srv.Server, srv.CreateClient(t, portal("openid", "profile", "business")))
	_, codes := setUpApp(t, srv.Server, hang.PersonalID, hang.Password)

	b := srv.NewBrowser(t)
	resp := presentRecovery(t, b, login(t, b, b.Get(t, "/login"), hang.PersonalID, hang.Password), codes[0])
	account := resp.MustPage(t, http.StatusOK, "/account")
	if !strings.Contains(account.Body, `href="/account/certificates"`) {
		t.Fatalf("the console does not lead to the certificates:\n%s", account.Body)
	}
	page := b.Get(t, "/account/certificates").MustPage(t, http.StatusOK, "/account/certificates")
	if !strings.Contains(page.Body, ui.T("vi", "certificates.none")) {
		t.Errorf("a new account lists certificates")
	}
	resp, _ = sign(t, b, page, "/account/certificates/bind", cmsSigner(p.Business, pki.CMSOptions{}))
	page = resp.MustPage(t, http.StatusOK, "/account/certificates")
	if !strings.Contains(page.Body, ui.T("vi", "certificates.bound_done")) || !strings.Contains(page.Body, "MST:"+pki.BusinessTaxCode) {
		t.Fatalf("the bound certificate is not listed:\n%s", page.Body)
	}
	e := audited(t, srv.Server, "certificate.bind", map[string]string{"via": "console"})
	wantSubjectAudited(t, e, p.Business.Cert)
	// Binding it again says so; a certificate naming another person is
	// refused, whether that person has an account here or not.
	resp, _ = sign(t, b, page, "/account/certificates/bind", cmsSigner(p.Business, pki.CMSOptions{}))
	wantRefused(t, resp, http.StatusOK, "/account/certificates/bind", "error.certificate.already_bound")
	resp, _ = sign(t, b, page, "/account/certificates/bind", cmsSigner(p.Official, pki.CMSOptions{}))
	wantRefused(t, resp, http.StatusConflict, "/account/certificates/bind", "error.certificate.another_person")
	resp, _ = sign(t, b, page, "/account/certificates/bind", cmsSigner(p.RevokedOCSP, pki.CMSOptions{}))
	wantRefused(t, resp, http.StatusUnauthorized, "/account/certificates/bind", "error.certificate.revoked")
	// A certificate without an ID number, issued to another name: refused.
	resp, _ = sign(t, b, page, "/account/certificates/bind", cmsSigner(p.OfficialNoID, pki.CMSOptions{}))
	wantRefused(t, resp, http.StatusConflict, "/account/certificates/bind", "error.certificate.other_name")
	audited(t, srv.Server, "certificate.bind_refused", map[string]string{"reason": "certificate.other_name", "via": "console"})
	// Another person cannot bind a certificate bound to Hằng.
	srv.CreateOfficial(t, binh)
	_, binhCodes := setUpApp(t, srv.Server, binh.Username, binh.Password)
	other := srv.NewBrowser(t)
	presentRecovery(t, other, login(t, other, other.Get(t, "/login"), binh.Username, binh.Password), binhCodes[0]).
		MustPage(t, http.StatusOK, "/account")
	page2 := other.Get(t, "/account/certificates").MustPage(t, http.StatusOK, "/account/certificates")
	resp, _ = sign(t, other, page2, "/account/certificates/bind", cmsSigner(p.Business, pki.CMSOptions{}))
	wantRefused(t, resp, http.StatusConflict, "/account/certificates/bind", "error.certificate.bound_elsewhere")
	audited(t, srv.Server, "certificate.bind_refused", map[string]string{"reason": "certificate.bound_elsewhere"})

	// The bound certificate logs in, as the business's representative.
	b2 := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b2, []string{"openid", "profile", "business"})
	toks := rp.exchange(t, ar, rp.code(t, ar, certificateLogin(t, b2, resp, rawSigner(p.Business, "ES256"))))
	wantCertificateLogin(t, toks, hangSub)
	wantClaims(t, "ID token", toks.Claims, map[string]any{"tax_code": pki.BusinessTaxCode})

	// Unbound, it is an unknown person's again.
	page = b.Get(t, "/account/certificates").MustPage(t, http.StatusOK, "/account/certificates")
	page = b.Submit(t, page.Form(t, "/account/certificates/unbind"), nil).MustPage(t, http.StatusOK, "/account/certificates")
	if !strings.Contains(page.Body, ui.T("vi", "certificates.unbound_done")) || strings.Contains(page.Body, "MST:"+pki.BusinessTaxCode) {
		t.Fatalf("the certificate is still listed:\n%s", page.Body)
	}
	audited(t, srv.Server, "certificate.unbind", map[string]string{"certificate_subject": p.Business.Cert.Subject.String()})
	b3 := srv.NewBrowser(t)
	_, resp = rp.authorize(t, b3, openidProfile)
	certificateLogin(t, b3, resp, cmsSigner(p.Business, pki.CMSOptions{})).MustPage(t, http.StatusOK, "/login/certificate")
}

// TestCertificateMutualTLS logs in with the certificate of the TLS client:
// on the mutual-TLS listener, and through a reverse proxy's header, which
// counts only from the configured proxy.
func TestCertificateMutualTLS(t *testing.T) {
	t.Parallel()
	p := pki.New(t)
	srv := startCertServer(t, p, certOptions{mutualTLS: true})
	anSub, _ := srv.CreateOfficial(t, certAn)
	cucSub := srv.CreateCitizen(t, certCuc)
	rp := newRP(t, srv.Server, srv.CreateClient(t, portal("openid", "profile")))
	clientCert := func(l *pki.Leaf) tls.Certificate {
		return tls.Certificate{Certificate: l.ChainDER(), PrivateKey: l.Key}
	}
	tlsBrowser := func(certs ...tls.Certificate) *harness.Browser {
		b := srv.NewBrowser(t)
		b.AddOrigin(srv.mtls)
		b.UseTLS(t, &tls.Config{RootCAs: srv.mtlsRoots, Certificates: certs})
		return b
	}

	t.Run("on the mutual-TLS listener", func(t *testing.T) {
		b := tlsBrowser(clientCert(p.Official))
		ar, resp := rp.authorize(t, b, openidProfile)
		link := ""
		for _, a := range resp.MustPage(t, http.StatusOK, "/login").ByTag("a") {
			if strings.HasPrefix(a.Attrs["href"], srv.mtls+"/login/certificate/mtls?flow=") {
				link = a.Attrs["href"]
			}
		}
		if link == "" {
			t.Fatalf("the login page does not lead to the mutual-TLS login:\n%s", resp.Page.Body)
		}
		page := b.Get(t, link).MustPage(t, http.StatusOK, "/login/certificate/mtls")
		if !strings.Contains(page.Body, "Nguyễn Văn An") {
			t.Fatalf("the page does not show the certificate presented:\n%s", page.Body)
		}
		toks := rp.exchange(t, ar, rp.code(t, ar, b.Submit(t, page.Form(t, "/login/certificate/mtls"), nil)))
		wantCertificateLogin(t, toks, anSub)
		e := audited(t, srv.Server, "login.certificate", map[string]string{"via": "mutual_tls"})
		wantSubjectAudited(t, e, p.Official.Cert)
	})

	t.Run("revoked, on the mutual-TLS listener", func(t *testing.T) {
		b := tlsBrowser(clientCert(p.RevokedOCSP))
		_, resp := rp.authorize(t, b, openidProfile)
		flow := resp.MustPage(t, http.StatusOK, "/login").URL.Query().Get("flow")
		page := b.Get(t, srv.mtls+"/login/certificate/mtls?flow="+flow).MustPage(t, http.StatusOK, "/login/certificate/mtls")
		wantRefused(t, b.Submit(t, page.Form(t, "/login/certificate/mtls"), nil), http.StatusUnauthorized,
			"/login/certificate/mtls", "error.certificate.revoked")
		audited(t, srv.Server, "login.certificate_refused", map[string]string{"via": "mutual_tls", "reason": "certificate.revoked"})
	})

	t.Run("no certificate presented", func(t *testing.T) {
		b := tlsBrowser()
		_, resp := rp.authorize(t, b, openidProfile)
		flow := resp.MustPage(t, http.StatusOK, "/login").URL.Query().Get("flow")
		page := b.Get(t, srv.mtls+"/login/certificate/mtls?flow="+flow).MustPage(t, http.StatusOK, "/login/certificate/mtls")
		if !strings.Contains(page.Body, ui.T("vi", "certificate.mtls.none")) || len(page.Forms()) != 0 {
			t.Fatalf("the page without a certificate:\n%s", page.Body)
		}
		// The listener serves the certificate login only.
		b.Get(t, srv.mtls+"/account").MustPage(t, http.StatusNotFound, "/account")
	})

	forwarded := url.PathEscape(string(pki.CertPEM(p.Citizen.Cert)))

	t.Run("header of a trusted proxy", func(t *testing.T) {
		b := srv.NewBrowser(t)
		b.UseLocalAddress(t, "127.0.0.2")
		b.Header = http.Header{"X-Ssl-Client-Cert": {forwarded}}
		ar, resp := rp.authorize(t, b, openidProfile)
		flow := resp.MustPage(t, http.StatusOK, "/login").URL.Query().Get("flow")
		page := b.Get(t, "/login/certificate/mtls?flow="+flow).MustPage(t, http.StatusOK, "/login/certificate/mtls")
		toks := rp.exchange(t, ar, rp.code(t, ar, b.Submit(t, page.Form(t, "/login/certificate/mtls"), nil)))
		wantCertificateLogin(t, toks, cucSub)
		audited(t, srv.Server, "login.certificate", map[string]string{"via": "proxy_header"})
	})

	t.Run("header of anyone else", func(t *testing.T) {
		b := srv.NewBrowser(t)
		b.Header = http.Header{"X-Ssl-Client-Cert": {forwarded}}
		_, resp := rp.authorize(t, b, openidProfile)
		loginPage := resp.MustPage(t, http.StatusOK, "/login")
		flow := loginPage.URL.Query().Get("flow")
		page := b.Get(t, "/login/certificate/mtls?flow="+flow).MustPage(t, http.StatusOK, "/login/certificate/mtls")
		if len(page.Forms()) != 0 || strings.Contains(page.Body, "Lê Thị Cúc") {
			t.Fatalf("the header of a client that is no proxy was read:\n%s", page.Body)
		}
		vals := url.Values{"flow": {flow}, "csrf_token": {loginPage.Form(t, "/login").Value("csrf_token")}}
		wantRefused(t, b.Send(t, http.MethodPost, "/login/certificate/mtls", vals), http.StatusUnauthorized,
			"/login/certificate/mtls", "error.certificate.no_client_certificate")
		if b.Cookie("dinhdanh_session") != "" {
			t.Fatal("a forged header started a session")
		}
	})
}

// TestCertificateHeaderFromTopLevelProxies: without proxies of its own, the
// client-certificate header is believed from the top-level trusted_proxies,
// and from nobody else.
func TestCertificateHeaderFromTopLevelProxies(t *testing.T) {
	t.Parallel()
	p := pki.New(t)
	srv := startCertServer(t, p, certOptions{mutualTLS: true, proxiesAtTop: true})
	cucSub := srv.CreateCitizen(t, certCuc)
	rp := newRP(t, srv.Server, srv.CreateClient(t, portal("openid", "profile")))
	forwarded := url.PathEscape(string(pki.CertPEM(p.Citizen.Cert)))

	b := srv.NewBrowser(t)
	b.UseLocalAddress(t, "127.0.0.2")
	b.Header = http.Header{"X-Ssl-Client-Cert": {forwarded}}
	ar, resp := rp.authorize(t, b, openidProfile)
	flow := resp.MustPage(t, http.StatusOK, "/login").URL.Query().Get("flow")
	page := b.Get(t, "/login/certificate/mtls?flow="+flow).MustPage(t, http.StatusOK, "/login/certificate/mtls")
	toks := rp.exchange(t, ar, rp.code(t, ar, b.Submit(t, page.Form(t, "/login/certificate/mtls"), nil)))
	wantCertificateLogin(t, toks, cucSub)

	other := srv.NewBrowser(t)
	other.Header = http.Header{"X-Ssl-Client-Cert": {forwarded}}
	_, resp = rp.authorize(t, other, openidProfile)
	flow = resp.MustPage(t, http.StatusOK, "/login").URL.Query().Get("flow")
	page = other.Get(t, "/login/certificate/mtls?flow="+flow).MustPage(t, http.StatusOK, "/login/certificate/mtls")
	if len(page.Forms()) != 0 || strings.Contains(page.Body, "Lê Thị Cúc") {
		t.Fatalf("the header of a client that is no proxy was read:\n%s", page.Body)
	}
}

// TestCertificateRevocationUnavailable: with the OCSP responder down (and
// CRLs not consulted), fail-closed refuses the login and fail-open accepts
// it, recording that revocation was not checked.
func TestCertificateRevocationUnavailable(t *testing.T) {
	t.Parallel()
	p := pki.New(t)
	p.GovSub.SetOCSPMode(pki.OCSPDown)
	for _, mode := range []string{"fail-closed", "fail-open"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			srv := startCertServer(t, p, certOptions{revocation: "    crl: false\n    on_unavailable: " + mode + "\n    ocsp_timeout: 3s\n"})
			anSub, _ := srv.CreateOfficial(t, certAn)
			rp := newRP(t, srv.Server, srv.CreateClient(t, portal("openid", "profile")))
			b := srv.NewBrowser(t)
			ar, resp := rp.authorize(t, b, openidProfile)
			resp = certificateLogin(t, b, resp, cmsSigner(p.Official, pki.CMSOptions{}))
			if mode == "fail-closed" {
				wantRefused(t, resp, http.StatusServiceUnavailable, "/login/certificate", "error.certificate.revocation_unavailable")
				audited(t, srv.Server, "login.certificate_refused", map[string]string{"reason": "certificate.revocation_unavailable"})
				return
			}
			wantCertificateLogin(t, rp.exchange(t, ar, rp.code(t, ar, resp)), anSub)
			e := audited(t, srv.Server, "login.certificate", nil)
			if r := e.Details["certificate_revocation"]; !strings.HasPrefix(r, "unchecked") {
				t.Errorf("the audit says revocation was %q", r)
			}
		})
	}
}

// TestCertificateBindingNeedsSecondFactor: a certificate makes later logins
// LoA3, so a password alone (LoA1) may not bind one to an account that has a
// second factor; after a login with both factors, it may. It runs under a
// policy that lets a person who has a second factor log in with the
// password alone (mfa.enrolled_minimum LoA1).
func TestCertificateBindingNeedsSecondFactor(t *testing.T) {
	t.Parallel()
	p := pki.New(t)
	srv := startCertServer(t, p, certOptions{}, harness.WithEnv("DINHDANH_MFA_ENROLLED_MINIMUM", "LoA1"))
	tuanSub := srv.CreateCitizen(t, tuan)
	rp := newRP(t, srv.Server, srv.CreateClient(t, portal("openid", "profile")))

	// Tuấn sets up an authenticator app in the console.
	b := srv.NewBrowser(t)
	login(t, b, b.Get(t, "/login"), tuan.PersonalID, tuan.Password).MustPage(t, http.StatusOK, "/account")
	setup := b.Get(t, "/account/security/totp").MustPage(t, http.StatusOK, "/account/security/totp")
	var key strings.Builder
	for _, g := range setup.ByClass("totp-key-group") {
		key.WriteString(strings.TrimSpace(g.Text))
	}
	code, err := totp.GenerateCode(key.String(), time.Now())
	if err != nil {
		t.Fatalf("the setup page's key %q: %v", key.String(), err)
	}
	b.Submit(t, setup.Form(t, "/account/security/totp"), map[string]string{"code": code})
	audited(t, srv.Server, "mfa.totp_enrolled", nil)

	// An unknown certificate, then the password alone: no offer.
	unknown := p.Issue(p.PublicSub, "unknown-tuan", pki.LeafSpec{Subject: pkix.Name{Country: []string{"VN"}, CommonName: tuan.Name}})
	b2 := srv.NewBrowser(t)
	ar, resp := rp.authorize(t, b2, openidProfile)
	page := certificateLogin(t, b2, resp, cmsSigner(unknown, pki.CMSOptions{})).MustPage(t, http.StatusOK, "/login/certificate")
	toks := rp.exchange(t, ar, rp.code(t, ar, login(t, b2, b2.Get(t, otherLogin(t, page)), tuan.PersonalID, tuan.Password)))
	wantClaims(t, "ID token", toks.Claims, map[string]any{"sub": tuanSub, "acr": "LoA1"})
	audited(t, srv.Server, "certificate.binding_not_offered", map[string]string{"reason": "second_factor_required"})

	// The console asks for the second factor before binding.
	page = b2.Get(t, "/account/certificates").MustPage(t, http.StatusOK, "/account/certificates")
	if strings.Contains(page.Body, "data-certificate-signing") {
		t.Fatalf("the console offers to bind at LoA1:\n%s", page.Body)
	}
	if !strings.Contains(page.Body, "/login/step-up?acr=LoA2") {
		t.Fatalf("the console does not lead to the second factor:\n%s", page.Body)
	}

	// A person with no second factor at all binds from LoA1 neither: the
	// page leads to the second factor, and a posted signature is sent there.
	srv.CreateCitizen(t, hang)
	b3 := srv.NewBrowser(t)
	login(t, b3, b3.Get(t, "/login"), hang.PersonalID, hang.Password).MustPage(t, http.StatusOK, "/account")
	page = b3.Get(t, "/account/certificates").MustPage(t, http.StatusOK, "/account/certificates")
	if strings.Contains(page.Body, "data-certificate-signing") || !strings.Contains(page.Body, "/login/step-up?acr=LoA2") {
		t.Fatalf("the console offers a person without a second factor to bind at LoA1:\n%s", page.Body)
	}
	own := p.Issue(p.PublicSub, "hang-no-id", pki.LeafSpec{Subject: pkix.Name{Country: []string{"VN"}, CommonName: hang.Name}})
	form := cmsSigner(own, pki.CMSOptions{})("dinhdanh:bind:any")
	form.Set("csrf_token", csrfOf(t, b3.Get(t, "/account").MustPage(t, http.StatusOK, "/account")))
	resp = b3.Send(t, http.MethodPost, "/account/certificates/bind", form)
	if resp.Page == nil || resp.Page.URL.Path != "/login/mfa" {
		t.Errorf("a binding posted at LoA1 was not sent to the second factor:%s", resp)
	}
	if got := srv.Audit(t, "", 200); slices.ContainsFunc(got, func(e *store.AuditEvent) bool { return e.Type == "certificate.bind" }) {
		t.Error("a certificate was bound at LoA1")
	}
}
