// Package certificate is the step of the login that logs in with a
// digital-signature certificate on a USB token (LoA3), and offers to bind a
// certificate that mapped to nobody once the person has logged in another
// way. The certificates themselves are checked by server/authn/certificate.
//
// Signed challenge: the login page carries a signing form (the scripts of
// ui/assets/signing; the dispatcher adds it with Step.LoginSection). Its
// script posts the form's csrf_token and flow to
// /login/certificate/challenge and gets a single-use challenge bound to the
// flow, has the signing software sign it (adapters: the VGCA Sign Service
// today), and posts the signature to /login/certificate. The challenge is
// consumed first, then the signature is verified (certificate.Verifier: the
// challenge, the signature, the chain, validity, key usage, revocation), then
// the certificate is mapped to an account (certificate.Mapper). Every
// refusal is audited and shows its own message on the login page
// (Dispatcher.RenderLogin). A re-authentication flow is not served here: it
// asks for the signed-in person's own factors.
//
// Mutual TLS: the browser presents its certificate in a TLS handshake, on
// the listener of certificates.mutual_tls.listen (Step.MutualTLSHandler) or
// to a reverse proxy that passes it on in a header, believed only from the
// configured proxies. /login/certificate/mtls?flow=… shows the certificate
// and logs in with it when the person confirms (a form, so that no other
// site can log a browser in); the certificate goes through the same checks
// but the signature, and the same mapping. The browser then goes back to
// the main listener (/login/certificate/resume), where the flow must be
// this browser's session's.
//
// A certificate that maps to an account logs in at LoA3 with amr sc, hwk and
// mfa, which satisfies any level a request asks: the SSO session starts
// (Env.StartSession) and the flow goes back to the dispatcher
// (Dispatcher.Resume). The capacity is the citizen's, unless the account has
// no personal ID, or is an official's and the certificate comes from an
// authority that certifies officials (map_email, the government CA). A
// certificate naming a business ("MST:…") links the citizen as its
// representative and the login acts for that business: the business page is
// skipped and the business claims are released when the client asks for the
// business scope.
//
// A valid certificate that maps to nobody never creates an account. The page
// says so and leads to the other ways to log in; the certificate is
// remembered for a few minutes (Config.PendingLifetime), bound to the
// browser (a cookie) and to the flow. The dispatcher asks Step.HasPending
// for its facts; once the person has logged in another way in that flow
// (and reached the level the request needs), it lets Step.Offer offer to
// bind it: they sign a new challenge with the same certificate
// (/login/certificate/bind, its challenge at
// /login/certificate/bind/challenge), or decline
// (/login/certificate/bind/skip); either way the flow resumes. A login below
// LoA2 is not offered to bind a certificate, and its binding requests are
// answered as for an expired flow: the binding would let a password alone
// become an LoA3 login. A personal certificate issued to another name than
// the account's is refused (certauth.Bind, reason certificate.other_name).
package certificate
