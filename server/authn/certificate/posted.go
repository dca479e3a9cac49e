package certificate

import (
	"context"
	"errors"
	"net/url"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/store"
)

// Limits of the form a signing adapter posts (ui/assets/signing/signing.js),
// for the form parser of the handlers: the signature field holds at most
// 32 KiB once decoded (base64, or PEM with its armour and line breaks), and
// at most ten certificates come along. Other fields keep the usual limit.
const (
	// MaxSignatureField is the longest signature field, in bytes of text.
	MaxSignatureField = 48 << 10
	// MaxCertificateField is the longest certificate field, in bytes of text.
	MaxCertificateField = 16 << 10
	// MaxCertificateFields is how many certificate fields a form may carry.
	MaxCertificateFields = maxCertificates
)

// VerifyPosted consumes the challenge of the flow (a login flow, or the
// account console's session) for the purpose and verifies the signed
// challenge posted in form, with the fields of the signing adapters: format,
// signature, algorithm and certificate (repeated). The challenge is used up
// whatever the outcome. A form that cannot be decoded is refused with
// ReasonMalformed, unless no challenge was live, which is refused first.
func VerifyPosted(ctx context.Context, chs *Challenges, v *Verifier, flowID string, p Purpose, form url.Values) (*Verified, *Refusal, error) {
	ch, err := chs.Consume(ctx, flowID, p)
	if errors.Is(err, ErrNoChallenge) {
		ch, err = nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	sub, refusal := DecodeSubmission(form.Get("format"), form.Get("signature"), form.Get("algorithm"), form["certificate"])
	if refusal != nil && ch != nil {
		return nil, refusal, nil
	}
	return v.Verify(ctx, ch, sub)
}

// ErrBoundElsewhere is returned by Bind for a certificate that belongs to
// another account: bound to it, or naming its person in the subject.
var ErrBoundElsewhere = errors.New("certificate: the certificate belongs to another account")

// ErrAnotherPerson is returned by Bind for a certificate whose subject names
// a personal ID other than the account's.
var ErrAnotherPerson = errors.New("certificate: the certificate names another person")

// BindingWriter stores certificate bindings.
type BindingWriter interface {
	BindCertificate(ctx context.Context, b *store.CertificateBinding) error
}

// Bind binds a verified certificate to the account, after asking the mapper
// whether it is another account's: bound to another account, naming
// another account's personal ID, or bound to an account whose person it
// does not name (ErrIdentityConflict) is ErrBoundElsewhere. A certificate
// naming a personal ID other than the account's is ErrAnotherPerson, even
// when that person has no account. already is true when the certificate was
// bound to this very account before: nothing changes. Any other error is an
// outage.
func Bind(ctx context.Context, m *Mapper, w BindingWriter, accountID string, v *Verified) (already bool, err error) {
	if pid := v.Identifiers.PersonalID; pid != "" {
		acct, err := m.Accounts.GetAccount(ctx, accountID)
		if err != nil {
			return false, err
		}
		if acct.PersonalID != "" && acct.PersonalID != pid {
			return false, ErrAnotherPerson
		}
	}
	match, ok, err := m.Map(ctx, v)
	switch {
	case errors.Is(err, ErrIdentityConflict):
		return false, ErrBoundElsewhere
	case err != nil && !errors.Is(err, authn.ErrAccountDisabled):
		return false, err
	}
	if ok && match.Account.ID != accountID {
		return false, ErrBoundElsewhere
	}
	if ok && match.By == MatchBinding {
		return true, nil
	}
	err = w.BindCertificate(ctx, v.Binding(accountID))
	if field, conflict := store.IsConflict(err); conflict && field == "certificate" {
		// Bound meanwhile by another request.
		return false, ErrBoundElsewhere
	}
	return false, err
}
