package certificate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/test/pki"
)

func TestOptionsFromConfig(t *testing.T) {
	p := pki.New(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	c := config.Default().Certificates
	c.TrustAnchors = []config.CertificateTrustAnchor{
		{Name: "bcy-g2", File: write("bcy.pem", pki.CertPEM(p.GovRoot.Cert)), IntermediatesFile: write("bcy-sub.pem", pki.CertPEM(p.GovSub.Cert)),
			MapEmail: true},
		{Name: "neac", File: write("neac.pem", pki.CertPEM(p.PublicRoot.Cert))},
	}
	c.KeyUsage = "non_repudiation"
	c.Revocation.OnUnavailable = "fail-open"
	opts, err := OptionsFromConfig(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Anchors) != 2 || opts.Anchors[0].Name != "bcy-g2" || len(opts.Anchors[0].Intermediates) != 1 ||
		!opts.Anchors[0].MapEmail || opts.Anchors[1].MapEmail ||
		!opts.Anchors[1].Roots[0].Equal(p.PublicRoot.Cert) {
		t.Fatalf("anchors %+v", opts.Anchors)
	}
	if opts.KeyUsage != KeyUsageNonRepudiation || !opts.Revocation.FailOpen || !opts.Revocation.CRL ||
		opts.Revocation.OCSPTimeout != 5*time.Second || opts.Revocation.OCSPCacheMax != 5*time.Minute {
		t.Fatalf("options %+v", opts)
	}
	opts.Now = p.Now
	v, err := NewVerifier(opts)
	if err != nil {
		t.Fatal(err)
	}
	// The configured intermediate completes a chain sent without it.
	if _, r, err := v.VerifyCertificate(t.Context(), p.Official.Chain()[:1]); r != nil || err != nil {
		t.Fatalf("official without intermediates: %v, %v", r, err)
	}

	for name, anchor := range map[string]config.CertificateTrustAnchor{
		"missing file":   {Name: "a", File: filepath.Join(dir, "none.pem")},
		"no certificate": {Name: "a", File: write("empty.pem", []byte("nothing here"))},
		"not a CA":       {Name: "a", File: write("leaf.pem", pki.CertPEM(p.Official.Cert))},
		"bad intermediates": {Name: "a", File: write("root.pem", pki.CertPEM(p.GovRoot.Cert)),
			IntermediatesFile: filepath.Join(dir, "none.pem")},
	} {
		c.TrustAnchors = []config.CertificateTrustAnchor{anchor}
		if _, err := OptionsFromConfig(c, nil); err == nil || !strings.Contains(err.Error(), "trust_anchors[0]") {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
