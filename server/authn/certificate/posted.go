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

// ErrOtherName is returned by Bind for a personal certificate (one that
// names no business) whose subject's common name is not the account's
// name (SameName).
var ErrOtherName = errors.New("certificate: the certificate is issued to another name")

// BindingWriter stores certificate bindings.
type BindingWriter interface {
	BindCertificate(ctx context.Context, b *store.CertificateBinding) error
}

// Bind binds a verified certificate to the account, after asking the mapper
// whether it is another account's: bound to another account, naming
// another account's personal ID, or bound to an account whose person it
// does not name (ErrIdentityConflict) is ErrBoundElsewhere. A certificate
// naming a personal ID other than the account's is ErrAnotherPerson, even
// when that person has no account. A personal certificate (one that names
// no business: a business's certificate names the business, and links a
// representative by its tax code) whose subject's common name is not the
// account's name (SameName: case, spacing and Unicode form aside,
// diacritics kept) is ErrOtherName. already is true when the certificate
// was bound to this very account before: nothing changes. Any other error
// is an outage.
//
// Bind does not decide who may bind: the callers require a session at LoA2
// (a certificate makes later logins LoA3, which a password alone must not
// buy).
func Bind(ctx context.Context, m *Mapper, w BindingWriter, accountID string, v *Verified) (already bool, err error) {
	acct, err := m.Accounts.GetAccount(ctx, accountID)
	if err != nil {
		return false, err
	}
	if pid := v.Identifiers.PersonalID; pid != "" && acct.PersonalID != "" && acct.PersonalID != pid {
		return false, ErrAnotherPerson
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
	if v.Identifiers.TaxCode == "" && !SameName(v.Identifiers.CommonName, acct.FullName) {
		return false, ErrOtherName
	}
	err = w.BindCertificate(ctx, v.Binding(accountID))
	if field, conflict := store.IsConflict(err); conflict && field == "certificate" {
		// Bound meanwhile by another request.
		return false, ErrBoundElsewhere
	}
	return false, err
}
