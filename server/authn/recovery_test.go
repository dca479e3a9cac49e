package authn_test

import (
	"context"
	"database/sql"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
)

func TestRecoveryCodes(t *testing.T) {
	ctx := context.Background()
	db, sub, path := newStoreAt(t)
	rc := &authn.Recovery{Store: db, Count: 10}
	codes, err := rc.Generate(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != 10 {
		t.Fatalf("%d codes, want 10", len(codes))
	}
	shape := regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{5}-[0-9a-hjkmnp-tv-z]{5}$`)
	seen := map[string]bool{}
	for _, c := range codes {
		if !shape.MatchString(c) || seen[c] {
			t.Fatalf("code %q: bad shape or repeated", c)
		}
		seen[c] = true
	}
	// Only hashes are stored.
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var hashes []string
	rows, err := raw.QueryContext(ctx, `SELECT code_hash FROM recovery_codes WHERE account_id=$1`, sub)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	rows.Close()
	if len(hashes) != 10 {
		t.Fatalf("%d stored codes, want 10", len(hashes))
	}
	for _, h := range hashes {
		for _, c := range codes {
			if strings.Contains(h, strings.ReplaceAll(c, "-", "")) || len(h) != 64 {
				t.Fatalf("stored %q is not a hash of a code", h)
			}
		}
	}

	// Typed in upper case, with spaces, and with O for 0: still the code.
	typed := strings.ToUpper(strings.ReplaceAll(codes[3], "-", " "))
	typed = strings.ReplaceAll(typed, "0", "O")
	left, ok, err := rc.Use(ctx, sub, typed)
	if err != nil || !ok || left != 9 {
		t.Fatalf("Use(%q) = %d, %v, %v; want 9 left", typed, left, ok, err)
	}
	if _, ok, _ := rc.Use(ctx, sub, codes[3]); ok {
		t.Fatal("a recovery code was accepted twice")
	}
	for _, bad := range []string{"", "abcde", "aaaaa-aaaaa", codes[4] + "x", "uuuuu-uuuuu"} {
		if _, ok, err := rc.Use(ctx, sub, bad); ok || err != nil {
			t.Errorf("Use(%q): ok %v err %v", bad, ok, err)
		}
	}
	// Another account cannot use them.
	if _, ok, _ := rc.Use(ctx, "another-account", codes[5]); ok {
		t.Fatal("another account used the code")
	}
	if n, _ := rc.Left(ctx, sub); n != 9 {
		t.Fatalf("Left = %d, want 9", n)
	}
	// New codes replace the old ones.
	fresh, err := rc.Generate(ctx, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := rc.Use(ctx, sub, codes[5]); ok {
		t.Fatal("an old code works after regeneration")
	}
	if left, ok, _ := rc.Use(ctx, sub, fresh[0]); !ok || left != 9 {
		t.Fatalf("new code: ok %v left %d", ok, left)
	}
}

func TestPolicyAndMethods(t *testing.T) {
	p := authn.Policy{Citizen: "LoA1", Official: "LoA2", Admin: "LoA2"}
	citizen := &identity.Account{PersonalID: "001190012345"}
	admin := &identity.Account{PersonalID: "001190012345", Admin: true}
	for _, c := range []struct {
		acct     *identity.Account
		capacity identity.Capacity
		want     string
	}{
		{citizen, identity.CapacityCitizen, "LoA1"},
		{citizen, identity.CapacityOfficial, "LoA2"},
		{admin, identity.CapacityCitizen, "LoA2"},
		{nil, identity.CapacityCitizen, "LoA1"},
	} {
		if got := p.Minimum(c.acct, c.capacity); got != c.want {
			t.Errorf("Minimum(admin %v, %s) = %s, want %s", c.acct != nil && c.acct.Admin, c.capacity, got, c.want)
		}
	}
	asking := authn.Policy{Citizen: "LoA1", Official: "LoA2", Admin: "LoA2", Enrolled: "LoA2"}
	for _, c := range []struct {
		p         authn.Policy
		hasFactor bool
		want      string
	}{
		{asking, true, "LoA2"}, {asking, false, "LoA1"}, {p, true, "LoA1"}, {p, false, "LoA1"},
	} {
		if got := c.p.PersonMinimum(citizen, identity.CapacityCitizen, c.hasFactor); got != c.want {
			t.Errorf("PersonMinimum(enrolled %q, has a factor %v) = %s, want %s", c.p.Enrolled, c.hasFactor, got, c.want)
		}
	}
	if !asking.AsksEnrolled("LoA1") || asking.AsksEnrolled("LoA2") || p.AsksEnrolled("LoA1") {
		t.Error("AsksEnrolled")
	}
	if got := (authn.Policy{}).Minimum(citizen, identity.CapacityOfficial); got != "LoA1" {
		t.Errorf("empty policy: %s", got)
	}
	if !authn.Reachable("LoA2", "") || !authn.Reachable("LoA1", "LoA1") || authn.Reachable("LoA3", "LoA2") || !authn.Reachable("LoA3", "LoA3") {
		t.Error("Reachable")
	}
	for _, c := range []struct{ had, factor, want []string }{
		{[]string{"pwd"}, []string{"otp"}, []string{"pwd", "otp", "mfa"}},
		{[]string{"pwd"}, []string{"hwk", "user"}, []string{"pwd", "hwk", "user", "mfa"}},
		{[]string{"pwd", "otp", "mfa"}, []string{"otp"}, []string{"pwd", "otp", "mfa"}},
		{nil, []string{"hwk", "user"}, []string{"hwk", "user"}},
	} {
		if got := authn.SecondFactor(c.had, c.factor); !slices.Equal(got, c.want) {
			t.Errorf("SecondFactor(%v, %v) = %v, want %v", c.had, c.factor, got, c.want)
		}
	}
}
