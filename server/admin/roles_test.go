package admin_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/server/admin"
	"github.com/dinhdanh/dinhdanh/server/audit"
	"github.com/dinhdanh/dinhdanh/server/authn"
	"github.com/dinhdanh/dinhdanh/server/identity"
	"github.com/dinhdanh/dinhdanh/server/session"
	"github.com/dinhdanh/dinhdanh/store"
	"github.com/dinhdanh/dinhdanh/store/sqlstore"
)

// roleFixture is a province with a tree of agencies, a service for the
// command line, and accounts holding roles.
type roleFixture struct {
	t   *testing.T
	db  *sqlstore.DB
	cli *admin.Service
	now time.Time
}

const (
	agTinh  = "UBND tỉnh"
	agSo    = "Sở Khoa học và Công nghệ"
	agTT    = "Trung tâm Chuyển đổi số"
	agKhac  = "Sở Tài chính"
	agHuyen = "UBND huyện Mỹ Hào"
)

func newRoleFixture(t *testing.T) *roleFixture {
	ctx := context.Background()
	db, err := sqlstore.OpenSQLite(ctx, filepath.Join(t.TempDir(), "a.db"), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sessions := &session.Manager{Store: db, Index: db, CookieName: "s", IdleTimeout: time.Hour, AbsoluteLifetime: time.Hour}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rec := audit.NewRecorder(db, log)
	f := &roleFixture{t: t, db: db, now: time.Now()}
	f.cli = admin.NewService(admin.Service{Store: db, Eph: db, Sessions: sessions, Actor: "cli", MinPasswordLength: 8,
		Logout: session.NewLogout(session.Logout{Sessions: sessions, Store: db, Log: log}, rec),
		Guard:  &authn.Guard{Counters: db}, Hasher: authn.Hasher{Params: authn.MinArgon2},
		Policy: admin.Policy{Agencies: admin.Agencies{agSo: agTinh, agTT: agSo, agKhac: agTinh},
			ReauthMaxAge: 10 * time.Minute, Now: func() time.Time { return f.now }},
	}, rec)
	return f
}

func (f *roleFixture) official(name, user, agency string) *identity.Account {
	f.t.Helper()
	a, _, err := f.cli.CreateAccount(context.Background(), admin.AccountSpec{Kind: identity.CapacityOfficial,
		FullName: name, Username: user, Agency: agency}, f.now)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *roleFixture) citizen(name, email string) *identity.Account {
	f.t.Helper()
	a, _, err := f.cli.CreateAccount(context.Background(), admin.AccountSpec{Kind: identity.CapacityCitizen,
		FullName: name, Email: email, PersonalID: "001090000123", Birthdate: "1990-01-02", Gender: "male"}, f.now)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *roleFixture) grant(a *identity.Account, role, agency string, sub bool) {
	f.t.Helper()
	if _, err := f.cli.GrantRole(context.Background(), a, admin.GrantSpec{Role: role, Agency: agency, SubUnits: sub}); err != nil {
		f.t.Fatalf("grant %s %s: %v", role, agency, err)
	}
}

// as is the service acting for a, authenticated at acr authAge ago.
func (f *roleFixture) as(a *identity.Account, acr string, authAge time.Duration) *admin.Service {
	f.t.Helper()
	p, err := f.cli.PrincipalFor(context.Background(), a.ID, acr, f.now.Add(-authAge), "api", "192.0.2.7")
	if err != nil {
		f.t.Fatalf("PrincipalFor(%s): %v", a.FullName, err)
	}
	return f.cli.As(p)
}

func wantDenied(t *testing.T, err error, reason, what string) {
	t.Helper()
	d, ok := admin.IsDenied(err)
	if !ok || d.Reason != reason {
		t.Fatalf("%s: error = %v, want a refusal for %q", what, err, reason)
	}
}

func TestRolesScopeAndDelegation(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	agencyAdmin := f.official("Lê Quản Trị Sở", "qt.so", agSo)
	f.grant(agencyAdmin, "agency_admin", agSo, true)
	narrowAdmin := f.official("Lê Quản Trị Hẹp", "qt.hep", agSo)
	f.grant(narrowAdmin, "agency_admin", agSo, false)
	helpdesk := f.official("Trần Một Cửa", "motcua", agHuyen)
	f.grant(helpdesk, "helpdesk", agHuyen, false)
	auditor := f.official("Phan Kiểm Toán", "kiemtoan", agTinh)
	f.grant(auditor, "auditor", "", false)
	inSo := f.official("Nguyễn Trong Sở", "trong.so", agSo)
	inTT := f.official("Nguyễn Trung Tâm", "trung.tam", agTT)
	outside := f.official("Vũ Sở Khác", "so.khac", agKhac)
	cit := f.citizen("Hoàng Công Dân", "congdan@example.vn")

	aa := f.as(agencyAdmin, authn.LoA2, time.Minute)
	if err := aa.Lock(ctx, inSo, "nghỉ việc"); err != nil {
		t.Fatalf("agency_admin locking an official of its agency: %v", err)
	}
	if err := aa.Unlock(ctx, inTT); err != nil {
		t.Fatalf("agency_admin with sub-units on an official of a sub-unit: %v", err)
	}
	wantDenied(t, aa.Lock(ctx, outside, "x"), "scope", "agency_admin on another agency")
	wantDenied(t, aa.Unlock(ctx, cit), "scope", "agency_admin on a citizen")
	wantDenied(t, f.as(narrowAdmin, authn.LoA2, time.Minute).Unlock(ctx, inTT), "scope",
		"agency_admin without sub-units on a sub-unit")
	if got, _ := f.db.GetAccount(ctx, outside.ID); got.Disabled {
		t.Fatal("a refused lock locked the account")
	}

	hd := f.as(helpdesk, authn.LoA2, time.Minute)
	if _, err := hd.EndSessions(ctx, cit.ID); err != nil {
		t.Fatalf("helpdesk ending a citizen's sessions: %v", err)
	}
	if _, err := hd.ResetFactors(ctx, cit); err != nil {
		t.Fatalf("helpdesk resetting a citizen's factors: %v", err)
	}
	wantDenied(t, hd.SetPassword(ctx, cit, "mật-khẩu-mới-123"), "role", "helpdesk setting a password")
	wantDenied(t, hd.Lock(ctx, cit, "x"), "role", "helpdesk locking")
	wantDenied(t, hd.Unlock(ctx, inSo), "scope", "helpdesk on an official of another agency")
	// Nobody below a super_admin acts on an administrator: a helpdesk cannot
	// reset the factors of an agency admin to take over their account.
	wantDenied(t, hd.Unlock(ctx, agencyAdmin), "scope", "helpdesk on an agency_admin")
	_, err := aa.ResetFactors(ctx, narrowAdmin)
	wantDenied(t, err, "scope", "agency_admin on another agency_admin")

	au := f.as(auditor, authn.LoA2, time.Minute)
	if _, err := au.FindAccount(ctx, cit.ID); err == nil {
		t.Fatal("an auditor read an account")
	} else {
		wantDenied(t, err, "role", "auditor reading an account")
	}

	// Delegation: an agency admin grants helpdesk in its scope, never a
	// wider role, never outside.
	if _, err := aa.GrantRole(ctx, inTT, admin.GrantSpec{Role: "helpdesk", Agency: agTT}); err != nil {
		t.Fatalf("agency_admin granting helpdesk in a sub-unit: %v", err)
	}
	_, err = aa.GrantRole(ctx, inSo, admin.GrantSpec{Role: "agency_admin", Agency: agSo})
	wantDenied(t, err, "scope", "agency_admin granting agency_admin")
	_, err = aa.GrantRole(ctx, inSo, admin.GrantSpec{Role: "super_admin"})
	wantDenied(t, err, "scope", "agency_admin granting super_admin")
	_, err = aa.GrantRole(ctx, outside, admin.GrantSpec{Role: "helpdesk", Agency: agKhac})
	wantDenied(t, err, "scope", "agency_admin granting in another agency")
	_, err = hd.GrantRole(ctx, cit, admin.GrantSpec{Role: "helpdesk", Agency: agHuyen})
	wantDenied(t, err, "role", "helpdesk granting")
	if roles, _ := f.db.RolesOf(ctx, inSo.ID); len(roles) != 0 {
		t.Fatalf("refused grants left roles: %+v", roles)
	}
	// An agency admin creates officials of its agency, not administrators.
	if _, _, err := aa.CreateAccount(ctx, admin.AccountSpec{Kind: identity.CapacityOfficial, FullName: "Đào Mới Vào",
		Username: "moi.vao", Agency: agTT}, f.now); err != nil {
		t.Fatalf("agency_admin creating an official of a sub-unit: %v", err)
	}
	_, _, err = aa.CreateAccount(ctx, admin.AccountSpec{Kind: identity.CapacityOfficial, FullName: "Đào Quyền Lớn",
		Username: "quyen.lon", Agency: agSo, Admin: true}, f.now)
	wantDenied(t, err, "scope", "agency_admin creating a super_admin")
	if _, err := f.db.FindAccount(ctx, store.ByUsername, "quyen.lon"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused creation created the account: %v", err)
	}

	// Every refusal is audited with the actor and the reason.
	events, err := f.db.ListAudit(ctx, "", 500)
	if err != nil {
		t.Fatal(err)
	}
	denied := 0
	for _, e := range events {
		if e.Type == string(audit.AdminDenied) {
			denied++
			if e.Actor == "" || e.Details["reason"] == "" || e.Details["permission"] == "" {
				t.Errorf("admin.denied row without actor, reason or permission: %+v", e)
			}
		}
	}
	if denied < 12 {
		t.Errorf("%d admin.denied rows, want one per refusal (at least 12)", denied)
	}
}

func TestRolesLevelAndFreshness(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	sa := f.official("Đặng Siêu Quản", "sieuquan", agTinh)
	f.grant(sa, "super_admin", "", false)
	target := f.official("Lý Mục Tiêu", "muctieu", agKhac)

	wantDenied(t, f.as(sa, authn.LoA1, time.Minute).Unlock(ctx, target), "level", "a session at LoA1")
	// A destructive action needs an authentication within the max age; a
	// harmless one does not.
	stale := f.as(sa, authn.LoA2, 11*time.Minute)
	wantDenied(t, stale.Lock(ctx, target, "x"), "reauthenticate", "lock after 11 minutes")
	if err := stale.Unlock(ctx, target); err != nil {
		t.Fatalf("unlock with an older authentication: %v", err)
	}
	if err := f.as(sa, authn.LoA2, 9*time.Minute).Lock(ctx, target, "điều tra"); err != nil {
		t.Fatalf("lock within the max age: %v", err)
	}
	// A locked administrator, or an account without a role, gets no principal.
	if _, err := f.cli.PrincipalFor(ctx, target.ID, authn.LoA2, f.now, "api", ""); err == nil {
		t.Fatal("an account without a role became a principal")
	}
	f.grant(target, "helpdesk", agKhac, false)
	if _, err := f.cli.PrincipalFor(ctx, target.ID, authn.LoA2, f.now, "api", ""); err == nil {
		t.Fatal("a locked account became a principal")
	}
	// A super_admin cannot remove their own last way in.
	if err := f.as(sa, authn.LoA2, time.Minute).RevokeRole(ctx, sa, "super_admin", ""); err == nil {
		t.Fatal("a super_admin revoked their own role")
	}
}

// Concurrent grants of the same role end with one grant and one audit row:
// the others are told it is held.
func TestGrantRoleConcurrent(t *testing.T) {
	f := newRoleFixture(t)
	ctx := context.Background()
	sa := f.official("Đặng Siêu Quản", "sieuquan", agTinh)
	f.grant(sa, "super_admin", "", false)
	target := f.official("Lý Mục Tiêu", "muctieu", agKhac)
	svc := f.as(sa, authn.LoA2, time.Minute)
	const n = 8
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = svc.GrantRole(ctx, target, admin.GrantSpec{Role: "helpdesk", Agency: agKhac})
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if f, isC := store.IsConflict(err); !isC || f != "role" {
			t.Errorf("concurrent grant: %v, want nil or a role conflict", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent grants succeeded, want 1", ok)
	}
	events, _ := f.db.ListAudit(ctx, target.ID, 100)
	grants := 0
	for _, e := range events {
		if e.Type == string(audit.RoleGrant) {
			grants++
		}
	}
	if grants != 1 {
		t.Fatalf("%d role.grant rows, want 1", grants)
	}
}
