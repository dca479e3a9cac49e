package certificate

import (
	"crypto/x509"
	"errors"
	"strings"
	"time"
)

// checkChain is validator 3: the certificate chains to a trust anchor, with
// intermediates sent with it or configured. Validity is the next validator's
// concern: when the only fault is a period of validity, the chain is built
// at a time within the certificate's own period, so that an expired
// certificate of a trusted chain is reported as expired, not as untrusted.
func checkChain(s *state) *Refusal {
	inter := x509.NewCertPool()
	for _, c := range s.extra {
		inter.AddCert(c)
	}
	for _, c := range s.v.inter {
		inter.AddCert(c)
	}
	opts := x509.VerifyOptions{Roots: s.v.roots, Intermediates: inter, CurrentTime: s.now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}
	leaf := s.leaf
	chains, err := leaf.Verify(opts)
	if isValidityError(err) {
		for _, at := range []time.Time{
			leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2),
			leaf.NotAfter.Add(-time.Second),
			leaf.NotBefore.Add(time.Second),
		} {
			opts.CurrentTime = at
			if chains, err = leaf.Verify(opts); err == nil {
				break
			}
		}
	}
	if err != nil {
		return refuse(CheckChain, ReasonUntrusted, leaf, "%v", err)
	}
	for _, chain := range chains {
		if name, ok := s.v.anchors[string(chain[len(chain)-1].Raw)]; ok {
			s.chain, s.anchor = chain, name
			return nil
		}
	}
	return refuse(CheckChain, ReasonUntrusted, leaf, "the chain ends at no configured anchor")
}

// isValidityError reports whether err says only that a certificate is
// outside its validity period.
func isValidityError(err error) bool {
	var inv x509.CertificateInvalidError
	return errors.As(err, &inv) && inv.Reason == x509.Expired
}

// checkValidity is validator 4: every certificate of the chain, the signer's
// first, is within its validity period now.
func checkValidity(s *state) *Refusal {
	for _, c := range s.chain {
		if s.now.Before(c.NotBefore) {
			return refuse(CheckValidity, ReasonNotYetValid, c, "%s is valid from %s", describe(c), c.NotBefore.UTC().Format(time.RFC3339))
		}
		if s.now.After(c.NotAfter) {
			return refuse(CheckValidity, ReasonExpired, c, "%s expired at %s", describe(c), c.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// checkKeyUsage is validator 5: the signer's certificate is an end-entity
// certificate whose key usage meets the policy.
func checkKeyUsage(s *state) *Refusal {
	c := s.leaf
	if c.IsCA {
		return refuse(CheckKeyUsage, ReasonKeyUsage, c, "%s is a CA certificate", describe(c))
	}
	ds := c.KeyUsage&x509.KeyUsageDigitalSignature != 0
	nr := c.KeyUsage&x509.KeyUsageContentCommitment != 0
	var ok bool
	switch s.v.opts.KeyUsage {
	case KeyUsageDigitalSignature:
		ok = ds
	case KeyUsageNonRepudiation:
		ok = nr
	case KeyUsageBoth:
		ok = ds && nr
	default:
		ok = ds || nr
	}
	if !ok {
		return refuse(CheckKeyUsage, ReasonKeyUsage, c, "key usage %s does not meet the policy %q", keyUsageNames(c.KeyUsage), s.v.opts.KeyUsage)
	}
	return nil
}

// describe names a certificate in log details.
//
// It names the certificate by serial number and issuer, never by subject: a
// subject carries personal IDs, tax codes and e-mail addresses, and the
// detail of a refusal goes to the process log.
func describe(c *x509.Certificate) string {
	return "certificate " + SerialKey(c) + " issued by " + IssuerKey(c)
}

func keyUsageNames(ku x509.KeyUsage) string {
	names := []string{"digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment",
		"keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}
	var out []string
	for i, n := range names {
		if ku&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, ",")
}
