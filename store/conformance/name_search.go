package conformance

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// testNameSearch checks the matching rule of a query of several words: a
// phrase of the name (its words in that order, next to each other, each
// complete but the last, which may begin a word, compared without case or
// diacritics), or a substring of the email, phone or username. A query of
// one word is still found anywhere, inside a word too.
func testNameSearch(t *testing.T, open func(t *testing.T) store.Store) {
	s, ctx := open(t), t.Context()
	base := now().Add(-time.Hour)
	an := citizen("Nguyễn Văn An", "001099000081", "an.nguyen@example.vn", "+84906000001")
	ha := citizen("Trần Thị Hà", "001099000082", "thi.ha@example.vn", "+84906000002")
	hanh := citizen("Lê Thị Hạnh", "001099000083", "", "")
	thuHa := citizen("Nguyễn Thị Thu Hà", "001099000084", "", "")
	hhen := citizen("H'Hen Niê", "066199000085", "", "")
	reversed := citizen("Văn Nguyễn", "001099000086", "", "")
	spaced := localOfficial("Phó Đức Minh", "Ha Tran") // a directory username may hold a space
	long := citizen("Ông "+strings.Repeat("Dài", 400)+" Cuối", "001099000087", "", "")
	all := []*identity.Account{an, ha, hanh, thuHa, hhen, reversed, spaced, long}
	for i, a := range all {
		a.CreatedAt = base.Add(time.Duration(i) * time.Second)
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount("+a.FullName+")")
	}
	list := func(as ...*identity.Account) []string { return orNil(ids(as)) }
	for _, tc := range []struct {
		query string
		want  []string
	}{
		// Diacritics and case are ignored both ways.
		{"nguyen van an", list(an)},
		{"Nguyễn Văn An", list(an)},
		{"NGUYỄN văn", list(an)},
		{"thị hà", list(ha, hanh)},
		{"thi ha", list(ha, hanh)},
		// The last word may begin a word; the others are complete.
		{"nguyen van a", list(an)},
		{"thi han", list(hanh)},
		{"thi hanh", list(hanh)},
		{"thi hanhx", nil},
		{"nguyen va an", nil},
		{"nguye van", nil},
		{"uyen van", nil}, // an inner fragment of a word begins no phrase
		// Words keep their order and stay next to each other.
		{"van nguyen", list(reversed)},
		{"nguyen van", list(an)},
		{"an van nguyen", nil},
		{"nguyen thi", list(thuHa)},
		{"nguyen thi ha", nil}, // "Thu" stands between
		{"thi thu ha", list(thuHa)},
		// A fragment of a name: middle and given names.
		{"van an", list(an)},
		{"thu ha", list(thuHa)},
		// Words are separated by spaces only.
		{"h'hen nie", list(hhen)},
		{"H'HEN NIÊ", list(hhen)},
		{"hen nie", nil},
		{"nie h'hen", nil},
		// A query of one word is found inside a word as before.
		{"guyen", list(an, thuHa, reversed)},
		{"hen", list(hhen)},
		// Several words in the other fields are a substring.
		{"ha tran", list(spaced)},
		{"tran thi ha", list(ha)},
		{"thi.ha", list(ha)},
		{"an.nguyen@example", list(an)},
		{"0906 000 002", list(ha)},
		// The syntax of the database's text search is only text here.
		{"o'neil x", nil},
		{`a\ b`, nil},
		{`'nguyen' van`, nil},
		{"nguyen:* van", nil},
		{"nguyen & van", nil},
		{"nguyen | an", nil},
		{"!nguyen van", nil},
		{"(nguyen) van", nil},
		{"nguyen <-> van", nil},
		{"nguyen van %", nil},
		{"nguyen van _", nil},
		{"nguyen _an", nil},
		// A very long word is a word like any other.
		{"ong dai", list(long)},
		{"ong " + strings.Repeat("dai", 165), list(long)}, // a pair of 499 characters
		{"ong " + strings.Repeat("dai", 200), list(long)},
		{"ong " + strings.Repeat("dai", 400), list(long)},
		{"ong " + strings.Repeat("dai", 400) + " cu", list(long)},
		{strings.Repeat("dai", 400) + " cuoi", list(long)},
		{strings.Repeat("dai", 399) + " cuoi", nil},
		{"ong " + strings.Repeat("dai", 401), nil},
		{strings.Repeat("a", 3000) + " an", nil},
		{"nguyen " + strings.Repeat("v", 3000), nil},
	} {
		t.Run(tc.query[:min(len(tc.query), 40)], func(t *testing.T) {
			got, err := s.ListAccounts(ctx, store.AccountFilter{Query: tc.query})
			must(t, err, "ListAccounts")
			if g := orNil(ids(got)); !slices.Equal(g, tc.want) {
				t.Fatalf("ListAccounts(%q) = %v, want %v", tc.query, names(got), tc.want)
			}
		})
	}
	t.Run("paged", func(t *testing.T) {
		// Pages of a phrase follow the order of creation, after a cursor.
		f := store.AccountFilter{Query: "thi h", Limit: 1}
		var got []string
		for range 5 {
			page, err := s.ListAccounts(ctx, f)
			must(t, err, "ListAccounts")
			if len(page) == 0 {
				break
			}
			got = append(got, ids(page)...)
			f.After = store.AccountCursor(page[len(page)-1])
		}
		if want := list(ha, hanh); !slices.Equal(got, want) {
			t.Fatalf("pages of %q = %v, want %v", "thi h", got, want)
		}
	})
}
