package conformance

import (
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// testSearch checks the account search of an administrator: queries folded
// for case and diacritics, the identifier shapes, the agency filters, and
// paging after a cursor while accounts are being created.
func testSearch(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("Query", func(t *testing.T) { testSearchQuery(t, open) })
	t.Run("NameWords", func(t *testing.T) { testNameSearch(t, open) })
	t.Run("Agency", func(t *testing.T) { testSearchAgency(t, open) })
	t.Run("UpdateRefreshesSearch", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Phạm Văn Cũ", "001099000051", "cu@example.vn", "+84903333333")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		a.FullName, a.Email, a.Phone = "Hoàng Thị Mới", "moi@example.vn", "+84904444444"
		must(t, s.UpdateAccount(ctx, a), "UpdateAccount")
		for q, want := range map[string]int{"pham van cu": 0, "cu@example": 0, "0903333333": 0, "3333333": 0,
			"hoang thi moi": 1, "moi@example": 1, "0904444444": 1, "4444444": 1} {
			got, err := s.ListAccounts(ctx, store.AccountFilter{Query: q})
			must(t, err, "ListAccounts")
			if len(got) != want {
				t.Errorf("ListAccounts(%q) after the update found %d accounts, want %d", q, len(got), want)
			}
		}
		a.Official = &identity.Official{Username: "Moi.HT", Agency: "Sở Nội vụ"}
		must(t, s.UpdateAccount(ctx, a), "UpdateAccount(official)")
		got, err := s.ListAccounts(ctx, store.AccountFilter{Query: "moi.ht", Agency: "Sở Nội vụ"})
		must(t, err, "ListAccounts(username)")
		if g := ids(got); !slices.Equal(g, []string{a.ID}) {
			t.Errorf("ListAccounts(username after the update) = %v, want %v", g, a.ID)
		}
	})
	t.Run("Paging", func(t *testing.T) { testSearchPaging(t, open) })
	t.Run("PagingWhileCreating", func(t *testing.T) { testSearchPagingWhileCreating(t, open) })
	t.Run("BadCursor", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := citizen("Ai Đó", "001099000061", "", "")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		for _, c := range []string{"x", "12", ".abc", "12.", "-5.abc", "1e3.abc", "+5.abc", " 5.abc",
			"99999999999999999999.abc", "٣.abc"} {
			got, err := s.ListAccounts(ctx, store.AccountFilter{After: c})
			if !errors.Is(err, store.ErrBadCursor) || got != nil {
				t.Errorf("ListAccounts(After %q) = %d accounts, %v; want ErrBadCursor", c, len(got), err)
			}
		}
		got, err := s.ListAccounts(ctx, store.AccountFilter{After: store.AccountCursor(a)})
		must(t, err, "ListAccounts(after the only account)")
		if len(got) != 0 {
			t.Errorf("ListAccounts(after the only account) = %d accounts, want none", len(got))
		}
		got, err = s.ListAccounts(ctx, store.AccountFilter{After: "0.0"})
		must(t, err, "ListAccounts(after the start of time)")
		if g := ids(got); !slices.Equal(g, []string{a.ID}) {
			t.Errorf("ListAccounts(after the start of time) = %v, want %v", g, a.ID)
		}
	})
}

func testSearchQuery(t *testing.T, open func(t *testing.T) store.Store) {
	s, ctx := open(t), t.Context()
	base := now().Add(-time.Hour)
	a := citizen("Nguyễn Văn A", "001099000001", "van.a@example.vn", "+84901111111")
	dinh := citizen("Đinh   Thị Đào", "079199000002", "Dao.Dinh@Example.VN", "+842838291234")
	tam := citizen("Lê Văn Tâm", "001099000003", "tam@example.vn", "")
	ngu := localOfficial("Ngư Ông", "NguOng")
	ngu.Email = "ngu@so.gov.vn"
	all := []*identity.Account{a, dinh, tam, ngu}
	for i, acc := range all {
		acc.CreatedAt = base.Add(time.Duration(i) * time.Second)
		must(t, s.CreateAccount(ctx, acc, ""), "CreateAccount("+acc.FullName+")")
	}
	list := func(as ...*identity.Account) []string { return orNil(ids(as)) }
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"nguyen van a", list(a)},
		{"NGUYEN VAN A", list(a)},
		{"Nguyễn Văn A", list(a)},
		{"nguyễn văn", list(a)},
		{"Nguye\u0302\u0303n", list(a)}, // typed decomposed
		{"  nguyen   van  ", list(a)},
		{"van", list(a, tam)}, // name and email
		{"dinh thi dao", list(dinh)},
		{"đinh thị đào", list(dinh)},
		{"ĐINH THỊ", list(dinh)},
		{"ngu", list(a, ngu)}, // "nguyen" and "ngư"
		{"ngư", list(a, ngu)}, // diacritics are ignored both ways
		{"ong", list(ngu)},
		// identifiers
		{"001099000001", list(a)},
		{"0010990000", list(a, tam)},
		{"099000001", nil}, // a personal ID is matched by its prefix only
		{"0901111111", list(a)},
		{"0901 111 111", list(a)},
		{"+84 90 111 1111", list(a)},
		{"84901111111", list(a)},
		{"(+84) 901.111.111", list(a)},
		{"0084901111111", list(a)},
		{"028 3829 1234", list(dinh)},
		{"1111111", list(a)}, // a part of the phone
		{"+849011", list(a)},
		{"0902222222", nil},
		{"van.a@example.vn", list(a)},
		{"VAN.A@EXAMPLE.VN", list(a)},
		{"dao.dinh@example.vn", list(dinh)},
		{"@example.vn", list(a, dinh, tam)},
		{"nguong", list(ngu)},
		{"NGUONG", list(ngu)},
		// The fields of an account do not run together.
		{"tam tam", nil},
		{"tam tam@", nil},
		{"a van", nil},
		{"\n", list(all...)}, // blanks do not filter
		{"   ", list(all...)},
		{"nguyen\nvan", list(a)},
		{"%", nil},
		{"_", nil},
		{"a%a", nil},
	} {
		t.Run(tc.query, func(t *testing.T) {
			got, err := s.ListAccounts(ctx, store.AccountFilter{Query: tc.query})
			must(t, err, "ListAccounts")
			if g := orNil(ids(got)); !slices.Equal(g, tc.want) {
				t.Fatalf("ListAccounts(%q) = %v, want %v", tc.query, names(got), tc.want)
			}
		})
	}
}

func names(as []*identity.Account) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.FullName
	}
	return out
}

func testSearchAgency(t *testing.T, open func(t *testing.T) store.Store) {
	s, ctx := open(t), t.Context()
	base := now().Add(-time.Hour)
	official := func(name, user, agency string) *identity.Account {
		a := localOfficial(name, user)
		a.Official.Agency = agency
		return a
	}
	yte1 := official("Trần Văn Y", "tran.y", "Sở Y tế")
	yte2 := official("Phan Thị Tế", "phan.te", "Sở Y tế")
	gd := official("Trần Thị Giáo", "tran.giao", "Sở Giáo dục và Đào tạo")
	noAgency := official("Vũ Văn Tự Do", "vu.tudo", "")
	// A citizen whose agency-like fields are empty is never an agency's.
	cit := citizen("Trần Công Dân", "001099000071", "", "")
	all := []*identity.Account{yte1, yte2, gd, noAgency, cit}
	for i, a := range all {
		a.CreatedAt = base.Add(time.Duration(i) * time.Second)
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount("+a.FullName+")")
	}
	list := func(as ...*identity.Account) []string { return orNil(ids(as)) }
	for _, tc := range []struct {
		name   string
		filter store.AccountFilter
		want   []string
	}{
		{"agency", store.AccountFilter{Agency: "Sở Y tế"}, list(yte1, yte2)},
		{"agency is exact", store.AccountFilter{Agency: "sở y tế"}, nil},
		{"agency is not folded", store.AccountFilter{Agency: "So Y te"}, nil},
		{"agency is not a substring", store.AccountFilter{Agency: "Y tế"}, nil},
		{"agency and query", store.AccountFilter{Agency: "Sở Y tế", Query: "tran"}, list(yte1)},
		{"query in every agency", store.AccountFilter{Query: "tran"}, list(yte1, gd, cit)},
		{"agency and capacity", store.AccountFilter{Agency: "Sở Y tế", Capacity: identity.CapacityCitizen}, nil},
		{"agencies", store.AccountFilter{Agencies: []string{"Sở Y tế", "Sở Giáo dục và Đào tạo"}}, list(yte1, yte2, gd)},
		{"agencies, one", store.AccountFilter{Agencies: []string{"Sở Giáo dục và Đào tạo"}}, list(gd)},
		{"agencies, unknown", store.AccountFilter{Agencies: []string{"Sở Không Có"}}, nil},
		{"agencies, empty list keeps nobody", store.AccountFilter{Agencies: []string{}}, nil},
		{"agencies, empty name keeps nobody", store.AccountFilter{Agencies: []string{""}}, nil},
		{"agencies nil does not filter", store.AccountFilter{Agencies: nil}, list(all...)},
		{"agency and agencies both hold", store.AccountFilter{Agency: "Sở Y tế", Agencies: []string{"Sở Y tế", "Sở Giáo dục và Đào tạo"}}, list(yte1, yte2)},
		{"agency outside agencies", store.AccountFilter{Agency: "Sở Y tế", Agencies: []string{"Sở Giáo dục và Đào tạo"}}, nil},
		{"agency, paged", store.AccountFilter{Agency: "Sở Y tế", After: store.AccountCursor(yte1)}, list(yte2)},
		{"agency, limit", store.AccountFilter{Agency: "Sở Y tế", Limit: 1}, list(yte1)},
		{"agency, offset", store.AccountFilter{Agency: "Sở Y tế", Offset: 1}, list(yte2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListAccounts(ctx, tc.filter)
			must(t, err, "ListAccounts")
			if g := orNil(ids(got)); !slices.Equal(g, tc.want) {
				t.Fatalf("ListAccounts(%+v) = %v, want %v", tc.filter, names(got), tc.want)
			}
		})
	}
}

// testSearchPaging pages through accounts, several of them created in the
// same millisecond, with cursors and with the filters.
func testSearchPaging(t *testing.T, open func(t *testing.T) store.Store) {
	s, ctx := open(t), t.Context()
	base := now().Add(-time.Hour)
	var want, wantTran []string
	for i := range 23 {
		a := &identity.Account{ID: identity.NewSubject(), FullName: fmt.Sprintf("Người %d", i),
			CreatedAt: base.Add(time.Duration(i/4) * time.Millisecond)} // four to a millisecond
		if i%3 == 0 {
			a.FullName = fmt.Sprintf("Trần Thứ %d", i)
		}
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
	}
	all, err := s.ListAccounts(ctx, store.AccountFilter{Limit: 1000})
	must(t, err, "ListAccounts(all)")
	if len(all) != 23 {
		t.Fatalf("ListAccounts = %d accounts, want 23", len(all))
	}
	for i := 1; i < len(all); i++ {
		p, c := all[i-1], all[i]
		if c.CreatedAt.Before(p.CreatedAt) || (c.CreatedAt.Equal(p.CreatedAt) && c.ID <= p.ID) {
			t.Fatalf("ListAccounts is not ordered by creation time, then id, at %d: %s %s, then %s %s",
				i, p.CreatedAt, p.ID, c.CreatedAt, c.ID)
		}
	}
	for _, a := range all {
		want = append(want, a.ID)
		if a.FullName[:4] == "Trần"[:4] {
			wantTran = append(wantTran, a.ID)
		}
	}
	for _, tc := range []struct {
		name   string
		filter store.AccountFilter
		want   []string
	}{
		{"all", store.AccountFilter{}, want},
		{"query", store.AccountFilter{Query: "tran thu"}, wantTran},
	} {
		for _, size := range []int{1, 3, 4, 5, 23, 50} {
			t.Run(fmt.Sprintf("%s by %d", tc.name, size), func(t *testing.T) {
				var got []string
				f := tc.filter
				f.Limit = size
				for page := 0; ; page++ {
					if page > 30 {
						t.Fatalf("paging does not end: %d accounts so far", len(got))
					}
					list, err := s.ListAccounts(ctx, f)
					must(t, err, "ListAccounts")
					if len(list) > size {
						t.Fatalf("page %d has %d accounts, limit %d", page, len(list), size)
					}
					got = append(got, ids(list)...)
					if len(list) < size {
						break
					}
					f.After = store.AccountCursor(list[len(list)-1])
				}
				if !slices.Equal(got, tc.want) {
					t.Fatalf("pages = %v\nwant    %v", got, tc.want)
				}
			})
		}
	}
	t.Run("after and offset", func(t *testing.T) {
		got, err := s.ListAccounts(ctx, store.AccountFilter{After: store.AccountCursor(all[4]), Offset: 2, Limit: 3})
		must(t, err, "ListAccounts")
		if g := ids(got); !slices.Equal(g, want[7:10]) {
			t.Fatalf("ListAccounts(after 4, offset 2, limit 3) = %v, want %v", g, want[7:10])
		}
	})
	t.Run("cursor of an account as created", func(t *testing.T) {
		// A cursor made from the account given to CreateAccount (whose time
		// may hold nanoseconds) is that of the account read back.
		a := &identity.Account{ID: identity.NewSubject(), FullName: "Người Nano",
			CreatedAt: base.Add(-time.Minute + 999_999*time.Nanosecond)}
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		got, err := s.ListAccounts(ctx, store.AccountFilter{After: store.AccountCursor(a), Limit: 1})
		must(t, err, "ListAccounts")
		if g := ids(got); !slices.Equal(g, want[:1]) {
			t.Fatalf("ListAccounts(after the earliest account) = %v, want %v", g, want[:1])
		}
	})
}

// testSearchPagingWhileCreating pages through the accounts with cursors while
// other accounts are created, before and after the cursor: every account that
// existed when paging began is listed exactly once, and no account twice.
func testSearchPagingWhileCreating(t *testing.T, open func(t *testing.T) store.Store) {
	s, ctx := open(t), t.Context()
	base := now().Add(-time.Hour)
	existing := map[string]bool{}
	for i := range 60 {
		a := &identity.Account{ID: identity.NewSubject(), FullName: fmt.Sprintf("Trần Có Sẵn %d", i),
			CreatedAt: base.Add(time.Duration(i) * time.Second)}
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		existing[a.ID] = true
	}
	for _, f := range []store.AccountFilter{{Limit: 7}, {Limit: 5, Query: "tran"}} {
		t.Run(fmt.Sprintf("query %q", f.Query), func(t *testing.T) {
			var stop atomic.Bool
			var created atomic.Int64
			seen := map[string]int{}
			errs := Concurrently(2, func(i int) error {
				if i == 1 {
					// Creates accounts among those already listed, among
					// those still ahead, and after all of them.
					for n := 0; !stop.Load() && n < 400; n++ {
						at := base.Add(time.Duration(n%70)*time.Second + 500*time.Millisecond)
						if n%5 == 0 {
							at = time.Now()
						}
						a := &identity.Account{ID: identity.NewSubject(), FullName: fmt.Sprintf("Trần Mới %d", n), CreatedAt: at}
						if err := s.CreateAccount(ctx, a, ""); err != nil {
							return err
						}
						created.Add(1)
					}
					return nil
				}
				defer stop.Store(true)
				for page := 0; page < 1000; page++ {
					list, err := s.ListAccounts(ctx, f)
					if err != nil {
						return err
					}
					for _, a := range list {
						seen[a.ID]++
					}
					if len(list) < f.Limit {
						return nil
					}
					f.After = store.AccountCursor(list[len(list)-1])
					time.Sleep(time.Millisecond) // let the creator interleave
				}
				return errors.New("paging did not end")
			})
			for i, err := range errs {
				must(t, err, fmt.Sprintf("goroutine %d", i))
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("account %s listed %d times", id, n)
				}
			}
			for id := range existing {
				if seen[id] != 1 {
					t.Errorf("account %s, which existed before paging, was listed %d times", id, seen[id])
				}
			}
			if created.Load() == 0 {
				t.Errorf("no account was created while paging: the test proves nothing")
			}
		})
	}
}
