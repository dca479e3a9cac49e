package store

import (
	"context"
	"time"
)

// KindCertificateChallenge is the ephemeral record kind of the single-use
// challenges that a person signs with a digital-signature certificate.
const KindCertificateChallenge RecordKind = "cert_challenge"

// KindPendingCertificate is the ephemeral record kind of a verified
// certificate that mapped to no account during a login: it is remembered for
// a few minutes, bound to the browser and the login flow, so that binding it
// can be offered once the person has logged in another way.
const KindPendingCertificate RecordKind = "cert_pending"

// CertificateBinding links a digital-signature certificate to the account of
// the person who proved holding it (by signing a challenge), so that later
// logins with the same certificate find the account even when the
// certificate's subject carries no identifier.
//
// The certificate is named two ways, each unique among all bindings: by the
// SHA-256 fingerprint of its DER encoding, and by its issuer and serial
// number. Callers write them in one canonical form (see the certificate
// package of the server: Fingerprint, IssuerKey, SerialKey) so that a lookup
// finds what a bind stored.
type CertificateBinding struct {
	AccountID string
	// Fingerprint is the lower-case hexadecimal SHA-256 of the certificate's DER encoding.
	Fingerprint string
	// Issuer is the issuer's distinguished name in its canonical text form.
	Issuer string
	// Serial is the serial number in lower-case hexadecimal without leading zeros.
	Serial string
	// Subject is the subject's distinguished name, for people and audit.
	Subject string
	// NotAfter is the end of the certificate's validity.
	NotAfter time.Time
	// Certificate is the DER encoding of the certificate.
	Certificate []byte
	// CreatedAt is when the binding was made; BindCertificate sets it when zero.
	CreatedAt time.Time
}

// CertificateBindings holds the certificates bound to accounts.
type CertificateBindings interface {
	// BindCertificate stores a binding. A certificate already bound (by
	// fingerprint, or by issuer and serial), to this account or another, is a
	// *ConflictError with Field "certificate"; an unknown account is
	// ErrNotFound.
	BindCertificate(ctx context.Context, b *CertificateBinding) error
	// CertificateBindings returns the account's bindings, oldest first.
	CertificateBindings(ctx context.Context, accountID string) ([]*CertificateBinding, error)
	// UnbindCertificate removes the account's binding of the certificate with
	// the fingerprint, or returns ErrNotFound.
	UnbindCertificate(ctx context.Context, accountID, fingerprint string) error
	// FindCertificateBinding returns the binding of the certificate with the
	// fingerprint, or ErrNotFound.
	FindCertificateBinding(ctx context.Context, fingerprint string) (*CertificateBinding, error)
	// FindCertificateBindingByIssuerSerial returns the binding of the
	// certificate with the issuer and serial number, or ErrNotFound.
	FindCertificateBindingByIssuerSerial(ctx context.Context, issuer, serial string) (*CertificateBinding, error)
}
