package upstreamop

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// WriteConfig writes, in a temporary directory of the test, a dinhdanh
// configuration file with one upstream named vneid (displayed "VNeID"): the
// provider at issuer, the client clientID/secret, the national portal's claim
// names mapped to dinhdanh's claims, assurance LoA2, proving the personal ID,
// and the given timeout. It returns the file's path.
func WriteConfig(t testing.TB, issuer, clientID, secret, timeout string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dinhdanh.yaml")
	yaml := fmt.Sprintf(`upstreams:
  - name: vneid
    display_name: {vi: VNeID, en: VNeID}
    issuer: %s
    client_id: %s
    client_secret: %s
    scopes: [openid, profile]
    acr_values: [LoA2]
    claims: {personal_id: SoDinhDanh, name: HoVaTen, birthdate: NgayThangNamSinh, birthdate_format: YYYYMMDD,
             gender: GioiTinh, gender_codes: {"1": male, "2": female}}
    assurance: LoA2
    proves_personal_id: true
    timeout: %s
`, issuer, clientID, secret, timeout)
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
