package ui

import "time"

// SigningForm is a form whose script (assets/signing: adapters.js, the
// adapters, then signing.js) has the signing software next to a USB token
// sign a challenge and posts the result (template "signing_form"). The
// script posts csrf_token and flow to ChallengeURL for a challenge, then
// submits the form to Action with the fields csrf_token, flow, format,
// signature, algorithm, certificate (once per certificate) and adapter. The
// page that carries it loads the scripts with the template
// "signing_scripts" and allows VGCAEndpoint in its Content Security Policy.
type SigningForm struct {
	Action       string
	ChallengeURL string
	// FlowID is the login flow; "" leaves the flow field out.
	FlowID    string
	CSRFToken string
	// Adapters names the signing adapters to try, in order ("vgca").
	Adapters string
	// VGCAEndpoint is the VGCA Sign Service's local WebSocket (wss://127.0.0.1:8987).
	VGCAEndpoint string
	// ButtonKey is the message key of the button that starts signing.
	ButtonKey string
}

// CertificateSignIn is the certificate section of the login page (template
// "certificate_signin", data the LoginPage): sign in by signing a challenge
// with a USB token, or with the certificate installed in the browser.
type CertificateSignIn struct {
	Form SigningForm
	// MutualTLSURL is where the browser presents its client certificate
	// (mutual TLS); "" when mutual TLS is not configured.
	MutualTLSURL string
}

// CertificateSummary is what a page shows of a certificate.
type CertificateSummary struct {
	Subject  string // the holder's distinguished name
	Issuer   string // the certification authority's distinguished name
	Serial   string // hexadecimal
	NotAfter time.Time
}

// CertificateUnknownPage says that a valid certificate belongs to no
// account yet (template "certificate_unknown"): nothing was created; the
// person may log in another way (LoginURL) and is then offered to bind the
// certificate, which is remembered for Minutes minutes in this browser.
type CertificateUnknownPage struct {
	Base
	ClientName  string
	Certificate CertificateSummary
	LoginURL    string
	Minutes     int
}

// CertificateBindPage offers, after a login made another way, to bind the
// certificate that was not recognised (template "certificate_bind"): the
// person signs a new challenge with it (Form), or declines (a form posting
// flow and csrf_token to SkipAction).
type CertificateBindPage struct {
	Base
	FlowID      string
	ClientName  string
	Certificate CertificateSummary
	Form        SigningForm
	SkipAction  string
}

// CertificateMTLSPage is the login with the certificate the browser
// presented in the TLS handshake (template "certificate_mtls"): with a
// Certificate, a form posting flow and csrf_token to Action logs in with
// it; without one, the page says none was presented. LoginURL leads back to
// the login page of the flow.
type CertificateMTLSPage struct {
	Base
	FlowID      string
	ClientName  string
	Certificate *CertificateSummary
	Action      string
	LoginURL    string
}

// CertificatesPage is the account console's list of certificates bound to
// the account (template "certificates"): each can be unbound (a form
// posting fingerprint and csrf_token to /account/certificates/unbind), and
// another bound by signing a challenge with it (Form). When StepUpURL is
// set, the session must first be raised there (a second factor) and the
// page links to it instead of offering the form.
type CertificatesPage struct {
	Base
	FullName     string
	Certificates []CertificateRow
	Form         SigningForm
	StepUpURL    string
}

// CertificateRow is one certificate bound to the account.
type CertificateRow struct {
	Fingerprint string // lower-case hexadecimal SHA-256 of the certificate
	CertificateSummary
	BoundAt time.Time
}

// The certificate pages can be passed to Render.
var (
	_ interface{ Language() string } = (*CertificateUnknownPage)(nil)
	_ interface{ Language() string } = (*CertificateBindPage)(nil)
	_ interface{ Language() string } = (*CertificateMTLSPage)(nil)
	_ interface{ Language() string } = (*CertificatesPage)(nil)
)
