package certificate

import (
	"context"
	"crypto/x509"
	"path/filepath"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/store/sqlstore"
	"github.com/dinhdanh/dinhdanh/test/pki"
)

// fixture is a test PKI and a verifier that trusts its government and public
// chains, with a clock the test moves.
type fixture struct {
	pki *pki.PKI
	v   *Verifier
	now time.Time
}

// newFixture returns a fixture; edit changes the options before the verifier is made.
func newFixture(t *testing.T, edit func(*Options)) *fixture {
	t.Helper()
	p := pki.New(t)
	f := &fixture{pki: p, now: p.Now()}
	opts := Options{
		Anchors: []Anchor{
			{Name: "bcy-g2", Roots: []*x509.Certificate{p.GovRoot.Cert}, MapEmail: true},
			{Name: "neac", Roots: []*x509.Certificate{p.PublicRoot.Cert}},
		},
		Revocation: RevocationOptions{CRL: true, OCSP: true, OCSPCacheMax: 5 * time.Minute},
		Now:        func() time.Time { return f.now },
	}
	if edit != nil {
		edit(&opts)
	}
	v, err := NewVerifier(opts)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	f.v = v
	return f
}

// challenge returns a live login challenge made at the fixture's clock.
func (f *fixture) challenge() *Challenge {
	return &Challenge{FlowID: "flow-1", Purpose: PurposeLogin, Value: "dinhdanh:login:" + time.Now().Format(time.RFC3339Nano),
		IssuedAt: f.now, ExpiresAt: f.now.Add(2 * time.Minute)}
}

// cms returns a CMS submission signed by the leaf.
func cms(l *pki.Leaf, content []byte, o pki.CMSOptions) Submission {
	return Submission{Format: FormatCMS, Signature: l.SignCMS(content, o)}
}

// raw returns a bare-signature submission signed by the leaf, carrying its chain.
func raw(l *pki.Leaf, content []byte, alg string) Submission {
	return Submission{Format: FormatRaw, Signature: l.SignRaw(content, alg), Algorithm: alg, Certificates: l.ChainDER()}
}

// state returns the state of one run over the submission, as Verify starts it.
func (f *fixture) state(ch *Challenge, sub Submission) *state {
	return &state{ctx: context.Background(), v: f.v, now: f.now, challenge: ch, sub: sub}
}

// chainState returns a state ready for the certificate validators, as
// VerifyCertificate starts it.
func (f *fixture) chainState(l *pki.Leaf) *state {
	chain := l.Chain()
	return &state{ctx: context.Background(), v: f.v, now: f.now, leaf: chain[0], extra: chain[1:]}
}

// wantRefusal fails the test unless r refuses with check and reason (nil, "" expects no refusal).
func wantRefusal(t *testing.T, r *Refusal, check Check, reason Reason) {
	t.Helper()
	if reason == "" {
		if r != nil {
			t.Fatalf("refused: %v", r)
		}
		return
	}
	if r == nil {
		t.Fatalf("accepted, want %s / %s", check, reason)
	}
	if r.Check != check || r.Reason != reason {
		t.Fatalf("refused with %s / %s (%s), want %s / %s", r.Check, r.Reason, r.Detail, check, reason)
	}
}

// openStore opens a fresh, migrated SQLite store in the test's directory.
func openStore(t *testing.T) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "dinhdanh.db"), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
