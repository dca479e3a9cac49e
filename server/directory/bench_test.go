package directory

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/test/ldaptest"
)

// generateLDIF writes ou=bench with n people (uid nv00001…, Vietnamese
// names) and one group per 200 people, nested two levels, and returns the file.
func generateLDIF(tb testing.TB, n int) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "bench.ldif")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	base := "ou=bench," + ldaptest.Suffix
	fmt.Fprintf(w, "dn: %s\nobjectClass: organizationalUnit\nou: bench\n\n", base)
	fmt.Fprintf(w, "dn: ou=people,%s\nobjectClass: organizationalUnit\nou: people\n\n", base)
	fmt.Fprintf(w, "dn: ou=groups,%s\nobjectClass: organizationalUnit\nou: groups\n\n", base)
	families := []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi"}
	givens := []string{"Ánh", "Bình", "Cường", "Dũng", "Hà", "Khánh", "Lộc", "Thảo"}
	for i := 1; i <= n; i++ {
		fam, giv := families[i%len(families)], givens[(i/len(families))%len(givens)]
		fmt.Fprintf(w, "dn: uid=nv%05d,ou=people,%s\nobjectClass: inetOrgPerson\nuid: nv%05d\n", i, base, i)
		fmt.Fprintf(w, "cn:: %s\nsn:: %s\ngivenName:: %s\n", b64(fam+" Văn "+giv), b64(fam), b64(giv))
		fmt.Fprintf(w, "mail: nv%05d@tinh.gov.vn\ntitle:: %s\nemployeeNumber: NV-%05d\nuserPassword: pw-%05d\n\n", i, b64("Chuyên viên"), i, i)
	}
	groups := (n + 199) / 200
	for g := 0; g < groups; g++ {
		fmt.Fprintf(w, "dn: cn=phong-%03d,ou=groups,%s\nobjectClass: groupOfNames\ncn: phong-%03d\n", g, base, g)
		for i := g*200 + 1; i <= min(n, (g+1)*200); i++ {
			fmt.Fprintf(w, "member: uid=nv%05d,ou=people,%s\n", i, base)
		}
		w.WriteString("\n")
	}
	fmt.Fprintf(w, "dn: cn=so,ou=groups,%s\nobjectClass: groupOfNames\ncn: so\n", base)
	for g := 0; g < groups; g++ {
		fmt.Fprintf(w, "member: cn=phong-%03d,ou=groups,%s\n", g, base)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return path
}

func b64(s string) string {
	return encodeBase64([]byte(s))
}

func benchConfig(srv *ldaptest.Server) config.Directory {
	cfg := openLDAP(srv, "bench")
	cfg.Name, cfg.Agency = "bench", "Sở Nội vụ"
	cfg.Groups.Roles = map[string][]string{"so": {"qlvb.xem"}}
	cfg.MaxIdleConns = 8
	return cfg
}

// BenchmarkSync10000 measures a full synchronisation of 10,000 entries into
// an empty SQLite store: paged search, groups, 10,000 accounts created.
//
//	go test ./server/directory -run '^$' -bench Sync10000 -benchtime 3x
func BenchmarkSync10000(b *testing.B) {
	const n = 10000
	srv := ldaptest.Start(b, ldaptest.Options{LDIF: []string{generateLDIF(b, n)}})
	cfg := benchConfig(srv)
	for b.Loop() {
		b.StopTimer()
		db := openStore(b)
		set, err := NewSet([]config.Directory{cfg}, Options{}, db, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := set.Sync(b.Context(), "bench", true, nil)
		if err != nil {
			b.Fatal(err)
		}
		if res.Created != n {
			b.Fatalf("created %d accounts, want %d", res.Created, n)
		}
		b.StopTimer()
		set.Close()
		b.StartTimer()
	}
}

// BenchmarkLogin compares a directory login (search as the service account,
// bind as the person, groups from the cache, account read from the store)
// with a raw bind on an open connection, both on pooled connections, and
// reports the median of each.
//
//	go test ./server/directory -run '^$' -bench Login -benchtime 2000x
func BenchmarkLogin(b *testing.B) {
	const n = 2000
	srv := ldaptest.Start(b, ldaptest.Options{LDIF: []string{generateLDIF(b, n)}})
	cfg := benchConfig(srv)
	db := openStore(b)
	set, err := NewSet([]config.Directory{cfg}, Options{}, db, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer set.Close()
	if _, err := set.Sync(b.Context(), "bench", true, nil); err != nil {
		b.Fatal(err)
	}
	user := func(i int) (string, string, string) {
		k := i%n + 1
		return fmt.Sprintf("nv%05d", k), fmt.Sprintf("uid=nv%05d,ou=people,ou=bench,%s", k, ldaptest.Suffix), fmt.Sprintf("pw-%05d", k)
	}

	b.Run("RawBind", func(b *testing.B) {
		c, err := ldap.DialURL(srv.URL)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		var times []time.Duration
		i := 0
		for b.Loop() {
			_, dn, pw := user(i)
			i++
			start := time.Now()
			if err := c.Bind(dn, pw); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(start))
		}
		b.ReportMetric(float64(median(times).Microseconds()), "p50-µs")
	})
	b.Run("Authenticate", func(b *testing.B) {
		var times []time.Duration
		i := 0
		for b.Loop() {
			name, _, pw := user(i)
			i++
			start := time.Now()
			_, _, ok, err := set.Authenticate(b.Context(), name, pw)
			if err != nil || !ok {
				b.Fatalf("login %s: ok %v, err %v", name, ok, err)
			}
			times = append(times, time.Since(start))
		}
		b.ReportMetric(float64(median(times).Microseconds()), "p50-µs")
	})
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func encodeBase64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
