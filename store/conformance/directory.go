package conformance

import (
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/store"
)

// directoryOfficial returns an official account synchronised from a directory.
func directoryOfficial(name, directory, username string) *identity.Account {
	return &identity.Account{ID: identity.NewSubject(), FullName: name, Locale: "vi",
		Official: &identity.Official{Username: username, Directory: directory, Agency: "Sở Nội vụ",
			Roles: []string{"qlvb.van_thu"}, Groups: []string{"văn-thư"}}}
}

func testDirectorySync(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("FindAccounts", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := directoryOfficial("Nguyễn Thị Ánh", "so-noi-vu", "ánh.nguyễn")
		b := directoryOfficial("Nguyễn Thị Ánh", "ad-tinh", "ánh.nguyễn")
		other := directoryOfficial("Trần Văn Bình", "so-noi-vu", "binh.tv")
		other.Disabled, other.DisabledReason = true, "directory: entry removed"
		local := localOfficial("Lê Văn Ánh", "ánh.nguyễn")
		for _, acct := range []*identity.Account{a, b, other, local} {
			must(t, s.CreateAccount(ctx, acct, ""), "CreateAccount")
		}
		got, err := s.FindDirectoryAccount(ctx, "so-noi-vu", "ánh.nguyễn")
		must(t, err, "FindDirectoryAccount")
		if got.ID != a.ID || got.Official == nil || got.Official.Directory != "so-noi-vu" || len(got.Official.Roles) != 1 {
			t.Fatalf("FindDirectoryAccount = %+v, want %s", got, a.ID)
		}
		_, err = s.FindDirectoryAccount(ctx, "so-xay-dung", "ánh.nguyễn")
		wantErr(t, err, store.ErrNotFound, "FindDirectoryAccount(other directory)")
		_, err = s.FindDirectoryAccount(ctx, "", "ánh.nguyễn")
		wantErr(t, err, store.ErrNotFound, "FindDirectoryAccount(local)")
		// A local official is not found as a directory official, nor the reverse.
		l, err := s.FindAccount(ctx, store.ByUsername, "ánh.nguyễn")
		must(t, err, "FindAccount(local)")
		if l.ID != local.ID {
			t.Fatalf("FindAccount(ByUsername) = %s, want the local official %s", l.ID, local.ID)
		}

		all, err := s.DirectoryAccountsByUsername(ctx, "ánh.nguyễn")
		must(t, err, "DirectoryAccountsByUsername")
		if len(all) != 2 || all[0].ID != b.ID || all[1].ID != a.ID {
			t.Fatalf("DirectoryAccountsByUsername = %v, want [%s %s] ordered by directory", ids(all), b.ID, a.ID)
		}
		none, err := s.DirectoryAccountsByUsername(ctx, "nobody")
		must(t, err, "DirectoryAccountsByUsername(nobody)")
		if len(none) != 0 {
			t.Fatalf("DirectoryAccountsByUsername(nobody) = %v", ids(none))
		}

		list, err := s.ListDirectoryAccounts(ctx, "so-noi-vu")
		must(t, err, "ListDirectoryAccounts")
		if len(list) != 2 || list[0].ID != other.ID || list[1].ID != a.ID || !list[0].Disabled {
			t.Fatalf("ListDirectoryAccounts = %v, want [%s (disabled) %s]", ids(list), other.ID, a.ID)
		}
	})

	t.Run("Entries", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		a := directoryOfficial("Phạm Văn Đồng", "so-noi-vu", "dong.pv")
		b := directoryOfficial("Võ Thị Sáu", "so-noi-vu", "sau.vt")
		must(t, s.CreateAccount(ctx, a, ""), "CreateAccount")
		must(t, s.CreateAccount(ctx, b, ""), "CreateAccount")
		ea := &store.DirectoryEntry{Directory: "so-noi-vu", Username: "dong.pv", AccountID: a.ID,
			DN: "uid=dong.pv,ou=people,dc=snv,dc=tinh,dc=gov,dc=vn", EmployeeNumber: "NV-001"}
		eb := &store.DirectoryEntry{Directory: "so-noi-vu", Username: "sau.vt", AccountID: b.ID,
			DN: "uid=sau.vt,ou=people,dc=snv,dc=tinh,dc=gov,dc=vn"}
		must(t, s.PutDirectoryEntry(ctx, eb), "PutDirectoryEntry")
		must(t, s.PutDirectoryEntry(ctx, ea), "PutDirectoryEntry")
		moved := *ea
		moved.DN, moved.EmployeeNumber = "uid=dong.pv,ou=lanh-dao,dc=snv,dc=tinh,dc=gov,dc=vn", "NV-002"
		must(t, s.PutDirectoryEntry(ctx, &moved), "PutDirectoryEntry(replace)")
		got, err := s.ListDirectoryEntries(ctx, "so-noi-vu")
		must(t, err, "ListDirectoryEntries")
		if len(got) != 2 || *got[0] != moved || *got[1] != *eb {
			t.Fatalf("ListDirectoryEntries = %+v %+v, want %+v %+v", got[0], got[1], moved, *eb)
		}
		other, err := s.ListDirectoryEntries(ctx, "ad-tinh")
		must(t, err, "ListDirectoryEntries(other)")
		if len(other) != 0 {
			t.Fatalf("ListDirectoryEntries(other directory) = %v", other)
		}
		err = s.PutDirectoryEntry(ctx, &store.DirectoryEntry{Directory: "so-noi-vu", Username: "ghost",
			AccountID: identity.NewSubject(), DN: "uid=ghost"})
		wantErr(t, err, store.ErrNotFound, "PutDirectoryEntry(unknown account)")
	})

	t.Run("Cursor", func(t *testing.T) {
		s, ctx := open(t), t.Context()
		_, err := s.GetDirectoryCursor(ctx, "so-noi-vu")
		wantErr(t, err, store.ErrNotFound, "GetDirectoryCursor(before any sync)")
		c := &store.DirectoryCursor{Directory: "so-noi-vu", HighWater: "20250102030405Z",
			SyncedAt: now(), FullSyncAt: now().Add(-time.Hour), Entries: 10000, GroupsDigest: "9f86d081"}
		must(t, s.PutDirectoryCursor(ctx, c), "PutDirectoryCursor")
		got, err := s.GetDirectoryCursor(ctx, "so-noi-vu")
		must(t, err, "GetDirectoryCursor")
		if got.Directory != c.Directory || got.HighWater != c.HighWater || got.Entries != c.Entries || got.GroupsDigest != c.GroupsDigest ||
			!sameTime(got.SyncedAt, c.SyncedAt) || !sameTime(got.FullSyncAt, c.FullSyncAt) {
			t.Fatalf("GetDirectoryCursor = %+v, want %+v", got, c)
		}
		c2 := &store.DirectoryCursor{Directory: "so-noi-vu", HighWater: "20250102040000.0Z", SyncedAt: now(), FullSyncAt: c.FullSyncAt, Entries: 9999}
		must(t, s.PutDirectoryCursor(ctx, c2), "PutDirectoryCursor(replace)")
		got, err = s.GetDirectoryCursor(ctx, "so-noi-vu")
		must(t, err, "GetDirectoryCursor")
		if got.HighWater != c2.HighWater || got.Entries != 9999 {
			t.Fatalf("GetDirectoryCursor after replace = %+v", got)
		}
		_, err = s.GetDirectoryCursor(ctx, "ad-tinh")
		wantErr(t, err, store.ErrNotFound, "GetDirectoryCursor(other directory)")
	})
}
